/* collective.c - the library's side of a caller's collective (micrograd.h section 9b):
 * a copy of it with its scratch, the shares of the ranks, and agreeing on a status, so
 * that a failure on one rank stops every rank at the same point instead of leaving the
 * others waiting in an exchange. */
#include "collective.h"

#include <stdio.h>

mg__coll *mg__coll_new(const mg_collective *coll, mg_err *err) {
    if (coll->nranks < 1 || coll->rank < 0 || coll->rank >= coll->nranks || !coll->allgather) {
        mg_err_set(err, MG_STATUS_INVALID, "collective: rank %d of %d ranks%s", coll->rank,
                   coll->nranks, coll->allgather ? "" : " without an allgather");
        return NULL;
    }
    mg__coll *k = mg__calloc(1, sizeof *k);
    size_t n = (size_t)coll->nranks;
    if (k) {
        k->c = *coll;
        k->counts = mg__calloc(n, sizeof *k->counts);
        k->displs = mg__calloc(n, sizeof *k->displs);
        k->recs = mg__calloc(n, sizeof *k->recs);
        k->at = mg__calloc(n, sizeof *k->at);
        k->len = mg__calloc(n, sizeof *k->len);
    }
    if (!k || !k->counts || !k->displs || !k->recs || !k->at || !k->len) {
        mg__coll_free(k);
        mg_err_set(err, MG_STATUS_NOMEM, "collective: out of memory for %zu ranks", n);
        return NULL;
    }
    return k;
}

void mg__coll_free(mg__coll *k) {
    if (!k) return;
    mg__free(k->counts);
    mg__free(k->displs);
    mg__free(k->recs);
    mg__free(k->at);
    mg__free(k->len);
    mg__free(k);
}

void mg__coll_share(const mg__coll *k, int r, size_t n, size_t *lo, size_t *hi) {
    size_t R = (size_t)k->c.nranks;
    *lo = n * (size_t)r / R;
    *hi = n * (size_t)(r + 1) / R;
}

int mg__coll_exchange(mg__coll *k, const mg__coll_record *mine) {
    size_t R = (size_t)k->c.nranks;
    for (size_t r = 0; r < R; r++) k->counts[r] = sizeof *k->recs, k->displs[r] = r * sizeof *k->recs;
    k->recs[k->c.rank] = *mine;
    return k->c.allgather(k->c.user, k->recs, k->counts, k->displs) ? -1 : 0;
}

void mg__coll_record_init(mg__coll_record *rec, mg_status st, const mg_err *mine) {
    memset(rec, 0, sizeof *rec);
    rec->status = (int32_t)st;
    rec->bad = UINT64_MAX;
    if (st && mine) snprintf(rec->msg, sizeof rec->msg, "%s", mine->msg);
}

mg_status mg__coll_first_failure(const mg__coll *k, mg_err *err) {
    for (int r = 0; r < k->c.nranks; r++) {
        const mg__coll_record *x = &k->recs[r];
        if (x->status == MG_STATUS_OK) continue;
        char msg[sizeof x->msg];
        memcpy(msg, x->msg, sizeof msg);
        msg[sizeof msg - 1] = '\0';
        if (r == 0) return mg_err_set(err, (mg_status)x->status, "%s", msg);
        return mg_err_set(err, (mg_status)x->status, "rank %d: %s", r, msg);
    }
    return MG_STATUS_OK;
}

mg_status mg__coll_agree(mg__coll *k, mg_status st, const mg_err *mine, mg_err *err) {
    mg__coll_record rec;
    mg__coll_record_init(&rec, st, mine);
    if (mg__coll_exchange(k, &rec))
        return mg_err_set(err, MG_STATUS_IO, "rank %d: the exchange between ranks failed", k->c.rank);
    return mg__coll_first_failure(k, err);
}

int mg__coll_gather(mg__coll *k, void *buf, size_t elem) {
    for (int r = 0; r < k->c.nranks; r++) k->counts[r] = k->len[r] * elem, k->displs[r] = k->at[r] * elem;
    return k->c.allgather(k->c.user, buf, k->counts, k->displs) ? -1 : 0;
}
