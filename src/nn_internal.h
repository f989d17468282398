/* nn_internal.h - what src/nn.c shares with the other network modules (train.c). Not
 * installed. */
#ifndef MG_NN_INTERNAL_H
#define MG_NN_INTERNAL_H

#include "mg_internal.h"

/* Room in the model's work space for a forward pass that allocates nothing: m->nin input
 * handles (read by layer 0 only, so the later layers may overwrite them) and
 * mg_mlp_nout(m) output handles (where the last layer would write anyway). Valid until
 * the next forward pass of m. */
mg_value *mg__mlp_input_slots(mg_mlp *m);
mg_value *mg__mlp_output_slots(mg_mlp *m);

#endif
