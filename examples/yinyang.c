/* yinyang.c - the "yinyang" training demo; the code is in demos/ (shared with
 * `micrograd demo yinyang`, which prints the same). */
#include "demo.h"

int main(int argc, char **argv) { return demo_yinyang(argc, argv); }
