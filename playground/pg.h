/*
 * pg.h - the playground's C API: what the page calls in the library compiled to
 * WebAssembly (and what the tests call in the same code compiled natively).
 *
 * A session holds one run: the settings, the data they make, the model and where its
 * training is. The settings are `micrograd train`'s options by name and value ("data"
 * "moons", "layers" "16,16", "lr" "0.01", ...), and a session does what that command does
 * with them, call for call: the same generator, split, standardisation, model and
 * mg_train, drawing from one context's generator seeded with --seed. Training goes in
 * chunks (pg_train), each one mg_train call resuming where the last stopped, so a session
 * that has taken N steps in any number of chunks holds the model of
 *
 *     micrograd train <its options> --steps N
 *
 * to rounding (pg_command prints that line). The page keeps a pointer to a session and
 * reads numbers through the pointers the getters return (into the module's memory: valid
 * until the next call that changes the session).
 *
 * Every function is safe on a NULL session (it then returns -1, 0, NaN, "" or NULL); none
 * prints or exits.
 */
#ifndef MG_PLAYGROUND_PG_H
#define MG_PLAYGROUND_PG_H

#include <stddef.h>

typedef struct pg_session pg_session;

/* Which points: the training rows or the validation rows. */
enum { PG_TRAIN = 0, PG_VAL = 1 };

/* ==== sessions and settings (pg.c) ====================================================== */

/* A new session with `micrograd train`'s defaults for moons plus a validation fraction of
 * 0.2 (no data or model yet: call pg_reset). NULL when out of memory. */
pg_session *pg_new(void);
/* Frees the session and all it holds. Safe to call on NULL. */
void pg_free(pg_session *s);
/* Sets one option of `micrograd train` by its long name without the dashes: data,
 * samples, noise, classes, seed, val, layers, act, loss, optimizer, lr, momentum,
 * weight-decay, batch, l2. The value is checked as the command checks it; an empty
 * value means the command's default (noise, classes, lr, momentum, weight-decay).
 * Takes effect at the next pg_reset. 0, or -1 with pg_error saying why. */
int pg_set(pg_session *s, const char *name, const char *value);
/* The value of an option as pg_set took it ("" for a default); NULL for an unknown name. */
const char *pg_get(const pg_session *s, const char *name);
/* Makes the data and a new model from the settings, as `micrograd train` does, and
 * forgets the training so far. 0, or -1 with pg_error (then the session has no model). */
int pg_reset(pg_session *s);
/* Takes n more steps (n >= 1). 0; -1 with pg_error when a step fails (a loss that is not
 * finite: the session then refuses to train until pg_reset). */
int pg_train(pg_session *s, size_t n);
/* The last error's message ("" when none). */
const char *pg_error(const pg_session *s);
/* The command line that trains the model this session holds now:
 * "micrograd train --data moons ... --steps N". */
const char *pg_command(pg_session *s);

/* ==== where the run is (pg.c) ============================================================ */

/* Steps taken since pg_reset. */
size_t pg_steps(const pg_session *s);
/* After the last pg_train (or pg_reset): loss and accuracy (0 .. 1) on all training rows
 * (which = PG_TRAIN) or all validation rows (PG_VAL: NaN when there are none). */
double pg_loss(const pg_session *s, int which);
double pg_accuracy(const pg_session *s, int which);
/* The batch losses (mean + L2, before each update) of the last pg_train's steps, and how
 * many. */
const double *pg_step_losses(const pg_session *s);
size_t pg_nstep_losses(const pg_session *s);
/* Classes of the data (2 or more); 0 before a successful pg_reset. */
size_t pg_nclasses(const pg_session *s);

/* ==== what the page draws (pg_view.c) ==================================================== */

/* Rows of a split; their features as generated (before standardisation), [n][2]
 * row-major; their classes as numbers 0 .. nclasses-1. */
size_t pg_npoints(const pg_session *s, int which);
const double *pg_points(const pg_session *s, int which);
const double *pg_labels(const pg_session *s, int which);
/* The model's outputs over an nx by ny grid spanning [x0, x1] x [y0, y1] in the data's
 * own coordinates (row by row from y0, x fastest): [nx*ny][pg_nout]. NULL with pg_error
 * when there is no model or out of memory. Logits for ce and bce, scores for hinge. */
const double *pg_grid(pg_session *s, size_t nx, size_t ny, double x0, double x1, double y0,
                      double y1);
/* The model: layers (the output layer included), the neurons of layer l, its outputs,
 * its parameters in micrograd's order (layer by layer, neuron by neuron, the weights then
 * the bias) and how many. */
size_t pg_nlayers(const pg_session *s);
size_t pg_layer_size(const pg_session *s, size_t l);
size_t pg_nout(const pg_session *s);
const double *pg_params(const pg_session *s);
size_t pg_nparams(const pg_session *s);
/* The loss graph of one row (which, i) as the next step would build it, after a backward
 * pass from its loss: every value it depends on with its data and grad, as JSON:
 *   {"loss":K,"nodes":[{"op":"dot","text":"dot","label":"L0.N3","role":"param",
 *    "data":D,"grad":G,"in":[i,j,...]}, ...]}
 * in tape order (inputs before the values they feed; "in" indexes "nodes"; a power's
 * constant exponent is in "text", "**2", not an input). NULL with pg_error when there is
 * no model, i is out of range or memory runs out. Valid until the next pg_graph. */
const char *pg_graph(pg_session *s, int which, size_t i);
/* The same graph as DOT text from the library's writer (mg_graph_format), as `micrograd
 * eval --dot` draws graphs; made by the last pg_graph. */
const char *pg_graph_dot(const pg_session *s);

/* ==== memory for strings from the page (pg.c) ============================================ */

/* n bytes the page may fill (a string for pg_set), or NULL; free with pg_buffer_free. */
char *pg_buffer(size_t n);
void pg_buffer_free(char *p);

#endif
