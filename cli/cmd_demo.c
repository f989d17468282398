/* cmd_demo.c - `micrograd demo`: the training demos. The registry, the options and the
 * demos themselves live in demos/, shared with the example programs. */
#include "cli.h"
#include "demo.h"

int cli_cmd_demo(int argc, char **argv) { return demo_main(argc, argv); }
