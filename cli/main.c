/* main.c - the `micrograd` command: dispatches to its subcommands. */
#include "cli.h"
#include "ranks.h"

#include <stdio.h>
#include <string.h>

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
    /* one line per subcommand, in the order --help lists them */
    {"eval", cli_cmd_eval, "evaluate and differentiate an expression script (micrograd syntax)"},
    {"demo", cli_cmd_demo, "run a training demo (micrograd demo --list)"},
    {"train", cli_cmd_train, "train a model on a CSV file, Fashion-MNIST or a generated set"},
    {"predict", cli_cmd_predict, "predict with a saved model"},
    {"info", cli_cmd_info, "describe a saved model"},
    {"data", cli_cmd_data, "write a generated dataset (moons, circles, blobs, ...) as CSV"},
    {"playground", cli_cmd_playground, "write the playground: train in the browser (one HTML page)"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out) {
    fprintf(out, "Usage: micrograd COMMAND [OPTIONS]\n\n"
                 "A scalar-valued autograd engine and neural-network trainer (micrograd in C).\n\n"
                 "Commands:\n");
    for (const cli_command *c = commands; c->name; c++)
        fprintf(out, "  %-11s %s\n", c->name, c->summary);
    fprintf(out, "\n'micrograd COMMAND --help' describes a command's options.\n"
                 "'micrograd --version' prints the version.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return APP_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return APP_OK;
    }
    if (!strcmp(name, "--version")) {
        printf("micrograd %s\n", MG_VERSION_STRING);
        printf("mpi: %s\n", app_mpi_describe());
        return APP_OK;
    }
    for (const cli_command *c = commands; c->name; c++) {
        if (!strcmp(name, c->name)) {
            int status = c->run(argc - 1, argv + 1);
            mg_plot_cleanup(); /* cairo's and fontconfig's caches, for leak checkers */
            return status;
        }
    }
    fprintf(stderr, "micrograd: unknown command '%s'\n", name);
    usage(stderr);
    return APP_USAGE;
}
