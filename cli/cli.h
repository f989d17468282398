/* cli.h - the subcommands of the `micrograd` command. The command is the only place that
 * prints and exits; each subcommand returns its exit status (APP_OK, APP_FAIL, APP_USAGE)
 * and reports errors with app/'s helpers. */
#ifndef MG_CLI_H
#define MG_CLI_H

#include "app.h"

/* Subcommands: each takes argv with argv[0] = the subcommand's name. */
/* (one declaration per subcommand) */
int cli_cmd_eval(int argc, char **argv);
int cli_cmd_predict(int argc, char **argv);
int cli_cmd_info(int argc, char **argv);
int cli_cmd_demo(int argc, char **argv);
int cli_cmd_train(int argc, char **argv);
int cli_cmd_data(int argc, char **argv);
int cli_cmd_playground(int argc, char **argv);

#endif
