/* train_ranks.c - `mpirun -np N micrograd train`: what the command does differently on
 * ranks (app/ranks.c starts MPI; the library shares the work, micrograd.h section 9b).
 * Every rank reads the data itself (a hostfile run needs the same file at the same path
 * on every machine): reading a file is cheaper than sending 60000 images, and the
 * command's loading stays one code path. A checksum of what each rank loaded is compared
 * before training, so different files are refused instead of training on a mixture.
 * Rank 0 alone prints, checkpoints, saves and plots. */
#include "train_internal.h"

#include "ranks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* FNV-1a over 8-byte words (the tail byte by byte): fast enough for 47 million pixels. */
static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        uint64_t w;
        memcpy(&w, b + k, 8);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    for (; k < n; k++) h = (h ^ b[k]) * 0x100000001b3ULL;
    return h;
}

static uint64_t mix_set(uint64_t h, const mg_dataset *d) {
    size_t head[3] = {d ? d->n : 0, d ? d->nfeat : 0, d ? d->nclasses : 0};
    h = mix(h, head, sizeof head);
    if (!d) return h;
    h = mix(h, d->x, d->n * d->nfeat * sizeof *d->x);
    return mix(h, d->y, d->n * sizeof *d->y);
}

void train_ranks_options(train_opts *o) {
    if (app_mpi_size() <= 1) return;
    if (app_mpi_rank() != 0) { /* rank 0 writes every file */
        o->save = o->plot = o->checkpoint = NULL;
        o->quiet = 1;
    }
    if (o->threads == 0) { /* the cores shared among this machine's ranks */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        long per = cores > 0 ? cores / app_mpi_local_size() : 1;
        o->threads = per >= 1 ? (int)per : 1;
    }
}

int train_ranks_check(const train_opts *o, const train_data *d) {
    if (app_mpi_size() <= 1) return APP_OK;
    uint64_t h = 0xcbf29ce484222325ULL;
    h = mix_set(h, d->train);
    h = mix_set(h, d->val);
    h = mix_set(h, d->test);
    int bad = app_mpi_differs(h);
    if (bad < 0) return APP_OK;
    app_error("train: rank %d's data differ from rank 0's (%s: a checksum of the rows and "
              "targets each rank loaded): every rank must read the same data (on several "
              "machines, the same file at the same path on each)", bad, o->data);
    return APP_FAIL;
}

void train_ranks_report(size_t steps) {
    if (app_mpi_size() <= 1 || !getenv("MICROGRAD_MPI_STATS") || steps == 0) return;
    double s;
    uint64_t calls, bytes;
    app_mpi_stats(&s, &calls, &bytes);
    fprintf(stderr, "mpi: %d ranks, %zu steps, %.1f exchanges a step, %.0f bytes sent by rank 0 "
                    "a step, %.3f ms a step in exchanges on rank 0\n",
            app_mpi_size(), steps, (double)calls / (double)steps, (double)bytes / (double)steps,
            1e3 * s / (double)steps);
}
