/* page.c - backpropagation step by step, in one self-contained HTML file: the graph laid
 * out once by graphviz (SVG inline, every element with a stable id), the engine's own
 * numbers as JSON (the tape's data in creation order for the forward pass, then each
 * term mg_backward_steps adds, in backward's order), and a script and style sheet
 * (page.js, page.css, built in) that only show those numbers frame by frame: nothing is
 * recomputed in the browser. */
#include "viz_internal.h"

#include <math.h>

/* The page's script and style sheet, from src/viz/page/ (page_assets.c is generated). */
extern const char mg__page_js[];
extern const char mg__page_css[];

/* ==== options ============================================================================ */

void mg_page_options_init(mg_page_options *opt) {
    MG_ASSERT(opt != NULL, "mg_page_options_init of NULL");
    opt->title = NULL;
    opt->rankdir = MG_RANKDIR_LR;
    opt->precision = 4;
    opt->max_nodes = 1000;
    opt->renderer = MG_RENDERER_AUTO;
    opt->timeout = 60.0;
    opt->source = NULL;
}

/* ==== what the page shows, taken from the engine =========================================== */

typedef struct page_step {
    uint32_t value, operand, k;
    int added;
    double grad, local, term, before, after;
} page_step;

typedef struct page {
    mg_ctx *ctx;
    const mg_page_options *opt;
    uint32_t r;          /* the root's tape index */
    uint8_t *seen;       /* [r + 1] 1 for the values the root depends on */
    size_t nvalues, nops;
    page_step *steps;    /* backward's terms, in its order */
    size_t nsteps, capsteps;
    int nomem;           /* a step could not be kept */
    uint32_t *slot;      /* [r + 1] each value shown's place in `shown` */
    struct shown {
        char name[300];  /* the name it is shown by */
        int grad_width;  /* the widest grad field text it shows */
    } *shown;            /* [nvalues], in creation order */
} page;

/* What the page keeps about value i (one the root depends on). */
static struct shown *shown_of(const page *p, uint32_t i) { return &p->shown[p->slot[i]]; }

static int keep_step(void *user, const mg_backward_step *s) {
    page *p = user;
    if (!mg__grow((void **)&p->steps, &p->capsteps, p->nsteps + 1, sizeof *p->steps)) {
        p->nomem = 1;
        return 1;
    }
    p->steps[p->nsteps++] = (page_step){(uint32_t)mg_index(p->ctx, s->value),
                                        (uint32_t)mg_index(p->ctx, s->operand),
                                        (uint32_t)s->k, s->added, s->grad, s->local, s->term,
                                        s->before, s->after};
    return 0;
}

/* One backward from the root with every leaf's grad starting at 0, recorded term by term;
 * the context's grads are put back as they were afterwards. */
static mg_status record_backward(page *p, mg_err *err) {
    mg_ctx *ctx = p->ctx;
    double *saved = mg__malloc(mg__mul_size((size_t)p->r + 1, sizeof *saved));
    if (!saved) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory making a page");
    mg__grads_fill(ctx, p->r + 1); /* the grads up to the root are read and written here */
    memcpy(saved, ctx->grad, ((size_t)p->r + 1) * sizeof *saved);
    for (uint32_t i = 0; i <= p->r; i++)
        if (p->seen[i] && mg__is_leaf(ctx, i)) ctx->grad[i] = 0.0;
    mg_status st = mg_backward_steps(ctx, mg__handle(ctx, p->r), keep_step, p);
    memcpy(ctx->grad, saved, ((size_t)p->r + 1) * sizeof *saved);
    mg__free(saved);
    if (st || p->nomem) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory making a page");
    return MG_STATUS_OK;
}

/* The grad a value shows when backward starts: 1 at the root, 0 elsewhere. */
static double grad0(const page *p, uint32_t i) { return i == p->r ? 1.0 : 0.0; }

/* A number as the page's fields show it, and page.js too: fixed with `precision`
 * decimals, exponential past 1e15, nan and inf by name. */
