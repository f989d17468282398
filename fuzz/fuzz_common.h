/* fuzz_common.h - what the libFuzzer harnesses share: a private temporary directory per
 * process (removed at exit), writing an input to a file in it, and the entry points'
 * prototypes. Header-only, so each fuzz/fuzz_*.c stays one translation unit. */
#ifndef MG_FUZZ_COMMON_H
#define MG_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* ==== a temporary directory per process ================================================== */

/* Under $MG_FUZZ_TMP when set (scripts/fuzz.sh gives each run a directory of its own and
 * removes it afterwards, since a crash skips the atexit cleanup), else /dev/shm when there
 * is one: the loaders read real files, and a RAM-backed directory keeps tens of thousands
 * of writes per second off the disk. */
static char fz_dir[1024];

static inline void fz_cleanup(void) {
    if (!fz_dir[0]) return;
    DIR *d = opendir(fz_dir);
    if (d) {
        struct dirent *e;
        char p[1100];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", fz_dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(fz_dir);
    fz_dir[0] = '\0';
}

static inline void fz_init_dir(void) {
    if (fz_dir[0]) return;
    const char *env = getenv("MG_FUZZ_TMP");
    const char *bases[3] = {env && *env && strlen(env) < 900 ? env : "/dev/shm", "/dev/shm", "/tmp"};
    for (int i = 0; i < 3 && !fz_dir[0]; i++) {
        snprintf(fz_dir, sizeof fz_dir, "%s/mg-fuzz-XXXXXX", bases[i]);
        if (!mkdtemp(fz_dir)) fz_dir[0] = '\0';
    }
    if (!fz_dir[0]) {
        perror("fuzz: cannot make a temporary directory");
        abort();
    }
    atexit(fz_cleanup);
}

/* The path of `name` in the directory, in a static buffer per slot (0 .. 3). */
static inline const char *fz_path(int slot, const char *name) {
    static char paths[4][1100];
    fz_init_dir();
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", fz_dir, name);
    return paths[slot];
}

/* Writes len bytes to path; aborts when it cannot (a harness problem, not a finding). */
static inline void fz_write(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f)) {
        perror(path);
        abort();
    }
}

/* MG_FUZZ_VERBOSE=1 in the environment prints each input's outcome (to see what seeds
 * reach); read once. */
static inline int fz_verbose(void) {
    static int v = -1;
    if (v < 0) v = getenv("MG_FUZZ_VERBOSE") != NULL;
    return v;
}

/* A failed invariant of the code under test: say which and crash, so libFuzzer keeps the
 * input. */
#define FZ_CHECK(cond, ...)                                                                 \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz: %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

#endif /* MG_FUZZ_COMMON_H */
