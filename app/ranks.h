/* ranks.h - the command's ranks: MPI when the build has it (CMake found libopenmpi-dev) and
 * the command was started by mpirun, else one rank. The library knows nothing of MPI: it
 * takes the collective this gives (mg_collective, micrograd.h section 9b). Only
 * `micrograd train` uses ranks. */
#ifndef MG_APP_MPI_H
#define MG_APP_MPI_H

#include <micrograd.h>

#include <stdint.h>

/* 1 when the build has MPI. */
int app_mpi_built(void);
/* What --version says about MPI: "yes (<library version>)" or "no (...)". */
const char *app_mpi_describe(void);
/* Starts MPI when the process was started by an MPI launcher (mpirun's environment) and
 * the build has it; else one rank. Ranks other than 0 send their standard output and
 * error to /dev/null: rank 0 alone prints (MICROGRAD_RANKS_STDERR set in the environment
 * keeps every rank's standard error, for debugging). 0, or -1 when MPI failed to start (said). */
int app_mpi_init(void);
/* Ends MPI (when started). Safe to call always. */
void app_mpi_finalize(void);
int app_mpi_rank(void);
int app_mpi_size(void);
/* Ranks on this machine (1 without MPI). */
int app_mpi_local_size(void);
/* The collective for mg_train (MPI_Allgatherv), or NULL for one rank. */
const mg_collective *app_mpi_collective(void);
/* v[k] = the largest of every rank's v[k], k < n (unchanged for one rank). */
void app_mpi_max(int *v, int n);
/* Every rank's exit status agreed: the first failing rank's status on every rank, and on
 * rank 0 that rank's message ("rank R: ...", from app_last_error) printed when it is not
 * rank 0's own. status itself for one rank. */
int app_mpi_agree(int status);
/* -1 when every rank's h is the same, else the first rank whose h differs from rank 0's. */
int app_mpi_differs(uint64_t h);
/* Time spent in the collective's exchanges, their count and the bytes this rank sent. */
void app_mpi_stats(double *seconds, uint64_t *calls, uint64_t *bytes);

#endif
