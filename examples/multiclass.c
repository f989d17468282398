/* multiclass.c - the "multiclass" training demo; the code is in demos/ (shared with
 * `micrograd demo multiclass`, which prints the same). */
#include "demo.h"

int main(int argc, char **argv) { return demo_multiclass(argc, argv); }
