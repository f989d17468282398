/* f2c.c - the "f2c" training demo; the code is in demos/ (shared with
 * `micrograd demo f2c`, which prints the same). */
#include "demo.h"

int main(int argc, char **argv) { return demo_f2c(argc, argv); }
