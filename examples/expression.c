/* expression.c - the seed walkthrough's expression step; the code is in demos/walkthroughs.c
 * (shared with `micrograd demo expression`). */
#include "walkthroughs.h"

int main(int argc, char **argv) { return walkthrough_expression(argc, argv); }