static int field_number(double x, int precision, char *buf, size_t size) {
    if (isnan(x)) return snprintf(buf, size, "nan");
    if (isinf(x)) return snprintf(buf, size, x < 0 ? "-inf" : "inf");
    return snprintf(buf, size, fabs(x) < 1e15 ? "%.*f" : "%.*e", precision, x);
}

typedef struct labeled {
    const char *label;
    uint32_t i;
} labeled;

static int by_label(const void *a, const void *b) {
    const labeled *x = a, *y = b;
    int c = strcmp(x->label, y->label);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Each value's name: its label when no other value shown has it, the label with a
 * subscript (c₁, c₂, ... in creation order, as a script's c += ... makes them) when others
 * do, "v<index>" without one. Labels are made clean UTF-8 for graphviz and JSON alike.
 * 0 when out of memory. */
static int make_names(page *p) {
    const mg_ctx *ctx = p->ctx;
    labeled *all = mg__malloc(mg__mul_size(p->nvalues, sizeof *all));
    if (!all) return 0;
    size_t n = 0;
    for (uint32_t i = 0; i <= p->r; i++) {
        if (!p->seen[i]) continue;
        const char *label = mg__label_at(ctx, i);
        if (*label) all[n++] = (labeled){label, i};
        else snprintf(shown_of(p, i)->name, sizeof p->shown->name, "v%u", i);
    }
    qsort(all, n, sizeof *all, by_label);
    static const char *const sub[10] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
    for (size_t first = 0, end; first < n; first = end) { /* a run of one label */
        for (end = first + 1; end < n && !strcmp(all[end].label, all[first].label);) end++;
        for (size_t k = first; k < end; k++) {
            char *name = shown_of(p, all[k].i)->name;
            mg__viz_utf8_clean(all[k].label, name, sizeof p->shown->name - 40);
            if (end - first == 1) continue;
            char digits[24];
            snprintf(digits, sizeof digits, "%zu", k - first + 1);
            for (const char *d = digits; *d; d++) strcat(name, sub[*d - '0']); /* 40 kept */
        }
    }
    mg__free(all);
    return 1;
}

/* The widest grad text each value shows (at the start of backward and after each term
 * added to it), so that its field is laid out wide enough for all of them. */
static void measure_grads(page *p) {
    char num[64];
    for (uint32_t i = 0; i <= p->r; i++)
        if (p->seen[i])
            shown_of(p, i)->grad_width = field_number(grad0(p, i), p->opt->precision, num, sizeof num);
    for (size_t k = 0; k < p->nsteps; k++) {
        const page_step *s = &p->steps[k];
        int w = field_number(s->after, p->opt->precision, num, sizeof num);
        if (w > shown_of(p, s->operand)->grad_width) shown_of(p, s->operand)->grad_width = w;
    }
}

/* The drawing's fields: the name, and number fields holding as many characters as the
 * widest text they will show, every digit and sign written as 0 (the widest of them in
 * the fonts used; page.css asks for digits of one width), so nothing moves as they change. */
static void page_field(void *user, uint32_t i, int which, char *buf, size_t size) {
    page *p = user;
    if (which == 0) {
        snprintf(buf, size, "%s", shown_of(p, i)->name);
        return;
    }
    int w = which == 2 ? shown_of(p, i)->grad_width
                       : field_number(p->ctx->data[i], p->opt->precision, buf, size);
    if (which == 1) {
        for (char *c = buf; *c; c++)
            if ((*c >= '0' && *c <= '9') || *c == '-') *c = '0';
        return;
    }
    snprintf(buf, size, "%.*s", w, "00000000000000000000000000000000000000000000");
}

/* ==== the drawing ========================================================================== */

/* Makes graphviz's SVG text fit inside the page: the prolog dropped, and the <svg>
 * element without its width and height (the style sheet sizes it; its viewBox keeps the
 * shape). 0 when it is no SVG. */
static int trim_svg(char *svg) {
    char *start = strstr(svg, "<svg");
    if (!start) return 0;
    memmove(svg, start, strlen(start) + 1);
    static const char *const attrs[] = {" width=\"", " height=\""};
    for (int a = 0; a < 2; a++) {
        char *tag_end = strchr(svg, '>'), *at = strstr(svg, attrs[a]);
        char *q = at && tag_end && at < tag_end ? strchr(at + strlen(attrs[a]), '"') : NULL;
        if (q) memmove(at, q + 1, strlen(q + 1) + 1);
    }
    return 1;
}

/* The page's drawing: the DOT text with the page's ids and fields, laid out by graphviz.
 * Returns the SVG text (mg__free) or NULL with err. */
static char *page_svg(page *p, mg_err *err) {
    mg_graph_options g;
    mg_graph_options_init(&g);
    g.rankdir = p->opt->rankdir;
    g.max_nodes = 0; /* checked already, against the page's limit */
    mg__dot_page fields = {page_field, p};
    mg_value root = mg__handle(p->ctx, p->r);
    mg__sink count = mg__sink_buffer(NULL, 0);
    if (mg__graph_page_dot(p->ctx, root, &g, &fields, &count, err)) return NULL;
    char *dot = mg__malloc(count.len + 1), *svg = NULL;
    if (!dot) {
        mg_err_set(err, MG_STATUS_NOMEM, "out of memory making a page");
        return NULL;
    }
    mg__sink s = mg__sink_buffer(dot, count.len + 1);
    size_t n = 0;
    mg_status st = mg__graph_page_dot(p->ctx, root, &g, &fields, &s, err);
    if (!st) st = mg__graph_render_svg(dot, count.len, p->opt->renderer, p->opt->timeout, &svg, &n, err);
    mg__free(dot);
    if (st == MG_STATUS_UNSUPPORTED && err) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        mg_err_set(err, st, "a page needs graphviz to lay the graph out (%s); install "
                   "graphviz or libgraphviz-dev", why);
    }
    if (!st && !trim_svg(svg)) st = mg_err_set(err, MG_STATUS_FORMAT, "graphviz gave no SVG picture");
    if (st) {
        mg__free(svg);
        return NULL;
    }
    return svg;
}

/* ==== writing: HTML text and JSON ============================================================ */

/* Text inside an HTML element or a double-quoted attribute. */
static void put_html(mg__sink *s, const char *text) {
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '&': mg__sink_puts(s, "&amp;"); break;
        case '<': mg__sink_puts(s, "&lt;"); break;
        case '>': mg__sink_puts(s, "&gt;"); break;
        case '"': mg__sink_puts(s, "&quot;"); break;
        default: mg__sink_write(s, c, 1);
        }
    }
}

