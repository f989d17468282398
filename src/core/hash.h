/* hash.h - the library's one hash table: FNV-1a hashing, and an open-addressed index of
 * entry numbers whose entries live in the caller's own array. The table keeps each
 * entry's hash beside its number, so it grows without asking the caller to hash again;
 * the caller says when two entries are equal. Used for a CSV file's class labels, a
 * script's names, the formula printer's names and the compiler's dense layers. */
#ifndef MG_HASH_H
#define MG_HASH_H

#include "mg_internal.h"

#define MG__FNV_INIT 1469598103934665603u

/* FNV-1a of n bytes, continuing from h (start with MG__FNV_INIT). */
static inline uint64_t mg__fnv1a(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211u;
    return h;
}

/* Slots hold (hash << 32 | (entry + 1)); 0 is an empty slot. Zero-initialise to start. */
typedef struct mg__hindex {
    uint64_t *slot; /* [cap], cap a power of two */
    size_t cap;
    size_t n;       /* entries added */
} mg__hindex;

/* Is `entry` (an index into the caller's array) equal to `key`? */
typedef int (*mg__hindex_eq)(const void *user, uint32_t entry, const void *key);

/* The entry equal to key among those added with the same hash, or UINT32_MAX. */
uint32_t mg__hindex_find(const mg__hindex *h, uint64_t hash, mg__hindex_eq eq,
                         const void *user, const void *key);
/* Adds entry (< UINT32_MAX - 1) under hash; the caller has checked it is not there.
 * Grows the table to keep it at most half full. 1, or 0 when out of memory (nothing
 * changed). */
int mg__hindex_add(mg__hindex *h, uint64_t hash, uint32_t entry);
/* Frees the slots and empties h. Safe on NULL. */
void mg__hindex_free(mg__hindex *h);

#endif
