/* toy.c - the "toy" training demo; the code is in demos/ (shared with
 * `micrograd demo toy`, which prints the same). */
#include "demo.h"

int main(int argc, char **argv) { return demo_toy(argc, argv); }
