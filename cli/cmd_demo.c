/* cmd_demo.c - `micrograd demo`: the training demos and walkthroughs. The registry, the
 * options and the demos themselves live in demos/ (examples/ has each written out as a
 * program on the public header alone). */
#include "cli.h"
#include "demo.h"

int cli_cmd_demo(int argc, char **argv) { return demo_main(argc, argv); }
