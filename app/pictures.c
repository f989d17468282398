/* pictures.c - loss curves and decision boundaries after training (see pictures.h). */
#include "pictures.h"

#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ==== the directory ====================================================================== */

int pictures_make_dir(const char *who, const char *opt, const char *dir) {
    struct stat st;
    if (mkdir(dir, 0777) == 0) return 1;
    int e = errno;
    if (e == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return 1;
    app_error("%s: %s %s: cannot make the directory: %s", who, opt, dir,
              e == EEXIST ? "a file of that name exists" : strerror(e));
    return 0;
}

/* ==== the decision boundary =============================================================== */

typedef struct boundary_user {
    mg_ctx *ctx;
    mg_mlp *model;
    const mg_standardizer *standardize;
    int failed;
} boundary_user;

/* The model's outputs at the raw point (x, y), for mg_plot_boundary. */
static void boundary_score(void *user, double x, double y, double *out, size_t nout) {
    boundary_user *u = user;
    double in[2] = {x, y};
    if (u->standardize && u->standardize->nfeat == 2) mg_standardizer_apply_row(u->standardize, in);
    if (mg_mlp_predict(u->ctx, u->model, in, out, NULL) != MG_STATUS_OK) {
        u->failed = 1;
        for (size_t k = 0; k < nout; k++) out[k] = 0.0;
    }
}

static int write_boundary(const pictures *p, const char *dir) {
    const mg_dataset *d = p->points;
    char path[4096], title[160];
    mg_err err = {0};
    mg_plot_options popt;
    mg_plot_options_init(&popt);
    snprintf(title, sizeof title, "%s: decision boundary", p->title);
    popt.title = title;
    popt.class_names = (const char *const *)d->class_names;
    snprintf(path, sizeof path, "%s/boundary.png", dir);
    boundary_user u = {p->ctx, p->model, p->standardize, 0};
    if (mg_plot_boundary(path, boundary_score, &u, mg_mlp_nout(p->model), d->n, d->x, d->y, &popt,
                         &err)) {
        app_error("%s: %s", p->who, err.msg);
        return APP_FAIL;
    }
    if (u.failed) {
        app_error("%s: the model could not be evaluated for the boundary picture", p->who);
        return APP_FAIL;
    }
    if (!p->quiet) fprintf(stderr, "micrograd: %s: wrote %s\n", p->who, path);
    return APP_OK;
}

/* ==== loss curves and the whole set ========================================================= */

static int write_curves(const pictures *p, const char *dir) {
    mg_plot_series *s = calloc(p->ncurves ? p->ncurves : 1, sizeof *s);
    if (!s) {
        app_error("%s: out of memory", p->who);
        return APP_FAIL;
    }
    size_t n = 0;
    for (size_t k = 0; k < p->ncurves; k++)
        if (p->curves[k].n > 0) s[n++] = p->curves[k];
    int status = APP_OK;
    if (n > 0) {
        char path[4096], title[160];
        mg_err err = {0};
        mg_plot_options popt;
        mg_plot_options_init(&popt);
        snprintf(title, sizeof title, n == 1 ? "%s: training loss" : "%s: loss", p->title);
        popt.title = title;
        popt.xlabel = "step";
        snprintf(path, sizeof path, "%s/loss.png", dir);
        if (mg_plot_loss(path, n, s, &popt, &err)) {
            app_error("%s: %s", p->who, err.msg);
            status = APP_FAIL;
        } else if (!p->quiet) {
            fprintf(stderr, "micrograd: %s: wrote %s\n", p->who, path);
        }
    }
    free(s);
    return status;
}

int pictures_write(const pictures *p, const char *dir) {
    int status = write_curves(p, dir);
    const mg_dataset *d = p->points;
    if (status == APP_OK && p->model && p->model->nin == 2 && d && d->nfeat == 2 &&
        d->nclasses >= 2 && d->y)
        status = write_boundary(p, dir);
    return status;
}
