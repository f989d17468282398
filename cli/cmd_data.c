/* cmd_data.c - `micrograd data NAME`: writes a generated dataset as CSV (x0,x1,...,label),
 * every number in its shortest exact form, so it can be read back, plotted, or compared
 * with scikit-learn's. */
#include "cli.h"

#include "generate.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define CMD "data"

typedef struct data_opts {
    const app_generator *gen;
    long samples;
    double noise;   /* NaN: the set's default */
    long classes;   /* 0: the set's default */
    uint64_t seed;
    app_rng_kind rng;
    int rng_given;
    const char *out; /* NULL: standard output */
} data_opts;

static void usage(FILE *f) {
    fprintf(f,
            "Usage: micrograd data NAME [OPTIONS]\n\n"
            "Writes a generated dataset as CSV: a header x0,x1,...,label, then one row a point,\n"
            "numbers in their shortest exact form, the label the class (0, 1, ...).\n\n"
            "NAME: moons, circles, blobs (drawn as scikit-learn 1.2's make_moons, make_circles\n"
            "and make_blobs draw), spiral, xor, yinyang (the project's own).\n\n"
            "Options:\n"
            "  -n, --samples N   points (default: 100)\n"
            "      --noise X     noise (default: moons 0.1, circles 0.1, blobs 1 (the\n"
            "                    spread), spiral 0.2, xor 0.1; yinyang has none)\n"
            "      --classes K   blobs and spiral: classes (default: 3)\n"
            "      --seed S      seed of the random numbers (default: 42)\n"
            "      --rng KIND    numpy: the Mersenne Twister seeded as np.random.seed(S)\n"
            "                    seeds it, so moons, circles and blobs are scikit-learn's\n"
            "                    (their default); xorshift: the project's generator, as\n"
            "                    `micrograd train --data NAME` uses (the others' default)\n"
            "  -o, --out FILE    write to FILE (complete or not at all) instead of the output\n"
            "  -h, --help        show this help\n\n"
            "Example: micrograd data moons --seed 1337 --noise 0.1 is what\n"
            "np.random.seed(1337); make_moons(100, noise=0.1) returns.\n");
}

static int parse_seed(const char *s, uint64_t *out) {
    long v;
    if (!app_parse_long(CMD, "--seed", s, 0, 2147483647L, &v)) return 0;
    *out = (uint64_t)v;
    return 1;
}

static int parse(int argc, char **argv, data_opts *o) {
    static const struct option longopts[] = {
        {"samples", required_argument, NULL, 'n'}, {"noise", required_argument, NULL, 'N'},
        {"classes", required_argument, NULL, 'k'}, {"seed", required_argument, NULL, 's'},
        {"rng", required_argument, NULL, 'r'},     {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    *o = (data_opts){NULL, 100, NAN, 0, 42, APP_RNG_XORSHIFT, 0, NULL};
    optind = 0; /* getopt's state from an earlier parse in this process */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":n:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': if (!app_parse_long(CMD, "--samples", optarg, 1, 100000000L, &o->samples)) return APP_USAGE; break;
        case 'N':
            if (!app_parse_double(CMD, "--noise", optarg, &o->noise)) return APP_USAGE;
            if (!(o->noise >= 0.0 && isfinite(o->noise)))
                return app_usage_error(CMD, "--noise must be finite and >= 0, got '%s'", optarg);
            break;
        case 'k': if (!app_parse_long(CMD, "--classes", optarg, 2, 1000, &o->classes)) return APP_USAGE; break;
        case 's': if (!parse_seed(optarg, &o->seed)) return APP_USAGE; break;
        case 'r':
            if (!app_rng_parse(optarg, &o->rng))
                return app_usage_error(CMD, "--rng is numpy or xorshift, not '%s'", optarg);
            o->rng_given = 1;
            break;
        case 'o': o->out = optarg; break;
        case 'h': usage(stdout); return APP_OK;
        case ':': return app_usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return app_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return app_usage_error(CMD, "which dataset? (%s)", app_generator_names());
    if (optind + 1 < argc) return app_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
    o->gen = app_generator_named(argv[optind]);
    if (!o->gen)
        return app_usage_error(CMD, "unknown dataset '%s' (%s)", argv[optind], app_generator_names());
    if (!isnan(o->noise) && isnan(o->gen->noise))
        return app_usage_error(CMD, "--noise: %s has no noise", o->gen->name);
    if (o->classes && o->gen->kind != APP_GEN_BLOBS && o->gen->kind != APP_GEN_SPIRAL)
        return app_usage_error(CMD, "--classes is for blobs and spiral, not %s", o->gen->name);
    if (!o->rng_given) o->rng = o->gen->sklearn ? APP_RNG_NUMPY : APP_RNG_XORSHIFT;
    return -1;
}

/* The rows as CSV; 0 when the stream failed. */
static int write_csv(FILE *f, const mg_dataset *d) {
    char buf[32];
    for (size_t k = 0; k < d->nfeat; k++) fprintf(f, "x%zu,", k);
    fprintf(f, "label\n");
    for (size_t i = 0; i < d->n; i++) {
        for (size_t k = 0; k < d->nfeat; k++)
            fprintf(f, "%s,", mg_fmt_repr(d->x[i * d->nfeat + k], buf, sizeof buf));
        fprintf(f, "%.0f\n", d->y[i]);
    }
    return !ferror(f);
}

int cli_cmd_data(int argc, char **argv) {
    data_opts o;
    int rc = parse(argc, argv, &o);
    if (rc >= 0) return rc;
    mg_rng rng;
    app_rng_seed(&rng, o.rng, o.seed);
    mg_err err = {0};
    mg_dataset *d = app_generate(o.gen, &rng, (size_t)o.samples, o.noise, (size_t)o.classes, &err);
    if (!d) {
        app_error("%s", err.msg);
        return err.status == MG_STATUS_INVALID ? APP_USAGE : APP_FAIL;
    }
    fprintf(stderr, "data: %s, %zu rows, seed %llu, drawn with %s\n", o.gen->name, d->n,
            (unsigned long long)o.seed,
            o.rng == APP_RNG_NUMPY ? "numpy's generator (np.random.seed), as scikit-learn draws"
                                   : "the project's xorshift generator (--rng numpy for numpy's)");
    int status = APP_OK;
    mg_outfile *out = o.out ? mg_outfile_open(o.out, &err) : NULL;
    if (o.out && !out) {
        app_error("%s", err.msg);
        status = APP_FAIL;
    } else {
        FILE *f = out ? mg_outfile_stream(out) : stdout;
        int ok = write_csv(f, d) && (out || fflush(stdout) == 0);
        if (out && !ok) {
            mg_outfile_abort(out);
            app_error("%s: cannot write", o.out);
            status = APP_FAIL;
        } else if (out && mg_outfile_commit(out, &err) != MG_STATUS_OK) {
            app_error("%s", err.msg);
            status = APP_FAIL;
        } else if (!ok) {
            app_error("cannot write the rows: %s", strerror(errno));
            status = APP_FAIL;
        }
    }
    mg_dataset_free(d);
    return status;
}
