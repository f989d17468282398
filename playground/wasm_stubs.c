/* wasm_stubs.c - what the WebAssembly build has instead of src/viz/render.c: a page has
 * no graphviz and no processes, so rendering a drawing to a picture is unsupported there
 * (the DOT text itself still comes from the library's writer, src/viz/dot.c). */
#include <micrograd.h>

int mg_graph_can_render(mg_renderer how) {
    (void)how;
    return 0;
}

mg_status mg_graph_render(const char *dot, size_t len, const char *path, mg_renderer how,
                          double timeout, mg_err *err) {
    (void)dot, (void)len, (void)how, (void)timeout;
    return mg_err_set(err, MG_STATUS_UNSUPPORTED, "%s: no rendering in the WebAssembly build",
                      path ? path : "?");
}

mg_status mg_graph_save(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt,
                        const char *path, mg_err *err) {
    (void)ctx, (void)root, (void)opt;
    return mg_err_set(err, MG_STATUS_UNSUPPORTED, "%s: no rendering in the WebAssembly build",
                      path ? path : "?");
}
