/* model_state.c - a checkpoint's training state in a model file's metadata: the counters
 * and the random generator as the JSON text of "train_state" (the arrays are tensors,
 * written by model_io.c). Numbers that must come back bit for bit (the generator's 64-bit
 * state, its spare normal) are hexadecimal strings, since JSON numbers are doubles. */
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
    json_decref(j);
    if (!ok)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s: metadata 'train_state' is not a training state (step, epoch, pos, "
                          "optim_t, rng_state)",
                          path);
    return MG_STATUS_OK;
}

#else
typedef int mg__model_state_needs_jansson; /* (an empty file is not ISO C) */
#endif /* MG_HAVE_JANSSON */
