/* hash.c - the open-addressed index of hash.h: linear probing, at most half full. */
#include "hash.h"

static uint32_t hash32(uint64_t hash) { return (uint32_t)(hash ^ (hash >> 32)); }

uint32_t mg__hindex_find(const mg__hindex *h, uint64_t hash, mg__hindex_eq eq,
                         const void *user, const void *key) {
    if (!h->cap) return UINT32_MAX;
    uint32_t hv = hash32(hash);
    size_t mask = h->cap - 1;
    for (size_t s = hv & mask; h->slot[s]; s = (s + 1) & mask) {
        uint64_t e = h->slot[s];
        if ((uint32_t)(e >> 32) == hv && eq(user, (uint32_t)e - 1, key)) return (uint32_t)e - 1;
    }
    return UINT32_MAX;
}

static void place(uint64_t *slot, size_t cap, uint64_t e) {
    size_t s = (size_t)(e >> 32) & (cap - 1);
    while (slot[s]) s = (s + 1) & (cap - 1);
    slot[s] = e;
}

int mg__hindex_add(mg__hindex *h, uint64_t hash, uint32_t entry) {
    MG_ASSERT(entry < UINT32_MAX - 1, "hash index entry out of range");
    if ((h->n + 1) * 2 > h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        uint64_t *slot = cap <= SIZE_MAX / 16 ? mg__calloc(cap, sizeof *slot) : NULL;
        if (!slot) return 0;
        for (size_t s = 0; s < h->cap; s++)
            if (h->slot[s]) place(slot, cap, h->slot[s]);
        mg__free(h->slot);
        h->slot = slot;
        h->cap = cap;
    }
    place(h->slot, h->cap, (uint64_t)hash32(hash) << 32 | (entry + 1u));
    h->n++;
    return 1;
}

void mg__hindex_free(mg__hindex *h) {
    if (!h) return;
    mg__free(h->slot);
    h->slot = NULL;
    h->cap = h->n = 0;
}
