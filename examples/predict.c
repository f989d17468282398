/* predict.c - use a model that `micrograd train --save` wrote, from C: a complete program
 * to copy. It loads the model file given as its argument, reads CSV rows of raw features
 * from standard input (a header row names the columns; they are matched to the model's
 * features by name, other columns are ignored), and prints one predicted label (a
 * classifier) or value in the target's units (a regressor) per row.
 *
 *     micrograd train --data iris.csv --save iris.safetensors
 *     printf 'sepal_length,sepal_width,petal_length,petal_width\n5.0,3.4,1.5,0.2\n' \
 *         | ./predict iris.safetensors
 *     setosa
 *
 * Build: cc predict.c $(pkg-config --cflags --libs micrograd) -o predict
 * (or in CMake: find_package(micrograd) and target_link_libraries(predict
 * micrograd::micrograd)). */
#include <micrograd.h>

#include <stdio.h>
#include <stdlib.h>

/* All of standard input, NUL-terminated; NULL when it cannot be read. */
static char *read_stdin(size_t *len) {
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, stdin)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *more = realloc(buf, cap *= 2);
            if (!more) free(buf);
            buf = more;
        }
    }
    if (buf) buf[n] = '\0';
    *len = n;
    return buf;
}

/* Predicts every row of csv (len bytes) with the model in `path`; 0 on success. */
static int predict(const char *path, const char *csv, size_t len) {
    mg_err err = {0};
    mg_ctx *ctx = mg_ctx_new();
    mg_model_info info;
    mg_mlp *m = ctx ? mg_model_load(path, ctx, &info, &err) : NULL;
    mg_predictor *p = m ? mg_predictor_new(ctx, m, &info, &err) : NULL;
    mg_dataset *rows = NULL;
    if (p) {
        /* The rows laid out as the model's inputs: its features by name, in its order;
         * columns training left out are left out. */
        mg_csv_options opt;
        mg_csv_options_for_model(&opt, m, &info);
        rows = mg_csv_parse(csv, len, "<stdin>", &opt, &err);
    }
    for (size_t i = 0; rows && i < rows->n; i++) {
        mg_prediction r;
        if (mg_predictor_run(p, rows->x + i * rows->nfeat, &r, &err) != MG_STATUS_OK) break;
        if (r.label) printf("%s\n", r.label); /* a class, as written in the training data */
        else printf("%.10g\n", r.value);      /* a number, in the target's own units */
    }
    int failed = err.status != MG_STATUS_OK || !ctx;
    if (failed) fprintf(stderr, "predict: %s\n", ctx ? err.msg : "out of memory");
    mg_dataset_free(rows);
    mg_predictor_free(p);
    if (m) mg_model_info_free(&info);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
    return failed;
}

int main(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: predict MODEL_FILE < rows.csv\n");
        return 2;
    }
    size_t len;
    char *csv = read_stdin(&len);
    if (!csv) {
        fprintf(stderr, "predict: cannot read standard input\n");
        return 1;
    }
    int failed = predict(argv[1], csv, len);
    free(csv);
    return failed;
}
