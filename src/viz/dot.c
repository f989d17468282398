/* dot.c - the DOT text of the graph behind a value, like micrograd's draw_dot: a record
 * node per value, an op node feeding it, edges from inputs to op nodes. Output order is
 * tape order and node names come from tape indices, so the text is deterministic. */
#include "viz_internal.h"

/* ==== options ============================================================================ */

void mg_graph_options_init(mg_graph_options *opt) {
    MG_ASSERT(opt != NULL, "mg_graph_options_init of NULL");
    opt->rankdir = MG_RANKDIR_LR;
    opt->number_format = "%.4f";
    opt->show_grad = 1;
    opt->colors = 1;
    opt->max_nodes = 2000;
    opt->title = NULL;
    opt->renderer = MG_RENDERER_AUTO;
    opt->timeout = 60.0;
    opt->max_png_side = 4000;
}

/* A number format is one conversion of a double and nothing printf could misread: the
 * user's string goes straight to snprintf, so anything else (%s, %n, two conversions)
 * must be refused here. */
static int valid_number_format(const char *f) {
    int conversions = 0;
    if (!f || strlen(f) > 32) return 0;
    for (const char *p = f; *p; p++) {
        if (*p != '%') continue;
        p++;
        if (*p == '%') continue;
        while (*p && strchr("-+ #0", *p)) p++;
        int digits = 0;
        while (*p >= '0' && *p <= '9') p++, digits++;
        if (digits > 2) return 0;
        if (*p == '.') {
            p++;
            digits = 0;
            while (*p >= '0' && *p <= '9') p++, digits++;
            if (digits > 2) return 0;
        }
        if (!*p || !strchr("fFeEgG", *p)) return 0;
        conversions++;
    }
    return conversions == 1;
}

/* ==== escaping =========================================================================== */

/* Writes text for a label inside a DOT quoted string. graphviz reads a label three times:
 * the DOT lexer (\" and \\), the record parser (\{ \} \| \< \> and "\ " for a space that
 * must stay), and the label's escapes (\N, \G, ...; a doubled backslash is a literal one)
 * and HTML entities (&amp;). So: quote and backslash are backslashed, & is &amp;, record
 * specials are backslashed in records, control bytes and invalid UTF-8 become '?'.
 * (Invalid UTF-8 would make graphviz warn and guess another charset.) */
static void put_escaped(mg__sink *s, const char *text, int record) {
    const unsigned char *p = (const unsigned char *)text;
    int after_multibyte = 0;
    while (*p) {
        unsigned char c = *p;
        int was_after = after_multibyte;
        after_multibyte = 0;
        if (c < 0x20 || c == 0x7f) {
            mg__sink_puts(s, "?");
            p++;
        } else if (c >= 0x80) {
            int n = mg__viz_utf8_len(p);
            if (n == 0) {
                mg__sink_puts(s, "?");
                p++;
            } else {
                mg__sink_write(s, (const char *)p, (size_t)n);
                p += n;
                after_multibyte = 1;
            }
        } else if (c == '"' || c == '\\') {
            char e[3] = {'\\', (char)c, 0};
            mg__sink_puts(s, e);
            p++;
        } else if (c == '&') {
            mg__sink_puts(s, "&amp;");
            p++;
        } else if (record && c == ' ' && was_after) {
            /* graphviz's record parser drops a space that follows a multibyte character,
             * escaped or not; a character reference survives it. */
            mg__sink_puts(s, "&#32;");
            p++;
        } else if (record && strchr("{}|<> ", c)) {
            char e[3] = {'\\', (char)c, 0};
            mg__sink_puts(s, e);
            p++;
        } else {
            mg__sink_write(s, (const char *)p, 1);
            p++;
        }
    }
}

/* ==== colours by role ====================================================================== */

static const char *fill_of(const mg_ctx *ctx, uint32_t i, uint32_t root) {
    if (i == root) return "#ffd9b3"; /* output: light orange */
    switch ((mg_role)mg__role_at(ctx, i)) {
    case MG_ROLE_PARAM: return "#c8f0c8"; /* light green, as the yin-yang reference */
    case MG_ROLE_INPUT: return "#cfe2ff"; /* light blue, as the yin-yang reference */
    case MG_ROLE_CONST: return "#e8e8e8";
    case MG_ROLE_LEAF: return "#fff5c2";
    case MG_ROLE_OP: break;
    }
    return "#ffffff";
}