/* A JSON string of clean UTF-8 text; <, > and & escaped so that no "</script" can end
 * the block it sits in. */
static void put_json_string(mg__sink *s, const char *text) {
    mg__sink_puts(s, "\"");
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\')
            mg__sink_printf(s, "\\%c", *c);
        else if (*c < 0x20 || *c == '<' || *c == '>' || *c == '&')
            mg__sink_printf(s, "\\u%04x", *c);
        else
            mg__sink_write(s, (const char *)c, 1);
    }
    mg__sink_puts(s, "\"");
}

/* A number exactly: the shortest digits that read back as the same double (JSON.parse
 * and strtod both give it back bit for bit); JSON has no NaN or infinity, so those are
 * the strings JavaScript's Number() reads. */
static void put_json_number(mg__sink *s, double x) {
    char buf[32];
    if (isnan(x))
        mg__sink_puts(s, "\"NaN\"");
    else if (isinf(x))
        mg__sink_puts(s, x < 0 ? "\"-Infinity\"" : "\"Infinity\"");
    else
        mg__sink_puts(s, mg_fmt_repr(x, buf, sizeof buf));
}

static void put_json_node(mg__sink *s, const page *p, uint32_t i) {
    const mg_ctx *ctx = p->ctx;
    static const char *const roles[] = {"leaf", "param", "input", "const", "op"};
    char sym[64];
    mg_op op = mg__op_at(ctx, i);
    if (op == MG_OP_POWC) {
        char k[40];
        mg__fmt_exponent(ctx->data[ctx->a1[i]], k, sizeof k);
        snprintf(sym, sizeof sym, "**%s", k);
    } else {
        snprintf(sym, sizeof sym, "%s", op == MG_OP_LEAF ? "" : mg_op_symbol(op));
    }
    mg__sink_printf(s, "{\"id\":%u,\"name\":", i);
    put_json_string(s, shown_of(p, i)->name);
    mg__sink_printf(s, ",\"op\":\"%s\",\"sym\":", mg_op_name(op));
    put_json_string(s, sym);
    mg__sink_printf(s, ",\"role\":\"%s\",\"inputs\":[",
                    mg__name_of(roles, MG__COUNT(roles), mg__role_at(ctx, i)));
    uint32_t pair[2], n;
    const uint32_t *in = mg__live_operands(ctx, i, pair, &n);
    for (uint32_t k = 0; k < n; k++) mg__sink_printf(s, "%s%u", k ? "," : "", in[k]);
    if (op == MG_OP_DOT)
        mg__sink_printf(s, "],\"bias\":%d,\"data\":", mg_dot_has_bias(ctx, mg__handle(ctx, i)));
    else
        mg__sink_puts(s, "],\"data\":");
    put_json_number(s, ctx->data[i]);
    mg__sink_puts(s, ",\"grad\":");
    put_json_number(s, grad0(p, i));
    mg__sink_puts(s, "}");
}

