/* viz_internal.h - pieces shared by the picture modules (dot.c, render.c, plot*.c,
 * formula.c): an output sink that is either a FILE or a caller's buffer, and clean UTF-8
 * for cairo and graphviz. Files are written with the library's one writer (micrograd.h
 * section 14e), a path's extension read with mg__files_ext. Not installed. */
#ifndef MG_VIZ_INTERNAL_H
#define MG_VIZ_INTERNAL_H

#include "engine/graph.h"
#include "io/files_internal.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- output sink: a FILE, or snprintf-style into a buffer ------------------------- */

typedef struct mg__sink {
    FILE *f;       /* when not NULL, text goes here */
    char *buf;     /* otherwise here, at most size - 1 bytes, always terminated */
    size_t size;
    size_t len;    /* bytes produced so far (also past the end of buf) */
    int failed;    /* a write to f failed */
} mg__sink;

static inline void mg__sink_write(mg__sink *s, const char *p, size_t n) {
    if (s->f) {
        if (n && fwrite(p, 1, n, s->f) != n) s->failed = 1;
    } else if (s->size) {
        if (s->len < s->size - 1) {
            size_t room = s->size - 1 - s->len;
            memcpy(s->buf + s->len, p, n < room ? n : room);
            s->buf[s->len + (n < room ? n : room)] = '\0';
        }
    }
    s->len += n;
}

static inline void mg__sink_puts(mg__sink *s, const char *p) { mg__sink_write(s, p, strlen(p)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline void mg__sink_printf(mg__sink *s, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        s->failed = 1;
        return;
    }
    /* Callers print short pieces; longer ones (long titles) are cut at the buffer. */
    mg__sink_write(s, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Sets up a buffer sink (buf may be NULL when size is 0). */
static inline mg__sink mg__sink_buffer(char *buf, size_t size) {
    mg__sink s = {NULL, buf, size, 0, 0};
    if (buf && size) buf[0] = '\0';
    if (!buf) s.size = 0;
    return s;
}

/* Length of the valid UTF-8 sequence at s (1 .. 4), or 0 when it is not valid. */
static inline int mg__viz_utf8_len(const unsigned char *s) {
    if (s[0] < 0x80) return 1;
    int n = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
    if (n == 0) return 0;
    for (int k = 1; k < n; k++)
        if ((s[k] & 0xc0) != 0x80) return 0;
    /* No overlong forms, surrogates, or code points past U+10FFFF. */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* Copies text to out (size bytes, always terminated), each byte that does not start a
 * valid UTF-8 sequence (cairo and graphviz refuse them) replaced by '?'. */
static inline void mg__viz_utf8_clean(const char *text, char *out, size_t size) {
    const unsigned char *p = (const unsigned char *)text;
    size_t k = 0;
    while (*p && k + 5 < size) {
        int n = mg__viz_utf8_len(p);
        if (n == 0 || (*p < 0x20 && *p != '\t')) {
            out[k++] = '?';
            p++;
            continue;
        }
        for (int j = 0; j < n; j++) out[k++] = (char)p[j];
        p += n;
    }
    out[k] = '\0';
}

/* ---- a page's drawing (dot.c) ------------------------------------------------------- */

/* What the backprop page's drawing changes in mg_graph_write's DOT text: stable ids that
 * its script finds the SVG's elements by (value i "v<i>", its op node "v<i>op", the edge
 * from the op node to the value "v<i>e", from operand k to the op node "v<i>e<k>"),
 * classes by role ("value param", "root" added for the root; "opnode"; no '-', which
 * graphviz would write as an entity), and the
 * label and number fields from the caller: field(user, i, which, buf, size) writes value
 * i's name (which 0), data field text (1) or grad field text (2) into buf. */
typedef struct mg__dot_page {
    void (*field)(void *user, uint32_t i, int which, char *buf, size_t size);
    void *user;
} mg__dot_page;

/* mg_graph_write's DOT text, with the page's changes, to s. Errors as mg_graph_write's. */
mg_status mg__graph_page_dot(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt,
                             const mg__dot_page *page, mg__sink *s, mg_err *err);

/* ---- rendering (render.c) ------------------------------------------------------------ */

/* Lays out DOT text with graphviz (`how`, AUTO allowed) and returns the SVG text in *svg
 * (NUL-terminated, *n bytes, free with mg__free). Errors as mg_graph_render's, and
 * MG_STATUS_IO when the temporary file the child writes to cannot be made or read. */
mg_status mg__graph_render_svg(const char *dot, size_t len, mg_renderer how, double timeout,
                               char **svg, size_t *n, mg_err *err);
/* The size of graphviz's SVG text in points (its viewBox): 1, or 0 when it has none. */
int mg__svg_size(const char *svg, double *w, double *h);

#endif /* MG_VIZ_INTERNAL_H */