/* ==== the writer ============================================================================ */

/* The op node's text: the op's symbol, with a powc's exponent folded in ("**2"). */
static void op_text(const mg_ctx *ctx, uint32_t i, char *buf, size_t size) {
    mg_op op = (mg_op)mg__op_at(ctx, i);
    if (op == MG_OP_POWC) {
        char k[40];
        mg__fmt_exponent(ctx->data[ctx->a1[i]], k, sizeof k);
        snprintf(buf, size, "**%s", k);
    } else {
        snprintf(buf, size, "%s", mg_op_symbol(op));
    }
}

/* Counts the drawn nodes of root's graph into *count; seen (root + 1 bytes) is returned
 * for the writer or freed. 0 when out of memory. */
static int reach(const mg_ctx *ctx, uint32_t r, uint8_t **seen_out, size_t *count) {
    uint8_t *seen = mg__calloc((size_t)r + 1, 1);
    if (!seen) return 0;
    size_t values = mg__reach(ctx, r, seen), ops = 0;
    for (uint32_t i = 0; i <= r; i++)
        if (seen[i] && mg__op_at(ctx, i) != MG_OP_LEAF) ops++;
    *count = values + ops;
    if (seen_out)
        *seen_out = seen;
    else
        mg__free(seen);
    return 1;
}

size_t mg_graph_count(const mg_ctx *ctx, mg_value root) {
    if (!mg_ok(root)) return 0;
    size_t count = 0;
    if (!reach(ctx, mg__idx(ctx, root), NULL, &count)) return 0;
    return count;
}

static const char *role_class(const mg_ctx *ctx, uint32_t i) {
    static const char *const names[] = {"leaf", "param", "input", "const", "op"};
    return mg__name_of(names, MG__COUNT(names), mg__role_at(ctx, i));
}

/* Value i's record: "{ label | data D | grad G }" (without braces top to bottom), with
 * the page's names and fields when page is not NULL. */
static void write_record(const mg_ctx *ctx, uint32_t i, uint32_t r, const mg_graph_options *o,
                         const mg__dot_page *page, mg__sink *s) {
    /* micrograd's "{ label | data | grad }": braces turn the fields sideways, which with
     * LR lays them out in one row; with TB the fields are in one row without them. */
    const char *open = o->rankdir == MG_RANKDIR_TB ? "" : "{ ";
    const char *close = o->rankdir == MG_RANKDIR_TB ? "" : " }";
    char num[512];
    mg__sink_printf(s, "  v%u [shape=record", i);
    if (page) mg__sink_printf(s, ", id=\"v%u\", class=\"value %s%s\"", i,
                              role_class(ctx, i), i == r ? " root" : "");
    if (o->colors) mg__sink_printf(s, ", style=filled, fillcolor=\"%s\"", fill_of(ctx, i, r));
    mg__sink_printf(s, ", label=\"%s", open);
    if (page) page->field(page->user, i, 0, num, sizeof num);
    put_escaped(s, page ? num : mg__label_at(ctx, i), 1);
    mg__sink_puts(s, " | data ");
    if (page)
        page->field(page->user, i, 1, num, sizeof num);
    else
        snprintf(num, sizeof num, o->number_format, ctx->data[i]);
    put_escaped(s, num, 1);
    if (o->show_grad) {
        if (page)
            page->field(page->user, i, 2, num, sizeof num);
        else
            snprintf(num, sizeof num, o->number_format, mg__grad_at(ctx, i));
        mg__sink_puts(s, " | grad ");
        put_escaped(s, num, 1);
    }
    mg__sink_printf(s, "%s\"];\n", close);
}

