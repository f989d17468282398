/* derivative.c - the seed walkthrough's derivative step; the code is in demos/walkthroughs.c
 * (shared with `micrograd demo derivative`). */
#include "walkthroughs.h"

int main(int argc, char **argv) { return walkthrough_derivative(argc, argv); }
