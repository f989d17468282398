/* dataset.h - what the dataset's own module gives the loaders above it (defined in
 * dataset.c). Not installed. */
#ifndef MG_DATASET_H
#define MG_DATASET_H

#include "core/mg_internal.h"

/* An empty dataset (every field 0 or NULL) from the library's allocator, for a loader
 * that fills in its sizes and arrays as it reads; mg_dataset_free frees it and whatever
 * it was given. NULL with MG_STATUS_NOMEM in err. */
mg_dataset *mg__dataset_empty(mg_err *err);

#endif /* MG_DATASET_H */
