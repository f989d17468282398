/* pg_native.c - the playground's C API (playground/pg.c) compiled natively: runs a session
 * as the page would and prints every step's numbers as JSON, for the Node test to hold the
 * WebAssembly module to, step by step.
 *
 *   pg_native [NAME=VALUE ...] CHUNK[,CHUNK...]
 *
 * NAME=VALUE are pg_set's options; the chunks are the step counts of successive pg_train
 * calls. Prints {"command": ..., "losses": [each step's batch loss], "chunks": [{"steps",
 * "train_loss", "train_accuracy", "val_loss", "val_accuracy"} after each chunk], "grid": the
 * model's outputs over pg_grid(9, 7, -1.5, 2.5, -1, 1.5) at the end, "graph": pg_graph of
 * training row 1 at the end}. Exit 0, or 1 with the session's error on stderr. */
#include "pg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void number(double x) {
    if (isfinite(x)) printf("%.17g", x);
    else printf("null");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pg_native [NAME=VALUE ...] CHUNK[,CHUNK...]\n");
        return 2;
    }
    pg_session *s = pg_new();
    if (!s) return 1;
    for (int i = 1; i < argc - 1; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "pg_native: expected NAME=VALUE, got '%s'\n", argv[i]);
            return 2;
        }
        *eq = '\0';
        if (pg_set(s, argv[i], eq + 1)) {
            fprintf(stderr, "pg_native: %s\n", pg_error(s));
            return 1;
        }
    }
    if (pg_reset(s)) {
        fprintf(stderr, "pg_native: %s\n", pg_error(s));
        return 1;
    }
    enum { MAX_CHUNKS = 1024 };
    static double m[MAX_CHUNKS][4];
    static size_t steps[MAX_CHUNKS];
    size_t nchunks = 0, nloss = 0;
    printf("{\"losses\":[");
    for (char *p = argv[argc - 1]; *p;) {
        char *end;
        unsigned long n = strtoul(p, &end, 10);
        if (end == p || (*end && *end != ',') || nchunks == MAX_CHUNKS) {
            fprintf(stderr, "pg_native: bad chunk list '%s'\n", argv[argc - 1]);
            return 2;
        }
        p = *end ? end + 1 : end;
        if (pg_train(s, n)) {
            fprintf(stderr, "pg_native: %s\n", pg_error(s));
            return 1;
        }
        const double *l = pg_step_losses(s);
        for (size_t k = 0; k < pg_nstep_losses(s); k++) {
            printf("%s", nloss++ ? "," : "");
            number(l[k]);
        }
        steps[nchunks] = pg_steps(s);
        m[nchunks][0] = pg_loss(s, PG_TRAIN), m[nchunks][1] = pg_accuracy(s, PG_TRAIN);
        m[nchunks][2] = pg_loss(s, PG_VAL), m[nchunks][3] = pg_accuracy(s, PG_VAL);
        nchunks++;
    }
    static const char *names[4] = {"train_loss", "train_accuracy", "val_loss", "val_accuracy"};
    printf("],\"chunks\":[");
    for (size_t c = 0; c < nchunks; c++) {
        printf("%s{\"steps\":%zu", c ? "," : "", steps[c]);
        for (int k = 0; k < 4; k++) {
            printf(",\"%s\":", names[k]);
            number(m[c][k]);
        }
        printf("}");
    }
    const double *grid = pg_grid(s, 9, 7, -1.5, 2.5, -1.0, 1.5);
    const char *graph = pg_graph(s, PG_TRAIN, 1);
    if (!grid || !graph) {
        fprintf(stderr, "pg_native: %s\n", pg_error(s));
        return 1;
    }
    printf("],\"grid\":[");
    for (size_t k = 0; k < 9 * 7 * pg_nout(s); k++) {
        printf("%s", k ? "," : "");
        number(grid[k]);
    }
    printf("],\"graph\":%s,\"command\":\"%s\"}\n", graph, pg_command(s));
    pg_free(s);
    return 0;
}