static void put_json_step(mg__sink *s, const page_step *t) {
    mg__sink_printf(s, "{\"value\":%u,\"operand\":%u,\"k\":%u,\"added\":%s,\"grad\":", t->value,
                    t->operand, t->k, t->added ? "true" : "false");
    put_json_number(s, t->grad);
    mg__sink_puts(s, ",\"local\":");
    put_json_number(s, t->local);
    mg__sink_puts(s, ",\"term\":");
    put_json_number(s, t->term);
    mg__sink_puts(s, ",\"before\":");
    put_json_number(s, t->before);
    mg__sink_puts(s, ",\"after\":");
    put_json_number(s, t->after);
    mg__sink_puts(s, "}");
}

/* The frames' data (micrograd.h section 13d says what each field is). */
static void put_json(mg__sink *s, const page *p) {
    mg__sink_printf(s, "{\"format\":\"micrograd-backprop\",\"version\":1,\"root\":%u,"
                       "\"precision\":%d,\n\"nodes\":[",
                    p->r, p->opt->precision);
    const char *sep = "";
    for (uint32_t i = 0; i <= p->r; i++) {
        if (!p->seen[i]) continue;
        mg__sink_printf(s, "%s\n", sep);
        put_json_node(s, p, i);
        sep = ",";
    }
    mg__sink_puts(s, "],\n\"forward\":[");
    sep = "";
    for (uint32_t i = 0; i <= p->r; i++) {
        if (!p->seen[i] || mg__is_leaf(p->ctx, i)) continue;
        mg__sink_printf(s, "%s%u", sep, i);
        sep = ",";
    }
    mg__sink_puts(s, "],\n\"backward\":[");
    for (size_t k = 0; k < p->nsteps; k++) {
        mg__sink_puts(s, k ? ",\n" : "\n");
        put_json_step(s, &p->steps[k]);
    }
    mg__sink_puts(s, "]}\n");
}

/* The heading: the title, the root as a formula when it is short, and the sizes. */
static void put_header(mg__sink *s, const page *p, const char *title) {
    mg__sink_puts(s, "<header>\n<h1>");
    put_html(s, title);
    mg__sink_puts(s, "</h1>\n");
    mg_formula_options fo;
    mg_formula_options_init(&fo);
    fo.max_chars = 400;
    char formula[420];
    size_t len = 0;
    if (mg_formula_format(p->ctx, mg__handle(p->ctx, p->r), &fo, formula, sizeof formula, &len,
                          NULL) == MG_STATUS_OK &&
        len < sizeof formula) {
        mg__sink_puts(s, "<pre class=\"formula\">");
        put_html(s, formula);
        mg__sink_puts(s, "</pre>\n");
    }
    mg__sink_printf(s, "<p class=\"meta\">%zu values, %zu operations, %zu chain-rule terms. "
                       "Numbers from micrograd in C " MG_VERSION_STRING "; the page "
                       "works offline.</p>\n</header>\n",
                    p->nvalues, p->nops, p->nsteps);
}

