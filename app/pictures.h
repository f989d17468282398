/* pictures.h - the pictures made after training, shared by `micrograd demo NAME --out DIR`
 * and `micrograd train --plot DIR`: the loss curve(s) in DIR/loss.png and, for a model of
 * two inputs trained on classes, its decision boundary in DIR/boundary.png. */
#ifndef MG_PICTURES_H
#define MG_PICTURES_H

#include <micrograd.h>
#include <stddef.h>

typedef struct pictures {
    const char *who;   /* messages read "micrograd: WHO: ..." */
    const char *title; /* the plots' titles start with it ("moons: training loss") */
    size_t ncurves;    /* loss curves; those without points are left out */
    const mg_plot_series *curves;
    mg_ctx *ctx;       /* the model and its context, for the boundary (model may be NULL) */
    mg_mlp *model;
    const mg_standardizer *standardize; /* applied to a point before the model sees it;
                                           NULL or nfeat 0: none */
    const mg_dataset *points; /* drawn on the boundary in their own (raw) coordinates; the
                                 boundary is drawn when the model takes 2 inputs and these
                                 have classes */
    int quiet;         /* 1: do not print "wrote PATH" */
} pictures;

/* Makes the directory dir unless it exists (its parent must). Returns 1, or 0 after
 * printing "micrograd: WHO: OPT DIR: cannot make the directory: reason". */
int pictures_make_dir(const char *who, const char *opt, const char *dir);
/* Writes DIR/loss.png when a curve has points, and DIR/boundary.png as said above, each
 * reported on stderr unless quiet. Returns the exit status (1 after printing why). */
int pictures_write(const pictures *p, const char *dir);

#endif
