/* cmd_predict.c - `micrograd predict`: runs a saved model over the rows of a CSV file (or
 * Fashion-MNIST's test split) and writes its predictions as CSV, with the original class
 * labels, optional class probabilities, and the accuracy or RMSE when the rows have the
 * target. The output file appears complete or not at all. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "predict"

/* ==== options ========================================================================== */

typedef struct predict_opts {
    const char *model, *data, *out, *target;
    char delimiter;       /* 0: detect */
    mg_csv_header header;
    int proba, quiet;
    long limit;           /* 0: all rows */
    long threads;         /* 0: the idle cores */
} predict_opts;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: micrograd predict --model FILE --data FILE [OPTIONS]\n"
            "\n"
            "Runs a saved model over each row of a CSV file and writes the predictions as CSV:\n"
            "a header line 'prediction' and one line per row with the predicted class label\n"
            "(as written in the training data) or number. The file's columns are matched to\n"
            "the model's features by name when both have names (other columns are ignored),\n"
            "else by position (the model's inputs, optionally followed by the target). The\n"
            "model's standardisation is applied. When the rows include the target (the\n"
            "model's target column, or --target), the accuracy (classifiers) or the RMSE\n"
            "(regressors) goes to standard error.\n"
            "\n"
            "Options:\n"
            "  -m, --model FILE     the model file, as saved by training (required)\n"
            "  -d, --data FILE      the rows: a CSV file ('-': standard input), or\n"
            "                       'fashion-mnist' / 'fashion-mnist:DIR' for the Fashion-MNIST\n"
            "                       test split (default DIR: %s) (required)\n"
            "  -o, --out FILE       write to FILE instead of standard output; the file is\n"
            "                       replaced only once it is complete\n"
            "  -p, --proba          add a column p_CLASS per class: the softmax of the outputs,\n"
            "                       or for a one-output classifier sigmoid(output) for the\n"
            "                       second class (not for hinge-loss models, whose outputs are\n"
            "                       scores)\n"
            "  -t, --target NAME    the target column, by name or 0-based number (default: the\n"
            "                       model's target name; without a header, the column after the\n"
            "                       features)\n"
            "      --delimiter C    ',', ';' or 'tab' (default: detect from the first line)\n"
            "      --header         the first row is a header (default: detect)\n"
            "      --no-header      the first row is data\n"
            "  -n, --limit N        predict the first N rows only (default: all)\n"
            "  -q, --quiet          do not report the accuracy or RMSE\n"
            "      --threads N      threads for the forward passes (default: 0, idle cores;\n"
            "                       the predictions do not depend on it)\n"
            "  -h, --help           show this help\n"
            "\n"
            "A classifier predicts the class of its largest output, or with one output the\n"
            "second class when the output is > 0. Numbers are written exactly (they read back\n"
            "as the same double).\n"
            "\n"
            "Exit status: 0 ok; 1 an unreadable or malformed model or data file, rows that do\n"
            "not fit the model, a non-finite output; 2 a usage error.\n"
            "\n"
            "Example:\n"
            "  micrograd predict --model iris.safetensors --data iris_test.csv --proba\n",
            MG_FASHION_MNIST_DIR);
}