static void write_graph(const mg_ctx *ctx, uint32_t r, const uint8_t *seen,
                        const mg_graph_options *o, const mg__dot_page *page, mg__sink *s) {
    const char *font = "Helvetica,Arial,sans-serif";
    mg__sink_printf(s, "digraph micrograd {\n  graph [rankdir=%s, fontname=\"%s\"",
                    o->rankdir == MG_RANKDIR_TB ? "TB" : "LR", font);
    if (o->title && *o->title) {
        mg__sink_puts(s, ", labelloc=t, fontsize=16, label=\"");
        put_escaped(s, o->title, 0);
        mg__sink_puts(s, "\"");
    }
    mg__sink_printf(s, "];\n  node [fontname=\"%s\", fontsize=14];\n  edge [arrowsize=0.8];\n",
                    font);
    char sym[64];
    for (uint32_t i = 0; i <= r; i++) {
        if (!seen[i]) continue;
        write_record(ctx, i, r, o, page, s);
        if (mg__op_at(ctx, i) == MG_OP_LEAF) continue;
        op_text(ctx, i, sym, sizeof sym);
        mg__sink_printf(s, "  v%uop [", i);
        if (page) mg__sink_printf(s, "id=\"v%uop\", class=\"opnode\", ", i);
        mg__sink_puts(s, "label=\"");
        put_escaped(s, sym, 0);
        mg__sink_printf(s, "\"];\n  v%uop -> v%u", i, i);
        mg__sink_puts(s, page ? "" : ";\n");
        if (page) mg__sink_printf(s, " [id=\"v%ue\"];\n", i);
        uint32_t pair[2], n;
        const uint32_t *in = mg__live_operands(ctx, i, pair, &n);
        for (uint32_t k = 0; k < n; k++) {
            mg__sink_printf(s, "  v%u -> v%uop", in[k], i);
            if (page)
                mg__sink_printf(s, " [id=\"v%ue%u\"];\n", i, k);
            else
                mg__sink_puts(s, ";\n");
        }
    }
    mg__sink_puts(s, "}\n");
}

/* Checks the arguments and the size, then writes; nothing is written on a refusal. */
static mg_status dot_to_sink(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt,
                             const mg__dot_page *page, mg__sink *s, mg_err *err) {
    mg_graph_options defaults;
    if (!opt) {
        mg_graph_options_init(&defaults);
        opt = &defaults;
    }
    if (!mg_ok(root)) return mg_err_set(err, MG_STATUS_INVALID, "cannot draw MG_NULL");
    if (!valid_number_format(opt->number_format))
        return mg_err_set(err, MG_STATUS_INVALID,
                          "bad number format '%s': give one conversion for a number, e.g. %%.4f",
                          opt->number_format ? opt->number_format : "(null)");
    uint32_t r = mg__idx(ctx, root);
    uint8_t *seen = NULL;
    size_t count = 0;
    if (!reach(ctx, r, &seen, &count))
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory drawing a graph");
    if (opt->max_nodes && count > opt->max_nodes) {
        mg__free(seen);
        return mg_err_set(err, MG_STATUS_INVALID,
                          "graph too large to draw: %zu nodes, the limit is %zu; draw a smaller "
                          "piece (one sample's loss, one neuron) or raise the limit",
                          count, opt->max_nodes);
    }
    write_graph(ctx, r, seen, opt, page, s);
    mg__free(seen);
    if (s->failed) return mg_err_set(err, MG_STATUS_IO, "writing the DOT text failed");
    return MG_STATUS_OK;
}

mg_status mg_graph_write(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt, FILE *out,
                       mg_err *err) {
    MG_ASSERT(out != NULL, "mg_graph_write to a NULL FILE");
    mg__sink s = {out, NULL, 0, 0, 0};
    mg_status st = dot_to_sink(ctx, root, opt, NULL, &s, err);
    if (st == MG_STATUS_OK && (fflush(out) != 0 || ferror(out)))
        return mg_err_set(err, MG_STATUS_IO, "writing the DOT text failed");
    return st;
}

mg_status mg_graph_format(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt, char *buf,
                        size_t size, size_t *len, mg_err *err) {
    MG_ASSERT(buf != NULL || size == 0, "mg_graph_format to a NULL buffer of nonzero size");
    mg__sink s = mg__sink_buffer(buf, size);
    mg_status st = dot_to_sink(ctx, root, opt, NULL, &s, err);
    if (len) *len = st == MG_STATUS_OK ? s.len : 0;
    return st;
}

mg_status mg__graph_page_dot(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt,
                             const mg__dot_page *page, mg__sink *s, mg_err *err) {
    return dot_to_sink(ctx, root, opt, page, s, err);
}
