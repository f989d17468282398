/* ops32.h - engine/ops.h's formulas for float32 lanes (mg_compiled_set_dtype): the same
 * source (engine/ops_formulas.h) instantiated in float arithmetic, with libm's float
 * functions (expf, logf, powf, tanhf), under the prefix mgf__. The float32 lane loops of
 * kernels_tpl.h call these, the float64 ones ops.h's. Their distance from the float64
 * results is held to a stated tolerance by the tests. */
#ifndef MG_FAST_OPS32_H
#define MG_FAST_OPS32_H

#include <math.h>

#define MG__T float
#define MG__FN(name) mgf__##name
#define MG__M(fn) fn##f
#define MG__K(x) x##f
#include "engine/ops_formulas.h"
#undef MG__T
#undef MG__FN
#undef MG__M
#undef MG__K

#endif
