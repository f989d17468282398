/* nn_internal.h - what src/nn.c shares with the other network modules (train.c). Not
 * installed. */
#ifndef MG_NN_INTERNAL_H
#define MG_NN_INTERNAL_H

#include "core/mg_internal.h"

/* Room in the model's work space for a forward pass that allocates nothing: m->nin input
 * handles (read by layer 0 only, so the later layers may overwrite them) and
 * mg_mlp_nout(m) output handles (where the last layer would write anyway). Valid until
 * the next forward pass of m. */
mg_value *mg__mlp_input_slots(mg_mlp *m);
mg_value *mg__mlp_output_slots(mg_mlp *m);

/* MG_STATUS_INVALID ("unknown loss (N)") unless kind is one of mg_loss_kind's values. */
mg_status mg__loss_kind_check(mg_loss_kind kind, mg_err *err);

/* The optimiser's state for a checkpoint: returns its step count, and its buffers in *m
 * and *v (NULL when the kind has none; o->n entries each). */
size_t mg__optim_state(const mg_optim *o, const double **m, const double **v);
/* Restores a state from mg__optim_state (m and v may be NULL when the kind has none). */
void mg__optim_restore(mg_optim *o, size_t t, const double *m, const double *v);

/* The compiled path of training and evaluation (replay_bridge.c): a model's
 * per-sample loss graph for one loss kind, recorded once, and room to replay up to `cap`
 * samples at a time. */
typedef struct mg__replay {
    mg_compiled *tape;
    mg_loss_kind kind;
    size_t nin, nout, nclasses, nslots; /* slots: the features, then the target(s) */
    size_t cap;                         /* samples a replay holds */
    double *rows;                       /* [cap * nslots] */
    double *losses;                     /* [cap] each sample's loss after a replay */
    double *outputs;                    /* [cap * nout] each sample's outputs */
} mg__replay;

/* Records m's loss graph of sample 0 of `shape` (which gives the class count) and makes
 * room for cap samples; the tape uses `threads` and `kernels` (mg_compiled_set_*).
 * MG_STATUS_NOMEM, or MG_STATUS_UNSUPPORTED for kernels the CPU lacks; r is then empty. */
mg_status mg__replay_init(mg__replay *r, mg_ctx *ctx, mg_mlp *m, mg_loss_kind kind,
                          int subtract_max, const mg_dataset *shape, size_t cap, int threads,
                          mg_kernels kernels, mg_err *err);
/* Replays n <= cap samples of d: idx[0 .. n-1], or first .. first+n-1 when idx is NULL.
 * grad_scale 0: forward only; else forward and backward, adding grad_scale times the
 * summed gradients into the parameters' grads (mg_compiled_forward_backward, whose
 * MG_STATUS_NUMERIC names the sample within this replay). Fills r->losses, r->outputs. */
mg_status mg__replay_run(mg__replay *r, const mg_dataset *d, const size_t *idx, size_t first,
                         size_t n, double grad_scale, mg_err *err);
/* Frees what r holds and makes it empty. Safe on NULL. */
void mg__replay_free(mg__replay *r);

#endif
