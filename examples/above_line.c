/* above_line.c - the "above-line" training demo; the code is in demos/ (shared with
 * `micrograd demo above-line`, which prints the same). */
#include "demo.h"

int main(int argc, char **argv) { return demo_above_line(argc, argv); }
