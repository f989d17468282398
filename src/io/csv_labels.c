/* csv_labels.c - a CSV target's class labels: interned by text, or by value when they
 * are numbers ("7" and "7.0" are one class), then sorted so that class indices do not
 * depend on the order of the rows. */
#include "csv_internal.h"

static uint64_t label_hash(const label_entry *e) {
    if (e->numeric) {
        double v = e->value == 0 ? 0.0 : e->value; /* -0 and 0 are one class */
        return mg__fnv1a(MG__FNV_INIT, &v, sizeof v) ^ 0x9e3779b97f4a7c15u;
    }
    return mg__fnv1a(MG__FNV_INIT, e->text, strlen(e->text));
}

static int label_eq(const void *user, uint32_t entry, const void *key) {
    const label_entry *a = &((const label_table *)user)->e[entry], *b = key;
    if (a->numeric != b->numeric) return 0;
    return a->numeric ? a->value == b->value : strcmp(a->text, b->text) == 0;
}

uint32_t mg__csv_label_intern(label_table *t, const label_entry *key) {
    uint64_t h = label_hash(key);
    uint32_t found = mg__hindex_find(&t->index, h, label_eq, t, key);
    if (found != UINT32_MAX) return found;
    if (t->n >= UINT32_MAX - 2 || !mg__grow((void **)&t->e, &t->cap, t->n + 1, sizeof *t->e) ||
        !mg__hindex_add(&t->index, h, (uint32_t)t->n))
        return UINT32_MAX;
    t->e[t->n] = *key;
    return (uint32_t)t->n++;
}

void mg__csv_label_free(label_table *t) {
    mg__free(t->e);
    mg__hindex_free(&t->index);
}

typedef struct sorted_label {
    label_entry e;
    uint32_t id;
} sorted_label;

static int by_label(const void *pa, const void *pb) {
    const label_entry *a = &((const sorted_label *)pa)->e, *b = &((const sorted_label *)pb)->e;
    if (a->numeric && b->numeric) return (a->value > b->value) - (a->value < b->value);
    return strcmp(a->text, b->text);
}

mg_status mg__csv_label_sort(const label_table *t, uint32_t *rank, char ***names) {
    sorted_label *order = mg__malloc(mg__mul_size(t->n, sizeof *order));
    char **v = mg__calloc(t->n, sizeof *v);
    mg_status st = order && v ? MG_STATUS_OK : MG_STATUS_NOMEM;
    for (uint32_t i = 0; !st && i < t->n; i++) order[i] = (sorted_label){t->e[i], i};
    if (!st) qsort(order, t->n, sizeof *order, by_label);
    for (uint32_t k = 0; !st && k < t->n; k++) {
        rank[order[k].id] = k;
        if (!(v[k] = mg__strdup(order[k].e.text))) st = MG_STATUS_NOMEM;
    }
    mg__free(order);
    if (st) {
        mg__files_strvfree(v, t->n);
        v = NULL;
    }
    *names = v;
    return st;
}
