/* graph.c - the seed walkthrough's graph step; the code is in demos/walkthroughs.c
 * (shared with `micrograd demo graph`). */
#include "walkthroughs.h"

int main(int argc, char **argv) { return walkthrough_graph(argc, argv); }
