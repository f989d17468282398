/* moons.c - the "moons" training demo; the code is in demos/ (shared with
 * `micrograd demo moons`, which prints the same). */
#include "demo.h"

int main(int argc, char **argv) { return demo_moons(argc, argv); }
