/* ranks.c - the command's ranks over MPI (see ranks.h). Built with MG_HAVE_MPI when CMake finds
 * MPI; without it every function is the one-rank answer. */
#include "ranks.h"

#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MG_HAVE_MPI
#include <limits.h>
#include <mpi.h>
#include <time.h>

static struct {
    int started, rank, size, local;
    int *counts, *displs;    /* [size] an allgather's, in bytes */
    mg_collective coll;
    double seconds;          /* in exchanges */
    uint64_t calls, bytes;
} R = {0, 0, 1, 1, NULL, NULL, {0, 1, NULL, NULL}, 0.0, 0, 0};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* mg_collective.allgather: MPI_Allgatherv of bytes in place. */
static int allgather(void *user, void *buf, const size_t *counts, const size_t *displs) {
    (void)user;
    for (int r = 0; r < R.size; r++) {
        if (counts[r] > INT_MAX || displs[r] > INT_MAX) return -1;
        R.counts[r] = (int)counts[r], R.displs[r] = (int)displs[r];
    }
    double t0 = now();
    int rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, R.counts, R.displs, MPI_BYTE,
                            MPI_COMM_WORLD);
    R.seconds += now() - t0;
    R.calls++;
    R.bytes += counts[R.rank];
    return rc == MPI_SUCCESS ? 0 : -1;
}

/* Started by a launcher: Open MPI's mpirun, or a PMI/PMIx one (MPICH's, Slurm's). */
static int launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

int app_mpi_built(void) { return 1; }

const char *app_mpi_describe(void) {
    static char buf[MPI_MAX_LIBRARY_VERSION_STRING + 8];
    char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(v, &len);
    char *nl = strchr(v, ',');
    if (nl) *nl = '\0';
    snprintf(buf, sizeof buf, "yes (%s)", v);
    return buf;
}

int app_mpi_init(void) {
    if (R.started || !launched()) return 0;
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        app_error("MPI did not start");
        return -1;
    }
    R.started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &R.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &R.size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &R.local);
    MPI_Comm_free(&local);
    R.counts = calloc((size_t)R.size, sizeof *R.counts);
    R.displs = calloc((size_t)R.size, sizeof *R.displs);
    if (!R.counts || !R.displs) {
        app_error("out of memory");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    R.coll = (mg_collective){R.rank, R.size, NULL, allgather};
    if (R.rank != 0) { /* rank 0 speaks for all */
        if (!freopen("/dev/null", "w", stdout)) return -1;
        if (!getenv("MICROGRAD_RANKS_STDERR") && !freopen("/dev/null", "w", stderr)) return -1;
    }
    return 0;
}

void app_mpi_finalize(void) {
    if (!R.started) return;
    MPI_Finalize();
    free(R.counts);
    free(R.displs);
    R.counts = R.displs = NULL;
    R.started = 0;
}

int app_mpi_rank(void) { return R.rank; }
int app_mpi_size(void) { return R.size; }
int app_mpi_local_size(void) { return R.local; }
const mg_collective *app_mpi_collective(void) { return R.size > 1 ? &R.coll : NULL; }

void app_mpi_max(int *v, int n) {
    if (R.size > 1) MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
}

int app_mpi_agree(int status) {
    if (R.size <= 1) return status;
    struct { int status; char msg[1020]; } mine, *all = calloc((size_t)R.size, sizeof mine);
    if (!all) {
        app_error("out of memory");
        MPI_Abort(MPI_COMM_WORLD, 1);
        return 1;
    }
    memset(&mine, 0, sizeof mine);
    mine.status = status;
    if (status) snprintf(mine.msg, sizeof mine.msg, "%s", app_last_error());
    MPI_Allgather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, MPI_COMM_WORLD);
    int agreed = 0;
    for (int r = 0; r < R.size && !agreed; r++) {
        if (!all[r].status) continue;
        agreed = all[r].status;
        if (r != R.rank && R.rank == 0 && !status) app_error("rank %d: %s", r, all[r].msg);
    }
    free(all);
    return agreed;
}

int app_mpi_differs(uint64_t h) {
    if (R.size <= 1) return -1;
    uint64_t *all = calloc((size_t)R.size, sizeof *all);
    if (!all) {
        app_error("out of memory");
        MPI_Abort(MPI_COMM_WORLD, 1);
        return 0;
    }
    MPI_Allgather(&h, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    int bad = -1;
    for (int r = 1; r < R.size && bad < 0; r++)
        if (all[r] != all[0]) bad = r;
    free(all);
    return bad;
}

void app_mpi_stats(double *seconds, uint64_t *calls, uint64_t *bytes) {
    *seconds = R.seconds, *calls = R.calls, *bytes = R.bytes;
}

#else /* no MPI in this build: one rank */

int app_mpi_built(void) { return 0; }
const char *app_mpi_describe(void) {
    return "no (this build has no MPI: install libopenmpi-dev and rebuild)";
}
int app_mpi_init(void) {
    if (getenv("OMPI_COMM_WORLD_SIZE") && strcmp(getenv("OMPI_COMM_WORLD_SIZE"), "1"))
        fprintf(stderr, "micrograd: warning: started by mpirun, but this build has no MPI: each "
                        "process trains alone (install libopenmpi-dev and rebuild)\n");
    return 0;
}
void app_mpi_finalize(void) {}
int app_mpi_rank(void) { return 0; }
int app_mpi_size(void) { return 1; }
int app_mpi_local_size(void) { return 1; }
const mg_collective *app_mpi_collective(void) { return NULL; }
void app_mpi_max(int *v, int n) {
    (void)v, (void)n;
}
int app_mpi_agree(int status) { return status; }
int app_mpi_differs(uint64_t h) {
    (void)h;
    return -1;
}
void app_mpi_stats(double *seconds, uint64_t *calls, uint64_t *bytes) {
    *seconds = 0.0, *calls = 0, *bytes = 0;
}

#endif
