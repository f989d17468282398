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
    char **keep;          /* --keep's columns (one block), or NULL */
    size_t nkeep;
    char delimiter;       /* 0: detect */
    char decimal;         /* 0: detect */
    mg_csv_header header;
    int proba, quiet;
    long limit;           /* 0: all rows */
    long threads;         /* 0: one a core */
} predict_opts;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: micrograd predict --model FILE --data FILE [OPTIONS]\n"
            "\n"
            "Runs a saved model over each row of a CSV file and writes the predictions as CSV:\n"
            "a header line 'prediction' and one line per row with the predicted class label\n"
            "(as written in the training data) or number (in the target's own units). The\n"
            "file's columns are matched to the model's features by name when both have names\n"
            "(other columns, and those training left out, are ignored), else by position (the\n"
            "model's inputs, optionally followed by the target). The model's standardisation\n"
            "is applied. When the rows include the target (the model's target column, or\n"
            "--target), the accuracy (classifiers) or the RMSE and MAE (regressors) go to\n"
            "standard error.\n"
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
            "  -k, --keep COLS      copy these columns (names or 0-based numbers, separated by\n"
            "                       commas: an id) into the output, before the prediction\n"
            "  -t, --target NAME    the target column, by name or 0-based number (default: the\n"
            "                       model's target name; without a header, the column after the\n"
            "                       features)\n"
            "      --delimiter C    ',', ';' or 'tab' (default: detect from the first line)\n"
            "      --decimal C      the decimal mark, '.' or ',' (default: detect)\n"
            "      --header         the first row is a header (default: detect)\n"
            "      --no-header      the first row is data\n"
            "  -n, --limit N        predict the first N rows only (default: all)\n"
            "  -q, --quiet          do not report the accuracy or RMSE\n"
            "      --threads N      threads for the forward passes (default: 0, one a core;\n"
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
    enum { OPT_DELIM = 256, OPT_HEADER, OPT_NO_HEADER, OPT_THREADS, OPT_DECIMAL };
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},     {"data", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},       {"proba", no_argument, NULL, 'p'},
        {"target", required_argument, NULL, 't'},    {"delimiter", required_argument, NULL, OPT_DELIM},
        {"header", no_argument, NULL, OPT_HEADER},   {"no-header", no_argument, NULL, OPT_NO_HEADER},
        {"limit", required_argument, NULL, 'n'},     {"quiet", no_argument, NULL, 'q'},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"keep", required_argument, NULL, 'k'},      {"decimal", required_argument, NULL, OPT_DECIMAL},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    *stop = 1;
    int c;
    opterr = 0;
    optind = 0; /* a fresh parse (glibc: 0 resets its state entirely) */
    while ((c = getopt_long(argc, argv, ":m:d:o:pk:t:n:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'd': o->data = optarg; break;
        case 'o': o->out = optarg; break;
        case 'p': o->proba = 1; break;
        case 'k':
            free(o->keep);
            if (!(o->keep = app_parse_columns(CMD, "--keep", optarg, &o->nkeep))) return APP_USAGE;
            break;
        case OPT_DECIMAL:
            if (strcmp(optarg, ".") && strcmp(optarg, ","))
                return app_usage_error(CMD, "--decimal must be '.' or ',', got '%s'", optarg);
            o->decimal = optarg[0];
            break;
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
    if (o->nkeep && !strncmp(o->data, "fashion-mnist", 13))
        return app_usage_error(CMD, "--keep is for CSV files: Fashion-MNIST has no columns to keep");
    *stop = 0;
    return APP_OK;
}

/* ==== loading the rows =================================================================== */

static mg_dataset *load_rows(const predict_opts *o, const mg_mlp *m, const mg_model_info *info,
                             mg_csv_report *rep, mg_err *err) {
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
    opt.decimal = o->decimal;
    opt.header = o->header;
    opt.keep = (const char *const *)o->keep, opt.nkeep = o->nkeep;
    opt.report = rep;
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

static void write_header(FILE *f, const predict_opts *o, const mg_model_info *info, size_t nout) {
    for (size_t k = 0; k < o->nkeep; k++) {
        put_field(f, o->keep[k]);
        fputc(',', f);
    }
    if (!info->nclasses && nout > 1) {
        for (size_t k = 0; k < nout; k++) fprintf(f, "%soutput_%zu", k ? "," : "", k + 1);
    } else {
        fputs("prediction", f);
    }
    for (size_t k = 0; o->proba && k < info->nclasses; k++) {
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
    double sq, abs; /* sums of squared and absolute errors */
} score;

/* One row's line: the kept cells, the prediction (and probabilities), scored against the
 * row's target when it has one. */
static void write_row(FILE *f, const predict_opts *o, const mg_dataset *d, const mg_csv_report *rep,
                      size_t i, const mg_prediction *r, score *sc) {
    for (size_t k = 0; k < o->nkeep; k++) {
        put_field(f, rep->kept[i * o->nkeep + k]);
        fputc(',', f);
    }
    if (r->label) {
        put_field(f, r->label);
        for (size_t k = 0; o->proba && k < r->nproba; k++) {
            fputc(',', f);
            put_number(f, r->proba[k]);
        }
        if (d->y) sc->correct += (double)r->cls == d->y[i];
    } else {
        for (size_t k = 0; k < r->nout; k++) {
            if (k) fputc(',', f);
            put_number(f, r->outputs[k]);
        }
        if (d->y) sc->sq += (r->value - d->y[i]) * (r->value - d->y[i]), sc->abs += fabs(r->value - d->y[i]);
    }
    fputc('\n', f);
    sc->n += d->y != NULL;
}

/* Runs the standardised rows i0 .. i0+rows-1 through the network into outs. APP_OK or
 * APP_FAIL (message printed). */
static int run_block(mg_ctx *ctx, const mg_mlp *m, const mg_dataset *d, const predict_opts *o,
                     size_t i0, size_t rows, double *outs) {
    mg_err err = {0};
    size_t nout = mg_mlp_nout(m);
    mg_status st = mg_mlp_predict_rows(ctx, m, rows, d->x + i0 * d->nfeat, outs, (int)o->threads,
                                       &err);
    if (st == MG_STATUS_NUMERIC) {
        size_t bad = 0;
        while (bad + 1 < rows * nout && isfinite(outs[bad])) bad++;
        app_error("%s: row %zu: the model's output is not finite", o->data, i0 + bad / nout + 1);
    } else if (st) {
        app_error("%s: %s", o->data, err.msg);
    }
    return st ? APP_FAIL : APP_OK;
}

/* Predicts every row into f, the network's outputs read by the library's predictor
 * (labels, probabilities, values in the target's units). APP_OK or APP_FAIL. */
static int predict_rows(mg_ctx *ctx, mg_mlp *m, const mg_model_info *info, mg_dataset *d,
                        const mg_csv_report *rep, const predict_opts *o, FILE *f, score *sc) {
    size_t nout = mg_mlp_nout(m), n = d->n;
    if (o->limit && (size_t)o->limit < n) n = (size_t)o->limit;
    enum { BLOCK = 4096 }; /* rows run through the model at once */
    mg_err err = {0};
    double *outs = malloc(BLOCK * nout * sizeof *outs);
    mg_predictor *p = outs ? mg_predictor_new(ctx, m, info, &err) : NULL;
    if (!p) {
        app_error("%s", outs ? err.msg : "out of memory");
        free(outs);
        return APP_FAIL;
    }
    mg_standardizer_apply(&info->standardize, d);
    write_header(f, o, info, nout);
    int status = APP_OK;
    for (size_t i = 0; i < n && status == APP_OK; i++) {
        if (i % BLOCK == 0) status = run_block(ctx, m, d, o, i, n - i < BLOCK ? n - i : BLOCK, outs);
        if (status != APP_OK) break;
        mg_prediction r;
        mg_predictor_decode(p, outs + (i % BLOCK) * nout, &r);
        write_row(f, o, d, rep, i, &r, sc);
    }
    mg_predictor_free(p);
    free(outs);
    return status;
}

/* ==== the command ======================================================================== */

static void report(const mg_model_info *info, const score *sc) {
    if (!sc->n) return;
    if (info->nclasses)
        fprintf(stderr, "accuracy %.6f (%zu of %zu rows)\n", (double)sc->correct / (double)sc->n,
                sc->correct, sc->n);
    else
        fprintf(stderr, "rmse %.6g, mae %.6g (%zu rows)\n", sqrt(sc->sq / (double)sc->n),
                sc->abs / (double)sc->n, sc->n);
}

/* The predictions to --out (complete or not at all, through the library's file writer)
 * or standard output. APP_OK or APP_FAIL. */
static int write_predictions(const predict_opts *o, app_model *cm, mg_dataset *d,
                             const mg_csv_report *rep, score *sc) {
    mg_err err = {0};
    mg_outfile *out = o->out ? mg_outfile_open(o->out, &err) : NULL;
    if (o->out && !out) {
        app_error("%s", err.msg);
        return APP_FAIL;
    }
    FILE *f = out ? mg_outfile_stream(out) : stdout;
    int status = predict_rows(cm->ctx, cm->m, &cm->info, d, rep, o, f, sc);
    if (out && status != APP_OK) {
        mg_outfile_abort(out);
    } else if (out && mg_outfile_commit(out, &err)) {
        app_error("%s", err.msg);
        status = APP_FAIL;
    } else if (!out && (fflush(stdout) != 0 || ferror(stdout))) {
        app_error("cannot write the predictions: %s", strerror(errno));
        status = APP_FAIL;
    }
    return status;
}

int cli_cmd_predict(int argc, char **argv) {
    predict_opts o;
    int stop, status = parse_options(argc, argv, &o, &stop);
    app_model cm;
    if (stop || (status = app_model_load(o.model, &cm)) != APP_OK) {
        free(o.keep);
        return status;
    }
    mg_err err = {0};
    mg_dataset *d = NULL;
    mg_csv_report rep;
    memset(&rep, 0, sizeof rep);
    const mg_model_info *info = &cm.info;
    if (o.proba && !info->nclasses) {
        status = app_usage_error(CMD, "--proba needs a classifier; %s predicts numbers", o.model);
    } else if (o.proba && info->has_loss && info->loss == MG_LOSS_KIND_HINGE) {
        status = app_usage_error(CMD, "--proba: %s was trained with the hinge loss; its outputs "
                                      "are scores, not probabilities", o.model);
    } else if (!(d = load_rows(&o, cm.m, info, &rep, &err))) {
        app_error("%s", err.msg);
        status = APP_FAIL;
    } else {
        score sc = {0, 0, 0, 0};
        status = write_predictions(&o, &cm, d, &rep, &sc);
        if (status == APP_OK && !o.quiet) report(info, &sc);
    }
    mg_csv_report_free(&rep);
    mg_dataset_free(d);
    app_model_free(&cm);
    free(o.keep);
    return status;
}
