/* threads.c - the library's one thread policy: what "0 threads" means. Training, the
 * compiled replay, predictions and the optimiser all ask here. */
#include "mg_internal.h"

#ifdef MG_HAVE_OPENMP
#include <omp.h>
#endif

int mg__threads(int requested) {
    if (requested > 0) return requested;
#ifdef MG_HAVE_OPENMP
    /* Every core. The library's workers (pool.c) spin about 100 us after a task and then
     * sleep, so one that shares a core with another busy program costs that program little
     * and the step a few percent (W3 beside a busy loop: 1.28 s an epoch on 2 threads,
     * 1.23 s on 1; alone 0.71 s against 1.14 s). An earlier rule took the 1-minute load
     * average, which counts the previous run of the same command as busy. */
    int procs = omp_get_num_procs();
    return procs < 1 ? 1 : procs;
#else
    return 1;
#endif
}