static int parse_options(int argc, char **argv, predict_opts *o, int *stop) {
    enum { OPT_DELIM = 256, OPT_HEADER, OPT_NO_HEADER, OPT_THREADS };
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},     {"data", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},       {"proba", no_argument, NULL, 'p'},
        {"target", required_argument, NULL, 't'},    {"delimiter", required_argument, NULL, OPT_DELIM},
        {"header", no_argument, NULL, OPT_HEADER},   {"no-header", no_argument, NULL, OPT_NO_HEADER},
        {"limit", required_argument, NULL, 'n'},     {"quiet", no_argument, NULL, 'q'},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    *stop = 1;
    int c;
    opterr = 0;
    optind = 0; /* a fresh parse (glibc: 0 resets its state entirely) */
    while ((c = getopt_long(argc, argv, ":m:d:o:pt:n:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'd': o->data = optarg; break;
        case 'o': o->out = optarg; break;
        case 'p': o->proba = 1; break;
        case 't': o->target = optarg; break;
        case 'q': o->quiet = 1; break;
        case OPT_HEADER: o->header = MG_CSV_HEADER_YES; break;
        case OPT_NO_HEADER: o->header = MG_CSV_HEADER_NO; break;
        case OPT_DELIM:
            if (!strcmp(optarg, ",") || !strcmp(optarg, ";")) o->delimiter = optarg[0];
            else if (!strcmp(optarg, "tab") || !strcmp(optarg, "\t")) o->delimiter = '\t';
            else return app_usage_error(CMD, "--delimiter must be ',', ';' or 'tab', got '%s'", optarg);
            break;
        case 'n':
            if (!app_parse_long(CMD, "--limit", optarg, 1, 1000000000L, &o->limit)) return APP_USAGE;
            break;
        case OPT_THREADS:
            if (!app_parse_long(CMD, "--threads", optarg, 0, 1024, &o->threads)) return APP_USAGE;
            break;
        case 'h': usage(stdout); return APP_OK;
        case ':': return app_usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return app_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return app_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->model) return app_usage_error(CMD, "no model: give --model FILE");
    if (!o->data) return app_usage_error(CMD, "no data: give --data FILE");
    *stop = 0;
    return APP_OK;
}

/* ==== loading the rows =================================================================== */

static mg_dataset *load_rows(const predict_opts *o, const mg_mlp *m, const mg_model_info *info,
                             mg_err *err) {
    if (!strncmp(o->data, "fashion-mnist", 13) && (!o->data[13] || o->data[13] == ':')) {
        mg_dataset *test = NULL;
        const char *dir = o->data[13] ? o->data + 14 : NULL;
        if (mg_dataset_fashion_mnist(dir, 0, (size_t)o->limit, NULL, &test, err)) return NULL;
        if (m->nin != test->nfeat || info->nclasses != test->nclasses) {
            mg_err_set(err, MG_STATUS_INVALID,
                       "%s: the model takes %zu inputs and %zu classes; Fashion-MNIST has %zu "
                       "and %zu",
                       o->model, m->nin, info->nclasses, test->nfeat, test->nclasses);
            mg_dataset_free(test);
            return NULL;
        }
        return test;
    }
    mg_csv_options opt;
    mg_csv_options_for_model(&opt, m, info);
    opt.delimiter = o->delimiter;
    opt.header = o->header;
    if (o->target) opt.target = o->target;
    return app_csv_load(o->data, &opt, err);
}

/* ==== writing =========================================================================== */

/* A CSV field: quoted when it holds a delimiter, a quote or a line break. */
static void put_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",;\t\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_number(FILE *f, double x) {
    char buf[32];
    fputs(mg_fmt_repr(x, buf, sizeof buf), f);
}

/* Class probabilities from the outputs into p[nclasses]. */
static void probabilities(const double *out, size_t nout, size_t nclasses, double *p) {
    if (nout == 1) { /* sigmoid, in the form that does not overflow */
        double z = out[0], e = exp(-fabs(z));
        p[1] = z >= 0 ? 1 / (1 + e) : e / (1 + e);
        p[0] = 1 - p[1];
        return;
    }
    double top = out[0], sum = 0;
    for (size_t k = 1; k < nout; k++) top = out[k] > top ? out[k] : top;
    for (size_t k = 0; k < nclasses; k++) sum += p[k] = exp(out[k] - top);
    for (size_t k = 0; k < nclasses; k++) p[k] /= sum;
}

static size_t predicted_class(const double *out, size_t nout) {
    if (nout == 1) return out[0] > 0;
    size_t best = 0;
    for (size_t k = 1; k < nout; k++)
        if (out[k] > out[best]) best = k;
    return best;
}

static void write_header(FILE *f, const mg_model_info *info, size_t nout, int proba) {
    if (!info->nclasses && nout > 1) {
        for (size_t k = 0; k < nout; k++) fprintf(f, "%soutput_%zu", k ? "," : "", k + 1);
    } else {
        fputs("prediction", f);
    }
    for (size_t k = 0; proba && k < info->nclasses; k++) {
        char name[300];
        snprintf(name, sizeof name, "p_%s", info->class_names[k]);
        fputc(',', f);
        put_field(f, name);
    }
    fputc('\n', f);
}

/* The running score against the targets. */
typedef struct score {
    size_t n, correct;
    double sq; /* sum of squared errors */
} score;

