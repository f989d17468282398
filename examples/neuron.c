/* neuron.c - the seed walkthrough's neuron step; the code is in demos/walkthroughs.c
 * (shared with `micrograd demo neuron`). */
#include "walkthroughs.h"

int main(int argc, char **argv) { return walkthrough_neuron(argc, argv); }