static const char *const controls_html =
    "<div id=\"controls\">\n"
    "<div class=\"buttons\">"
    "<button id=\"first\" title=\"the start (Home)\">First</button>"
    "<button id=\"prev\" title=\"one step back (Left arrow)\">Back</button>"
    "<button id=\"play\" title=\"play or pause (Space)\">Play</button>"
    "<button id=\"next\" title=\"one step on (Right arrow)\">Step</button>"
    "<button id=\"last\" title=\"the end (End)\">Last</button></div>\n"
    "<input type=\"range\" id=\"slider\" min=\"0\" max=\"0\" value=\"0\" aria-label=\"frame\">\n"
    "<div class=\"row\"><span id=\"count\"></span>"
    "<label>speed <select id=\"speed\"><option value=\"0.5\">0.5/s</option>"
    "<option value=\"1\">1/s</option><option value=\"2\" selected>2/s</option>"
    "<option value=\"4\">4/s</option><option value=\"10\">10/s</option></select></label>"
    "<button id=\"zoom\" title=\"fit the graph to the window, or show it at full size\">"
    "Full size</button></div>\n"
    "<p class=\"keys\">Keys: Left and Right step, Space plays, Home and End jump.</p>\n"
    "</div>\n";

static const char *const legend_html =
    "<details id=\"legend\"><summary>Colours</summary><ul>"
    "<li><span class=\"sw leaf\"></span>a leaf (a Value you made)</li>"
    "<li><span class=\"sw param\"></span>a parameter</li>"
    "<li><span class=\"sw input\"></span>an input</li>"
    "<li><span class=\"sw const\"></span>a constant</li>"
    "<li><span class=\"sw op\"></span>computed by an operation</li>"
    "<li><span class=\"sw root\"></span>the output</li>"
    "<li><span class=\"sw cur\"></span>the value being computed, or passing its gradient on</li>"
    "<li><span class=\"sw tgt\"></span>the input receiving it</li>"
    "</ul></details>\n";

static void put_page(mg__sink *s, const page *p, const char *svg) {
    char title[400];
    if (p->opt->title && *p->opt->title)
        mg__viz_utf8_clean(p->opt->title, title, sizeof title);
    else
        snprintf(title, sizeof title, "Backpropagation of %s, step by step", shown_of(p, p->r)->name);
    mg__sink_puts(s, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<meta name=\"color-scheme\" content=\"light dark\">\n"
                     /* Nothing may be fetched: no server, no CDN, no font, no image. */
                     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                     "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
                     "base-uri 'none'; form-action 'none'\">\n"
                     "<link rel=\"icon\" href=\"data:,\">\n<title>");
    put_html(s, title);
    mg__sink_puts(s, "</title>\n<style>\n");
    mg__sink_puts(s, mg__page_css);
    mg__sink_puts(s, "</style>\n</head>\n<body>\n");
    put_header(s, p, title);
    mg__sink_puts(s, "<main>\n<figure id=\"graph\" class=\"fit\">\n");
    mg__sink_puts(s, svg);
    mg__sink_puts(s, "</figure>\n<aside id=\"panel\">\n<p id=\"phase\"></p>\n"
                     "<p id=\"rule\" class=\"rule\"></p>\n<p id=\"what\"></p>\n<p id=\"note\"></p>\n");
    mg__sink_puts(s, controls_html);
    mg__sink_puts(s, legend_html);
    if (p->opt->source && *p->opt->source) {
        mg__sink_puts(s, "<details id=\"source\"><summary>The script</summary><pre>");
        put_html(s, p->opt->source);
        mg__sink_puts(s, "</pre></details>\n");
    }
    mg__sink_puts(s, "</aside>\n</main>\n<script type=\"application/json\" id=\"mg-frames\">\n");
    put_json(s, p);
    mg__sink_puts(s, "</script>\n<script>\n");
    mg__sink_puts(s, mg__page_js);
    mg__sink_puts(s, "</script>\n</body>\n</html>\n");
}

/* ==== the calls ============================================================================ */

