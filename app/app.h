/* app.h - what the `micrograd` command (cli/) and its demos (demos/) share: exit
 * statuses, messages on stderr, strict option values, reading files and loading models.
 * Not part of libmicrograd, because it prints; nothing here calls cli/ or demos/. */
#ifndef MG_APP_H
#define MG_APP_H

#include <micrograd.h>

#include <stddef.h>
#include <stdio.h>

/* Exit statuses: success, a failure (bad data, a failed step), a usage error. */
enum { APP_OK = 0, APP_FAIL = 1, APP_USAGE = 2 };

/* ==== messages ========================================================================== */

/* The last message app_error or app_usage_error printed ("" before any), for a command
 * that also reports its failure as JSON. */
const char *app_last_error(void);
/* Prints "micrograd CMD: warning: <message>" on stderr (a problem that is not an error). */
void app_warning(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Prints "micrograd CMD: note: <message>" on stderr (what was decided, for the record). */
void app_note(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Writes s as a JSON string (quotes, backslashes and control characters escaped). */
void app_json_string(FILE *f, const char *s);
/* Writes x as a JSON number in its shortest exact form (Python's repr); null when not
 * finite. */
void app_json_number(FILE *f, double x);

/* Prints "micrograd: <message>" on stderr. */
void app_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Prints "micrograd <cmd>: <message>" and "Try 'micrograd <cmd> --help'." on stderr and
 * returns APP_USAGE. */
int app_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ==== option values ===================================================================== */

/* Strict number parsing for option values: the whole string must be a number in range.
 * On failure prints a usage error naming the option and returns 0. */
int app_parse_double(const char *cmd, const char *opt, const char *s, double *out);
int app_parse_long(const char *cmd, const char *opt, const char *s, long min, long max, long *out);
/* A comma-separated list of column names or numbers ("id,row" or "0,3"): a new array of
 * *count pointers into one block with the texts (free the array with free). Empty
 * entries are refused. NULL after printing a usage error (or out of memory). */
char **app_parse_columns(const char *cmd, const char *opt, const char *s, size_t *count);
/* A comma-separated list of positive integers ("16,16"); at most max entries. */
int app_parse_sizes(const char *cmd, const char *opt, const char *s, size_t *out, size_t max,
                    size_t *count);

/* ==== files ============================================================================= */

/* Reads a whole file ("-" = stdin) into a NUL-terminated buffer (free with free). NULL on
 * failure with the reason in err. */
char *app_read_file(const char *path, size_t *len, mg_err *err);
/* mg_csv_load of path, or of standard input when path is "-" (named "<stdin>" in
 * messages). A new dataset, or NULL with err. */
mg_dataset *app_csv_load(const char *path, const mg_csv_options *opt, mg_err *err);

/* A saved model as the commands use it: its own context, the network, its info. */
typedef struct app_model {
    mg_ctx *ctx;
    mg_mlp *m;
    mg_model_info info;
} app_model;

/* Loads path into a new context. Returns APP_OK, or APP_FAIL after printing why (then
 * *am holds nothing to free). */
int app_model_load(const char *path, app_model *am);
/* Frees what app_model_load made. Safe after a failed load. */
void app_model_free(app_model *am);

#endif
