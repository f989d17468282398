/* cli.h - shared pieces of the `micrograd` command. The command is the only place that
 * prints and exits; each subcommand returns its exit status. */
#ifndef MG_CLI_H
#define MG_CLI_H

#include "micrograd.h"

#include <stddef.h>

/* Exit statuses: success, a failure (bad data, a failed step), a usage error. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Subcommands: each takes argv with argv[0] = the subcommand's name. */
/* (one declaration per subcommand) */
int cli_cmd_eval(int argc, char **argv);
int cli_cmd_predict(int argc, char **argv);
int cli_cmd_info(int argc, char **argv);
int cli_cmd_demo(int argc, char **argv);
int cli_cmd_train(int argc, char **argv);

/* Prints "micrograd: <message>" on stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Prints "micrograd <cmd>: <message>" and "Try 'micrograd <cmd> --help'." on stderr and
 * returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Strict number parsing for option values: the whole string must be a number in range.
 * On failure prints a usage error naming the option and returns 0. */
int cli_parse_double(const char *cmd, const char *opt, const char *s, double *out);
int cli_parse_long(const char *cmd, const char *opt, const char *s, long min, long max, long *out);
/* A comma-separated list of positive integers ("16,16"); at most max entries. */
int cli_parse_sizes(const char *cmd, const char *opt, const char *s, size_t *out, size_t max,
                    size_t *count);

/* Reads a whole file ("-" = stdin) into a NUL-terminated buffer (free with free). NULL on
 * failure with the reason in err. */
char *cli_read_file(const char *path, size_t *len, mg_err *err);
/* A saved model as the commands use it: its own context, the network, its info. */
typedef struct cli_model {
    mg_ctx *ctx;
    mg_mlp *m;
    mg_model_info info;
} cli_model;

/* Loads path into a new context. Returns CLI_OK, or CLI_FAIL after printing why (then
 * *cm holds nothing to free). */
int cli_model_load(const char *path, cli_model *cm);
/* Frees what cli_model_load made. Safe after a failed load. */
void cli_model_free(cli_model *cm);

/* mg_csv_load of path, or of standard input when path is "-" (named "<stdin>" in
 * messages). A new dataset, or NULL with err. */
mg_dataset *cli_csv_load(const char *path, const mg_csv_options *opt, mg_err *err);

#endif