/* Checks the options and the size, and fills p's view of the graph. */
static mg_status page_begin(page *p, mg_ctx *ctx, mg_value root, const mg_page_options *opt,
                            mg_err *err) {
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->opt = opt;
    if (!mg_ok(root)) return mg_err_set(err, MG_STATUS_INVALID, "cannot show MG_NULL");
    if (opt->precision < 0 || opt->precision > 17)
        return mg_err_set(err, MG_STATUS_INVALID, "precision %d: give 0 .. 17", opt->precision);
    p->r = mg__idx(ctx, root);
    p->seen = mg__calloc((size_t)p->r + 1, 1);
    if (!p->seen) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory making a page");
    p->nvalues = mg__reach(ctx, p->r, p->seen);
    for (uint32_t i = 0; i <= p->r; i++) p->nops += p->seen[i] && !mg__is_leaf(ctx, i);
    size_t count = p->nvalues + p->nops;
    if (opt->max_nodes && count > opt->max_nodes)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "graph too large to animate: %zu nodes (values and their operations), "
                          "the page's limit is %zu; show a smaller piece (one neuron, one "
                          "sample's loss) or raise the limit",
                          count, opt->max_nodes);
    p->slot = mg__malloc(mg__mul_size((size_t)p->r + 1, sizeof *p->slot));
    p->shown = mg__calloc(p->nvalues, sizeof *p->shown);
    if (!p->slot || !p->shown) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory making a page");
    for (uint32_t i = 0, k = 0; i <= p->r; i++)
        if (p->seen[i]) p->slot[i] = k++;
    return MG_STATUS_OK;
}

static void page_end(page *p) {
    mg__free(p->seen);
    mg__free(p->steps);
    mg__free(p->slot);
    mg__free(p->shown);
}

/* Everything but the writing: the frames, then the drawing. Returns the SVG (mg__free). */
static char *page_make(page *p, mg_ctx *ctx, mg_value root, const mg_page_options *opt,
                       mg_err *err) {
    if (page_begin(p, ctx, root, opt, err) || record_backward(p, err)) return NULL;
    if (!make_names(p)) {
        mg_err_set(err, MG_STATUS_NOMEM, "out of memory making a page");
        return NULL;
    }
    measure_grads(p);
    return page_svg(p, err);
}

mg_status mg_page_write(mg_ctx *ctx, mg_value root, const mg_page_options *opt, FILE *out,
                        mg_err *err) {
    MG_ASSERT(ctx != NULL && out != NULL, "mg_page_write of NULL");
    mg_page_options defaults;
    if (!opt) {
        mg_page_options_init(&defaults);
        opt = &defaults;
    }
    page p;
    mg_err e = {MG_STATUS_OK, ""};
    char *svg = page_make(&p, ctx, root, opt, &e);
    mg_status st = e.status;
    if (svg) {
        mg__sink s = {out, NULL, 0, 0, 0};
        put_page(&s, &p, svg);
        if (s.failed || fflush(out) != 0 || ferror(out))
            st = mg_err_set(&e, MG_STATUS_IO, "writing the page failed");
    }
    mg__free(svg);
    page_end(&p);
    return st ? mg__err_forward(err, &e) : MG_STATUS_OK;
}

mg_status mg_page_save(mg_ctx *ctx, mg_value root, const mg_page_options *opt, const char *path,
                       mg_err *err) {
    MG_ASSERT(path != NULL, "mg_page_save to a NULL path");
    char ext[16];
    mg__files_ext(path, ext);
    if (strcmp(ext, "html") && strcmp(ext, "htm"))
        return mg_err_set(err, MG_STATUS_INVALID, "%s: a page is an .html file", path);
    mg_err e;
    mg_outfile *out = mg_outfile_open(path, &e);
    if (!out) return mg__err_forward(err, &e);
    mg_status st = mg_page_write(ctx, root, opt, mg_outfile_stream(out), &e);
    if (st) {
        mg_outfile_abort(out);
        if (st == MG_STATUS_IO) return mg_err_set(err, st, "%s: cannot write: %s", path, e.msg);
        return mg__err_forward(err, &e);
    }
    return mg_outfile_commit(out, err);
}
