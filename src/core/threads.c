/* threads.c - the library's one thread policy: what "0 threads" means. Training, the
 * compiled replay, predictions and the optimiser all ask here. */
#define _DEFAULT_SOURCE /* getloadavg */
#include "mg_internal.h"

#include <stdlib.h>
#ifdef MG_HAVE_OPENMP
#include <omp.h>
#endif

int mg__threads(int requested) {
    if (requested > 0) return requested;
#ifdef MG_HAVE_OPENMP
    /* OpenMP's threads spin while they wait for work: one that shares a core with another
     * busy program stalls every step behind the scheduler (7 times slower, measured).
     * So "all cores" means the cores that are idle now, by the 1-minute load average. */
    int procs = omp_get_num_procs();
    double load[1];
    int busy = getloadavg(load, 1) == 1 && load[0] > 0 ? (int)(load[0] + 0.5) : 0;
    int idle = procs - busy;
    return idle < 1 ? 1 : idle;
#else
    return 1;
#endif
}
