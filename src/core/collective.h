/* collective.h - what the library does with a caller's mg_collective (micrograd.h section
 * 9b): one allgather of bytes, used to share a replay's sums and to agree on a status.
 * Not installed. */
#ifndef MG_COLLECTIVE_H
#define MG_COLLECTIVE_H

#include "mg_internal.h"

/* One rank's word in an agreement: its status, the first sample whose loss is not finite
 * (SIZE_MAX: none; a replay's), and its message. Fixed size, so the ranks' records lie
 * end to end in one exchange. */
typedef struct mg__coll_record {
    int32_t status;
    uint32_t pad;
    uint64_t bad;
    char msg[sizeof(((mg_err *)0)->msg)];
} mg__coll_record;

/* A caller's collective and the scratch its exchanges need, made once (so a replay or a
 * training step allocates nothing). */
typedef struct mg__coll {
    mg_collective c;
    size_t *counts, *displs; /* [nranks] the exchange's bytes */
    size_t *at, *len;        /* [nranks] a caller's ranges (mg__coll_gather) */
    mg__coll_record *recs;   /* [nranks] */
} mg__coll;

/* Copies coll into a new mg__coll; NULL with MG_STATUS_INVALID (a rank outside 0 ..
 * nranks - 1, no allgather) or MG_STATUS_NOMEM in err. */
mg__coll *mg__coll_new(const mg_collective *coll, mg_err *err);
/* Frees k; safe on NULL. */
void mg__coll_free(mg__coll *k);
/* Rank r's share [*lo, *hi) of n units: r*n/R to (r+1)*n/R, contiguous in rank order. */
void mg__coll_share(const mg__coll *k, int r, size_t n, size_t *lo, size_t *hi);
/* Every rank's record exchanged: mine goes to k->recs[rank], the others' arrive. 0, or -1
 * when the exchange failed. */
int mg__coll_exchange(mg__coll *k, const mg__coll_record *mine);
/* A record of status st with the message of mine (may be NULL when st is OK) and no bad
 * sample. */
void mg__coll_record_init(mg__coll_record *rec, mg_status st, const mg_err *mine);
/* After an exchange: the first failing rank's status with its message in err ("rank R: "
 * before it unless R is 0), or MG_STATUS_OK when every record is OK. */
mg_status mg__coll_first_failure(const mg__coll *k, mg_err *err);
/* Every rank's status exchanged; returns the first failing rank's status with its message
 * in err ("rank R: " before it unless R is 0), or MG_STATUS_OK when all are OK
 * (MG_STATUS_IO when the exchange itself failed). st and its message (in mine, may be
 * NULL when st is OK) are this rank's. */
mg_status mg__coll_agree(mg__coll *k, mg_status st, const mg_err *mine, mg_err *err);
/* Exchanges ranges of buf: rank r's part is elements [k->at[r], k->at[r] + k->len[r]) of
 * elem bytes (the caller fills at and len for all ranks, the same on every rank). 0 or
 * -1. */
int mg__coll_gather(mg__coll *k, void *buf, size_t elem);

#endif /* MG_COLLECTIVE_H */
