/* result.c - the mg_script object: the names a script binds (to Values or plain numbers),
 * the leaves it made, its notes and what it printed; the public accessors. Everything
 * here reports running out of memory by its return value: the callers say where. */
#include "script_internal.h"

/* ==== making and freeing ================================================================ */

mg_script *mg_script_new(mg_ctx *ctx) {
    MG_ASSERT(ctx != NULL, "mg_script_new without a context");
    mg_script *s = mg__calloc(1, sizeof *s);
    if (!s) return NULL;
    s->ctx = ctx;
    s->output = SIZE_MAX;
    return s;
}

void mg_script_free(mg_script *s) {
    if (!s) return;
    for (size_t i = 0; i < s->nnames; i++) mg__free(s->names[i].name);
    mg__script_truncate(s, 0, 0);
    mg__free(s->names);
    mg__hindex_free(&s->index);
    mg__free(s->leaves);
    mg__free(s->notes);
    mg__sbuf_free(&s->printed);
    mg__free(s);
}

char *mg__script_dup(const char *s, size_t n) {
    char *d = n < SIZE_MAX ? mg__malloc(n + 1) : NULL;
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ==== names ============================================================================== */

/* A name's span of text, the key of the names index. */
typedef struct name_key {
    const char *s;
    size_t n;
} name_key;

static int name_eq(const void *user, uint32_t entry, const void *key) {
    const sname *e = &((const mg_script *)user)->names[entry];
    const name_key *k = key;
    return e->len == k->n && memcmp(e->name, k->s, k->n) == 0;
}

sname *mg__script_lookup(const mg_script *s, const char *name, size_t n) {
    name_key k = {name, n};
    uint32_t e = mg__hindex_find(&s->index, mg__fnv1a(MG__FNV_INIT, name, n), name_eq, s, &k);
    return e == UINT32_MAX ? NULL : &s->names[e];
}

size_t mg__script_bind(mg_script *s, const char *name, size_t n, mg_script_kind kind,
                       mg_value v, double num) {
    sname *e = mg__script_lookup(s, name, n);
    if (!e) {
        if (s->nnames >= UINT32_MAX - 2) return SIZE_MAX;
        if (!mg__grow((void **)&s->names, &s->capnames, s->nnames + 1, sizeof *s->names))
            return SIZE_MAX;
        char *copy = mg__script_dup(name, n);
        if (!copy) return SIZE_MAX;
        if (!mg__hindex_add(&s->index, mg__fnv1a(MG__FNV_INIT, name, n), (uint32_t)s->nnames)) {
            mg__free(copy);
            return SIZE_MAX;
        }
        e = &s->names[s->nnames++];
        e->name = copy;
        e->len = n;
    }
    e->kind = kind;
    e->v = kind == MG_SCRIPT_KIND_VALUE ? v : MG_NULL;
    e->num = kind == MG_SCRIPT_KIND_VALUE ? 0.0 : num;
    return (size_t)(e - s->names);
}

/* ==== leaves and notes ===================================================================== */

int mg__script_add_leaf(mg_script *s, mg_value v, const char *label, size_t line, size_t col) {
    char *copy = label && *label ? mg__script_dup(label, strlen(label)) : NULL;
    if ((label && *label && !copy) ||
        !mg__grow((void **)&s->leaves, &s->capleaves, s->nleaves + 1, sizeof *s->leaves)) {
        mg__free(copy);
        return 0;
    }
    s->leaves[s->nleaves++] = (sleaf){v, mg_index(s->ctx, v), NULL, copy, line, col};
    return 1;
}

sleaf *mg__script_find_leaf(const mg_script *s, mg_value v) {
    size_t idx = mg_index(s->ctx, v), lo = 0, hi = s->nleaves;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->leaves[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nleaves && s->leaves[lo].idx == idx ? &s->leaves[lo] : NULL;
}

int mg__script_add_note(mg_script *s, size_t line, const char *text) {
    char *copy = mg__script_dup(text, strlen(text));
    if (!copy || !mg__grow((void **)&s->notes, &s->capnotes, s->nnotes + 1, sizeof *s->notes)) {
        mg__free(copy);
        return 0;
    }
    s->notes[s->nnotes++] = (snote){copy, line};
    return 1;
}

void mg__script_truncate(mg_script *s, size_t nleaves, size_t nnotes) {
    for (; s->nleaves > nleaves; s->nleaves--) {
        mg__free(s->leaves[s->nleaves - 1].name);
        mg__free(s->leaves[s->nleaves - 1].label);
    }
    for (; s->nnotes > nnotes; s->nnotes--) mg__free(s->notes[s->nnotes - 1].text);
}

/* ==== accessors ============================================================================ */

size_t mg_script_nnames(const mg_script *s) { return s->nnames; }

const char *mg_script_name(const mg_script *s, size_t i) {
    MG_ASSERT(i < s->nnames, "script name index out of range");
    return s->names[i].name;
}

mg_value mg_script_value(const mg_script *s, size_t i) {
    MG_ASSERT(i < s->nnames, "script name index out of range");
    return s->names[i].v;
}

mg_script_kind mg_script_kind_of(const mg_script *s, size_t i) {
    MG_ASSERT(i < s->nnames, "script name index out of range");
    return s->names[i].kind;
}

double mg_script_number(const mg_script *s, size_t i) {
    MG_ASSERT(i < s->nnames, "script name index out of range");
    const sname *e = &s->names[i];
    return e->kind == MG_SCRIPT_KIND_VALUE ? mg_data(s->ctx, e->v) : e->num;
}

mg_value mg_script_lookup(const mg_script *s, const char *name) {
    const sname *e = name ? mg__script_lookup(s, name, strlen(name)) : NULL;
    return e ? e->v : MG_NULL;
}

/* The output's entry, or NULL: none yet, or its name now holds a plain number. */
static const sname *output_of(const mg_script *s) {
    if (s->output == SIZE_MAX || s->names[s->output].kind != MG_SCRIPT_KIND_VALUE) return NULL;
    return &s->names[s->output];
}

const char *mg_script_output_name(const mg_script *s) {
    const sname *e = output_of(s);
    return e ? e->name : NULL;
}

mg_value mg_script_output(const mg_script *s) {
    const sname *e = output_of(s);
    return e ? e->v : MG_NULL;
}

size_t mg_script_nleaves(const mg_script *s) { return s->nleaves; }

mg_value mg_script_leaf(const mg_script *s, size_t i, const char **name, size_t *line,
                        size_t *col) {
    MG_ASSERT(i < s->nleaves, "script leaf index out of range");
    const sleaf *l = &s->leaves[i];
    if (name) *name = l->name ? l->name : l->label ? l->label : "";
    if (line) *line = l->line;
    if (col) *col = l->col;
    return l->v;
}

size_t mg_script_nnotes(const mg_script *s) { return s->nnotes; }

const char *mg_script_note(const mg_script *s, size_t i, size_t *line) {
    MG_ASSERT(i < s->nnotes, "script note index out of range");
    if (line) *line = s->notes[i].line;
    return s->notes[i].text;
}

const char *mg_script_printed(const mg_script *s, size_t *len) {
    if (len) *len = s->printed.n;
    return s->printed.b ? s->printed.b : "";
}

void mg_script_clear_printed(mg_script *s) {
    s->printed.n = 0;
    if (s->printed.b) s->printed.b[0] = '\0';
}

int mg_script_is_python(const mg_script *s) { return s->python; }
int mg_script_did_print(const mg_script *s) { return s->did_print; }
int mg_script_did_backward(const mg_script *s) { return s->did_backward; }
