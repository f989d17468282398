/* model_state.c - a checkpoint's training state in a model file's metadata: the counters
 * and the random generator as the JSON text of "train_state" (the arrays are tensors,
 * written by model_io.c). Numbers that must come back bit for bit (the generator's 64-bit
 * state, its spare normal, a Mersenne Twister's 624 words) are hexadecimal strings, since
 * JSON numbers are doubles. A xorshift* generator has no "rng_kind" (files from before the
 * Mersenne Twister read the same); a Mersenne Twister is "rng_kind": "mt19937" with its
 * words in "rng_mt" and its position in "rng_mti". */
#include "model_internal.h"

#ifdef MG_HAVE_JANSSON
#include <stdio.h>

static void hex64(uint64_t v, char *buf) { snprintf(buf, 17, "%016llx", (unsigned long long)v); }

static int unhex64(const char *s, uint64_t *out) {
    uint64_t v = 0;
    if (strlen(s) != 16) return 0;
    for (const char *p = s; *p; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (d < 0) return 0;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return 1;
}

/* The Mersenne Twister's words as 8 hex digits each, into json as rng_mt and rng_mti. */
static int put_mt(json_t *j, const mg_rng *rng) {
    char words[MG_RNG_MT_N * 8 + 1];
    for (int i = 0; i < MG_RNG_MT_N; i++) snprintf(words + 8 * i, 9, "%08x", (unsigned)rng->mt[i]);
    return !json_object_set_new(j, "rng_kind", json_string("mt19937")) &&
           !json_object_set_new(j, "rng_mt", json_string(words)) &&
           !json_object_set_new(j, "rng_mti", json_integer(rng->mti));
}

static int get_mt(json_t *j, mg_rng *rng) {
    const char *words = json_string_value(json_object_get(j, "rng_mt"));
    json_t *mti = json_object_get(j, "rng_mti");
    if (!words || strlen(words) != MG_RNG_MT_N * 8 || !json_is_integer(mti) ||
        json_integer_value(mti) < 0 || json_integer_value(mti) > MG_RNG_MT_N)
        return 0;
    for (int i = 0; i < MG_RNG_MT_N; i++) {
        char w[17] = "00000000";
        memcpy(w + 8, words + 8 * i, 8);
        uint64_t v;
        if (!unhex64(w, &v)) return 0;
        rng->mt[i] = (uint32_t)v;
    }
    rng->mti = (int)json_integer_value(mti);
    return 1;
}

char *mg__state_text(const mg_train_state *s) {
    char state[17], spare[17];
    uint64_t bits;
    memcpy(&bits, &s->rng.spare, sizeof bits);
    hex64(s->rng.state, state);
    hex64(bits, spare);
    json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:s, s:s?}", "step", (json_int_t)s->step, "epoch",
                          (json_int_t)s->epoch, "pos", (json_int_t)s->pos, "optim_t",
                          (json_int_t)s->optim_t, "rng_state", state, "rng_spare",
                          s->rng.has_spare ? spare : NULL);
    if (j && s->rng.kind == MG_RNG_MT19937 && !put_mt(j, &s->rng)) {
        json_decref(j);
        j = NULL;
    }
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

/* A JSON integer in [0, 2^53]. */
static int count_of(json_t *j, size_t *out) {
    if (!json_is_integer(j) || json_integer_value(j) < 0 ||
        json_integer_value(j) > ((json_int_t)1 << 53))
        return 0;
    *out = (size_t)json_integer_value(j);
    return 1;
}

mg_status mg__state_parse(const char *path, const char *text, mg_train_state *s, mg_err *err) {
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    json_t *spare = j ? json_object_get(j, "rng_spare") : NULL;
    const char *st = j ? json_string_value(json_object_get(j, "rng_state")) : NULL;
    uint64_t bits = 0;
    int ok = json_is_object(j) && count_of(json_object_get(j, "step"), &s->step) &&
             count_of(json_object_get(j, "epoch"), &s->epoch) &&
             count_of(json_object_get(j, "pos"), &s->pos) &&
             count_of(json_object_get(j, "optim_t"), &s->optim_t) && st &&
             unhex64(st, &s->rng.state) &&
             (!spare || json_is_null(spare) ||
              (json_is_string(spare) && unhex64(json_string_value(spare), &bits)));
    s->rng.has_spare = ok && spare && json_is_string(spare);
    memcpy(&s->rng.spare, &bits, sizeof bits);
    const char *kind = ok ? json_string_value(json_object_get(j, "rng_kind")) : NULL;
    s->rng.kind = MG_RNG_XORSHIFT;
    s->rng.mti = 0;
    if (ok && json_object_get(j, "rng_kind")) {
        ok = kind && !strcmp(kind, "mt19937") && get_mt(j, &s->rng);
        s->rng.kind = MG_RNG_MT19937;
    }
    json_decref(j);
    if (!ok)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s: metadata 'train_state' is not a training state (step, epoch, pos, "
                          "optim_t, rng_state; a Mersenne Twister's rng_mt and rng_mti)",
                          path);
    return MG_STATUS_OK;
}

#else
typedef int mg__model_state_needs_jansson; /* (an empty file is not ISO C) */
#endif /* MG_HAVE_JANSSON */
