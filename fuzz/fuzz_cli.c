/* fuzz_cli.c - the command's option parsers: `micrograd train`'s (train_parse_options,
 * the largest: every value checked, combinations checked), the demos' (demo_parse, here
 * with a spec that takes every option) and eval's (eval_parse_options: its scripts kept in
 * the order given, -e lines joined). The input is argument strings separated by NUL
 * bytes; the first byte picks the parser (bit 1: eval; else bit 0: demo or train). A
 * parse must end in "go on" with every value in its documented range, or in exit status 0
 * (--help) or 2 (a usage error, one message), or for eval 1 (out of memory); nothing else
 * is acceptable. Their messages go to /dev/null while they run. */
#include "fuzz_common.h"

#include <fcntl.h>
#include <math.h>

#include "../cli/eval_internal.h"
#include "../cli/train_internal.h"
#include "../demos/demo.h"

enum { MAX_ARGS = 64 };

static int devnull = -1, saved_out = -1, saved_err = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    devnull = open("/dev/null", O_WRONLY);
    return 0;
}

static void quiet(int on) {
    if (fz_verbose() || devnull < 0) return;
    fflush(stdout);
    fflush(stderr);
    if (on) {
        saved_out = dup(1), saved_err = dup(2);
        dup2(devnull, 1), dup2(devnull, 2);
    } else {
        dup2(saved_out, 1), dup2(saved_err, 2);
        close(saved_out), close(saved_err);
    }
}

static void check_train(const train_opts *o) {
    FZ_CHECK(o->data && *o->data, "no data after a successful parse");
    FZ_CHECK((o->epochs > 0) != (o->steps > 0), "epochs %zu steps %zu", o->epochs, o->steps);
    FZ_CHECK(o->nlayers <= MG_MLP_MAX_LAYERS - 1, "%zu layers", o->nlayers);
    for (size_t l = 0; l < o->nlayers; l++) FZ_CHECK(o->layers[l] > 0, "layer %zu of size 0", l);
    FZ_CHECK(o->val >= 0 && o->val < 1, "val %g", o->val);
    FZ_CHECK(isnan(o->lr) || (o->lr > 0 && isfinite(o->lr)), "lr %g", o->lr);
    FZ_CHECK(o->threads >= 0, "threads %d", o->threads);
    FZ_CHECK(o->standardize == 0 || o->standardize == 1, "standardize %d", o->standardize);
    FZ_CHECK(!o->every || o->checkpoint, "--every without --checkpoint");
    FZ_CHECK(o->samples > 0, "samples 0");
    for (size_t k = 0; k < o->ndrop; k++) FZ_CHECK(o->drop[k][0], "an empty --drop column");
    for (size_t k = 0; k < o->nfeatures; k++) FZ_CHECK(o->features[k][0], "an empty --features column");
    FZ_CHECK(o->decimal == 0 || o->decimal == '.' || o->decimal == ',', "decimal %d", o->decimal);
}

static void check_demo(const demo_opts *o) {
    FZ_CHECK(o->lr > 0 && isfinite(o->lr), "lr %g", o->lr);
    FZ_CHECK(o->noise >= 0 && isfinite(o->noise), "noise %g", o->noise);
    FZ_CHECK(o->steps >= 1 && o->epochs >= 1 && o->n >= 4, "steps %zu epochs %zu n %zu", o->steps,
             o->epochs, o->n);
    FZ_CHECK(o->threads >= 0, "threads %d", o->threads);
}

/* eval's scripts are the arguments that are not options, in order, and the -e lines,
 * consecutive ones joined by '\n' into one script. */
static void check_eval(const eval_opts *o, int argc, char **argv) {
    FZ_CHECK(o->precision >= 0 && o->precision <= 17, "precision %d", o->precision);
    FZ_CHECK(o->formula >= 0 && o->formula <= 2, "formula %d", o->formula);
    FZ_CHECK(o->rankdir == MG_RANKDIR_LR || o->rankdir == MG_RANKDIR_TB, "rankdir %d",
             (int)o->rankdir);
    for (size_t i = 0; i < o->nsrc; i++) {
        const eval_source *s = &o->src[i];
        FZ_CHECK(!s->path != !s->text, "source %zu: a path and a text, or neither", i);
        FZ_CHECK(!s->text || strlen(s->text) == s->len, "source %zu: length %zu", i, s->len);
        FZ_CHECK(s->path || i == 0 || o->src[i - 1].path, "source %zu: -e lines not joined", i);
        int found = 0; /* a path is one of the arguments, itself */
        for (int k = 1; s->path && k < argc && !found; k++) found = s->path == argv[k];
        FZ_CHECK(!s->path || found, "source %zu: a path not among the arguments", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 4096) return 0;
    static char buf[4097];
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (data[0] & 2) ? "eval" : (data[0] & 1) ? "demo" : "train";
    for (char *p = buf; p < buf + size - 1 && argc < MAX_ARGS; p += strlen(p) + 1) argv[argc++] = p;
    argv[argc] = NULL;

    quiet(1);
    int rc;
    if (data[0] & 2) {
        eval_opts o;
        int stop;
        rc = eval_parse_options(argc, argv, &o, &stop);
        quiet(0);
        if (!stop) check_eval(&o, argc, argv);
        else FZ_CHECK(rc == 0 || rc == 1 || rc == 2, "eval_parse_options returned %d", rc);
        eval_opts_free(&o);
    } else if (data[0] & 1) {
        static const char *const names[] = {"moons", "spiral", "blobs", NULL};
        demo_spec spec = {"fuzz", "every option", ~0u,
                          {.seed = 1, .steps = 10, .epochs = 1, .lr = 0.1, .n = 100, .noise = 0.1,
                           .batch = 0, .data = "moons", .classes = 3},
                          names};
        demo_opts o;
        rc = demo_parse(&spec, argc, argv, &o);
        quiet(0);
        if (rc < 0) check_demo(&o);
        else FZ_CHECK(rc == 0 || rc == 2, "demo_parse returned %d", rc);
    } else {
        train_opts o;
        int stop;
        rc = train_parse_options(argc, argv, &o, &stop);
        quiet(0);
        if (!stop) check_train(&o);
        else FZ_CHECK(rc == 0 || rc == 2, "train_parse_options returned %d", rc);
        train_opts_free(&o);
    }
    return 0;
}
