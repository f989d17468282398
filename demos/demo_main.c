/* demo_main.c - `micrograd demo`: the registry of demos, --list, --help and the dispatch
 * to a demo (demos/NAME.c) or a walkthrough (demos/walkthroughs.c). */
#include "demo.h"

#include "app.h"
#include "walkthroughs.h"

#include <stdio.h>
#include <string.h>

/* ==== the registry ====================================================================== */

const demo_def demo_table[] = {
    /* one line per demo, in the order --list shows them */
    {"derivative", "the walkthrough's slopes of 3x^2 - 4x + 5 (--plot FILE: with a tangent)",
     walkthrough_derivative},
    {"expression", "d = a*b + c and its slopes, by nudging and by backward", walkthrough_expression},
    {"graph", "L = (a*b + c)*f: every node's data and grad, one step along the gradient",
     walkthrough_graph},
    {"neuron", "the walkthrough's tanh neuron, and tanh built from exp", walkthrough_neuron},
    {"toy", "the walkthrough's MLP(3, [4, 4, 1]) fitting four points by gradient descent", demo_toy},
    {"moons", "micrograd's demo: a 2-16-16-1 MLP separates two moons (hinge loss, SGD)", demo_moons},
    {"yinyang", "3-class yin-yang with AdamW, printing exactly the reference run", demo_yinyang},
    {"f2c", "linear regression from Fahrenheit to Celsius (seed 001)", demo_f2c},
    {"above-line", "is a point above y = x? sigmoid(w*relu(w1*x + w2*y + b1) + b2) (seed 001)",
     demo_above_line},
    {"multiclass", "softmax cross-entropy on spiral or blobs classes with AdamW", demo_multiclass},
    {"newton", "Newton's method with exact derivatives: the gradient is a graph too", demo_newton},
    {NULL, NULL, NULL},
};

static void list_demos(FILE *out) {
    for (const demo_def *d = demo_table; d->name; d++) fprintf(out, "  %-11s %s\n", d->name, d->summary);
}

static void usage(FILE *out) {
    fprintf(out, "Usage: micrograd demo NAME [OPTIONS]\n"
                 "       micrograd demo --list\n\n"
                 "Runs a training demo and prints its progress. Each demo is also an example\n"
                 "program (build/examples/NAME) that prints the same.\n\n"
                 "Demos:\n");
    list_demos(out);
    fprintf(out, "\n'micrograd demo NAME --help' shows a demo's options and their defaults.\n"
                 "Exit status: 0 ok, 1 a failure, 2 a usage error.\n");
}

int demo_main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return APP_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--list") || !strcmp(name, "-l")) {
        for (const demo_def *d = demo_table; d->name; d++) printf("%-11s %s\n", d->name, d->summary);
        return APP_OK;
    }
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        usage(stdout);
        return APP_OK;
    }
    for (const demo_def *d = demo_table; d->name; d++)
        if (!strcmp(name, d->name)) return d->main(argc - 1, argv + 1);
    if (name[0] == '-') return app_usage_error("demo", "unknown option '%s' (want NAME or --list)", name);
    return app_usage_error("demo", "unknown demo '%s'; 'micrograd demo --list' lists them", name);
}