/* Predicts every row into f. Returns APP_OK or APP_FAIL (message printed). */
static int predict_rows(mg_ctx *ctx, mg_mlp *m, const mg_model_info *info, mg_dataset *d,
                        const predict_opts *o, FILE *f, score *sc) {
    size_t nout = mg_mlp_nout(m), n = d->n;
    if (o->limit && (size_t)o->limit < n) n = (size_t)o->limit;
    enum { BLOCK = 4096 }; /* rows run through the model at once */
    double *outs = malloc(BLOCK * nout * sizeof *outs), *p = malloc((info->nclasses + 1) * sizeof *p);
    if (!outs || !p) {
        free(outs);
        free(p);
        app_error("out of memory");
        return APP_FAIL;
    }
    mg_standardizer_apply(&info->standardize, d);
    write_header(f, info, nout, o->proba);
    int status = APP_OK;
    for (size_t i = 0; i < n && status == APP_OK; i++) {
        if (i % BLOCK == 0) {
            mg_err err = {0};
            size_t rows = n - i < BLOCK ? n - i : BLOCK;
            mg_status st = mg_mlp_predict_rows(ctx, m, rows, d->x + i * d->nfeat, outs,
                                               (int)o->threads, &err);
            if (st == MG_STATUS_NUMERIC) {
                size_t bad = 0;
                while (bad + 1 < rows * nout && isfinite(outs[bad])) bad++;
                app_error("%s: row %zu: the model's output is not finite", o->data,
                          i + bad / nout + 1);
            } else if (st) {
                app_error("%s: %s", o->data, err.msg);
            }
            if (st) {
                status = APP_FAIL;
                break;
            }
        }
        const double *out = outs + (i % BLOCK) * nout;
        if (info->nclasses) {
            size_t c = predicted_class(out, nout);
            put_field(f, info->class_names[c]);
            if (o->proba) {
                probabilities(out, nout, info->nclasses, p);
                for (size_t k = 0; k < info->nclasses; k++) {
                    fputc(',', f);
                    put_number(f, p[k]);
                }
            }
            if (d->y) sc->correct += (double)c == d->y[i];
        } else {
            for (size_t k = 0; k < nout; k++) {
                if (k) fputc(',', f);
                put_number(f, out[k]);
            }
            if (d->y) sc->sq += (out[0] - d->y[i]) * (out[0] - d->y[i]);
        }
        fputc('\n', f);
        sc->n += d->y != NULL;
    }
    free(outs);
    free(p);
    return status;
}

/* ==== the command ======================================================================== */

static void report(const mg_model_info *info, const score *sc, size_t nrows) {
    if (!sc->n) return;
    if (info->nclasses)
        fprintf(stderr, "accuracy %.6f (%zu of %zu rows)\n", (double)sc->correct / (double)sc->n,
                sc->correct, sc->n);
    else
        fprintf(stderr, "rmse %.6g (%zu rows)\n", sqrt(sc->sq / (double)sc->n), nrows);
}

int cli_cmd_predict(int argc, char **argv) {
    predict_opts o;
    int stop, status = parse_options(argc, argv, &o, &stop);
    if (stop) return status;
    app_model cm;
    if ((status = app_model_load(o.model, &cm)) != APP_OK) return status;
    mg_err err = {0};
    mg_dataset *d = NULL;
    const mg_model_info *info = &cm.info;
    if (o.proba && !info->nclasses) {
        status = app_usage_error(CMD, "--proba needs a classifier; %s predicts numbers", o.model);
    } else if (o.proba && info->has_loss && info->loss == MG_LOSS_KIND_HINGE) {
        status = app_usage_error(CMD, "--proba: %s was trained with the hinge loss; its outputs "
                                      "are scores, not probabilities", o.model);
    } else if (!(d = load_rows(&o, cm.m, info, &err))) {
        app_error("%s", err.msg);
        status = APP_FAIL;
    } else {
        score sc = {0, 0, 0};
        /* --out: complete or not at all, through the library's file writer. */
        mg_outfile *out = o.out ? mg_outfile_open(o.out, &err) : NULL;
        if (o.out && !out) {
            app_error("%s", err.msg);
            status = APP_FAIL;
        } else {
            FILE *f = out ? mg_outfile_stream(out) : stdout;
            status = predict_rows(cm.ctx, cm.m, info, d, &o, f, &sc);
            if (out && status != APP_OK) {
                mg_outfile_abort(out);
            } else if (out && mg_outfile_commit(out, &err)) {
                app_error("%s", err.msg);
                status = APP_FAIL;
            } else if (!out && (fflush(stdout) != 0 || ferror(stdout))) {
                app_error("cannot write the predictions: %s", strerror(errno));
                status = APP_FAIL;
            }
        }
        if (status == APP_OK && !o.quiet) report(info, &sc, sc.n);
    }
    mg_dataset_free(d);
    app_model_free(&cm);
    return status;
}
