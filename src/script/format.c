/* format.c - Python's printing, byte for byte: str() of ints and floats, repr() and
 * ascii() of strings, and format(x, spec) with the format mini-language
 *     [[fill]align][sign]["z"]["#"]["0"][width][grouping]["." precision][type]
 * for ints, floats and strings (CPython 3.11's rules: its formatter.h and pystrtod.c).
 * The digits come from the C library's correctly rounded printf, whose %e %f %g are the
 * ones Python's e f g are defined by; the shortest repr from mg_fmt_repr. */
#include "script_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

/* Widths and precisions past this are refused: Python allows more, but nothing printed
 * by a script needs a megabyte of padding. */
#define MAX_WIDTH 10000

/* ==== str and repr ======================================================================= */

int mg__py_num(sbuf *out, int is_int, double x) {
    char buf[400];
    if (is_int)
        snprintf(buf, sizeof buf, "%.0f", x + 0.0); /* + 0.0: an int has no -0 */
    else
        mg_fmt_repr(x, buf, sizeof buf);
    return mg__sbuf_puts(out, buf);
}

/* The code point of the UTF-8 sequence at s[*i] (moving *i past it); a byte that starts
 * no valid sequence is returned as itself with *bad set. */
static uint32_t utf8_next(const char *s, size_t n, size_t *i, int *bad) {
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[*i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    *bad = 0;
    if (len == 1 || len == 0 || *i + (size_t)len > n) {
        *bad = len != 1;
        (*i)++;
        return c;
    }
    uint32_t cp = c & (0x7f >> len);
    for (int k = 1; k < len; k++) {
        if ((u[*i + (size_t)k] & 0xc0) != 0x80) {
            *bad = 1;
            (*i)++;
            return c;
        }
        cp = cp << 6 | (u[*i + (size_t)k] & 0x3f);
    }
    *i += (size_t)len;
    return cp;
}

int mg__py_str_repr(sbuf *out, const char *s, size_t n, int ascii) {
    int has_single = memchr(s, '\'', n) != NULL, has_double = memchr(s, '"', n) != NULL;
    char q = has_single && !has_double ? '"' : '\'';
    if (!mg__sbuf_putc(out, q)) return 0;
    for (size_t i = 0; i < n;) {
        size_t from = i;
        int bad;
        uint32_t cp = utf8_next(s, n, &i, &bad);
        char esc[16] = "";
        if (cp == '\\' || cp == (uint32_t)q) snprintf(esc, sizeof esc, "\\%c", (char)cp);
        else if (cp == '\n') strcpy(esc, "\\n");
        else if (cp == '\r') strcpy(esc, "\\r");
        else if (cp == '\t') strcpy(esc, "\\t");
        else if (cp < 0x20 || cp == 0x7f || (bad && ascii))
            snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp);
        else if (ascii && cp >= 0x80)
            snprintf(esc, sizeof esc,
                     cp < 0x100 ? "\\x%02x" : cp < 0x10000 ? "\\u%04x" : "\\U%08x", (unsigned)cp);
        if (!(*esc ? mg__sbuf_puts(out, esc) : mg__sbuf_put(out, s + from, i - from))) return 0;
    }
    return mg__sbuf_putc(out, q);
}

/* ==== the spec ============================================================================ */

typedef struct fspec {
    char fill[5]; /* one character, UTF-8 */
    int fill_set;
    char align;   /* '<' '>' '=' '^', or 0 */
    char sign;    /* '+' '-' ' ', or 0 */
    int z, alt, zero;
    long width, prec; /* -1: not given */
    char group;       /* ',' '_', or 0 */
    char type;        /* the presentation type, or 0 */
} fspec;

static int fail(char *why, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail(char *why, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* The error for an unknown presentation type (shown only when printable). */
static int unknown_type(char t, char *why, size_t whysize) {
    if (t > 0x20 && t < 0x7f) return fail(why, whysize, "unknown format code '%c'", t);
    return fail(why, whysize, "unknown format code");
}

static int is_align(char c) { return c == '<' || c == '>' || c == '=' || c == '^'; }
static int digit(char c) { return c >= '0' && c <= '9'; }

/* Reads digits at spec[*i] into *v (capped); 0 when there are none. */
static int read_number(const char *spec, size_t n, size_t *i, long *v) {
    size_t start = *i;
    *v = 0;
    while (*i < n && digit(spec[*i])) {
        if (*v <= MAX_WIDTH) *v = *v * 10 + (spec[*i] - '0');
        (*i)++;
    }
    return *i > start;
}

static int parse_spec(const char *spec, size_t n, fspec *f, char *why, size_t whysize) {
    memset(f, 0, sizeof *f);
    f->width = f->prec = -1;
    size_t i = 0;
    int lead = n ? ((unsigned char)spec[0] < 0x80 ? 1 : 0) : 0;
    if (n && !lead) { /* a fill that is one non-ASCII character */
        size_t k = 0;
        int bad;
        utf8_next(spec, n, &k, &bad);
        lead = (int)k;
    }
    if (n > (size_t)lead && lead > 0 && is_align(spec[lead])) {
        memcpy(f->fill, spec, (size_t)lead);
        f->fill_set = 1;
        f->align = spec[lead];
        i = (size_t)lead + 1;
    } else if (n && is_align(spec[0])) {
        f->align = spec[0];
        i = 1;
    }
    if (i < n && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) f->sign = spec[i++];
    if (i < n && spec[i] == 'z') f->z = 1, i++;
    if (i < n && spec[i] == '#') f->alt = 1, i++;
    if (i < n && spec[i] == '0') f->zero = 1, i++;
    if (read_number(spec, n, &i, &f->width) && f->width > MAX_WIDTH)
        return fail(why, whysize, "width too large (at most %d)", MAX_WIDTH);
    if (i < n && (spec[i] == ',' || spec[i] == '_')) {
        f->group = spec[i++];
        if (i < n && (spec[i] == ',' || spec[i] == '_'))
            return fail(why, whysize, "cannot specify both ',' and '_'");
    }
    if (i < n && spec[i] == '.') {
        i++;
        if (!read_number(spec, n, &i, &f->prec)) return fail(why, whysize, "missing precision");
        if (f->prec > MAX_WIDTH)
            return fail(why, whysize, "precision too large (at most %d)", MAX_WIDTH);
    }
    if (n - i > 1) return fail(why, whysize, "invalid format specifier");
    if (i < n) f->type = spec[i];
    return 1;
}

/* ==== padding and grouping ================================================================ */

/* The number of characters (code points) in s[0 .. n-1]. */
static size_t nchars(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

static int put_fill(sbuf *out, const fspec *f, size_t count) {
    const char *fill = f->fill_set ? f->fill : " ";
    for (size_t k = 0; k < count; k++)
        if (!mg__sbuf_puts(out, fill)) return 0;
    return 1;
}

/* Appends the digit run d[0 .. nd-1] grouped by `every` with sep, widened with zeros to
 * min_width characters, as CPython's InsertThousandsGrouping does (never starting with a
 * separator). */
static int put_grouped(sbuf *out, const char *d, size_t nd, char sep, size_t every,
                       long min_width) {
    if (nd == 0) return 1; /* inf, nan */
    char rev[MAX_WIDTH * 2 + 800];
    size_t o = 0;
    long remaining = (long)nd, minw = min_width;
    int use_sep = 0;
    for (;;) {
        long l = (long)every, want = remaining > minw ? remaining : minw;
        if (want < 1) want = 1;
        if (l > want) l = want;
        long zeros = l - remaining > 0 ? l - remaining : 0, chars = l - zeros;
        if (use_sep && sep) rev[o++] = sep;
        for (long k = 0; k < chars; k++) rev[o++] = d[--remaining];
        for (long k = 0; k < zeros; k++) rev[o++] = '0';
        use_sep = 1;
        minw -= l;
        if (remaining <= 0 && minw <= 0) break;
        if (sep) minw -= 1;
        if (o + every + 2 >= sizeof rev) break;
    }
    for (size_t k = 0; k < o / 2; k++) {
        char t = rev[k];
        rev[k] = rev[o - 1 - k];
        rev[o - 1 - k] = t;
    }
    return mg__sbuf_put(out, rev, o);
}

/* Lays out a number: sign, prefix (0x), the digit run d (grouped), the rest (fraction,
 * exponent, %), padded to the width. */
static int put_number(sbuf *out, const fspec *f, const char *sign, const char *prefix,
                      const char *d, size_t nd, const char *rest, size_t every) {
    size_t ns = strlen(sign), np = strlen(prefix), nr = strlen(rest);
    char fillc = f->fill_set ? f->fill[0] : ' ';
    int zero_pad = f->align == '=' && fillc == '0' && f->fill[1] == '\0';
    long min_width = zero_pad && f->width > 0 ? f->width - (long)(ns + np + nr) : 0;
    sbuf digits = {0};
    if (!put_grouped(&digits, d, nd, f->group, every, nd ? min_width : 0)) return 0;
    size_t len = ns + np + digits.n + nr;
    size_t pad = f->width > 0 && (size_t)f->width > len ? (size_t)f->width - len : 0;
    char align = f->align ? f->align : '>';
    size_t left = align == '>' ? pad : align == '^' ? pad / 2 : 0;
    size_t right = align == '<' ? pad : align == '^' ? pad - pad / 2 : 0;
    int ok = put_fill(out, f, left) && mg__sbuf_puts(out, sign) && mg__sbuf_puts(out, prefix) &&
             (align != '=' || put_fill(out, f, pad)) && mg__sbuf_put(out, digits.b, digits.n) &&
             mg__sbuf_puts(out, rest) && put_fill(out, f, right);
    mg__sbuf_free(&digits);
    return ok;
}

/* ==== floats =============================================================================== */

/* Python's 'g' with "at least one digit after the point" (the type of none with a
 * precision: CPython's ADD_DOT_0 flag): prec significant digits of ax into buf. */
static void format_none_prec(double ax, long prec, int alt, char *buf, size_t size) {
    char e[64];
    if (prec == 0) prec = 1;
    snprintf(e, sizeof e, "%.*e", (int)prec - 1, ax);
    char digits[64];
    size_t nd = 0;
    const char *p = e;
    for (; *p && *p != 'e'; p++)
        if (digit(*p)) digits[nd++] = *p;
    int decpt = atoi(p + 1) + 1;
    if (!alt)
        while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = '\0';
    int use_exp = decpt <= -4 || decpt > prec - 1;
    long vend = alt ? prec : (long)nd, exp = decpt - 1;
    if (use_exp) decpt = 1;
    long vstart = decpt <= 0 ? decpt - 1 : 0;
    if (!use_exp) vend = vend > decpt ? vend : decpt + 1;
    else vend = vend > decpt ? vend : decpt;
    size_t o = 0;
    for (long k = vstart; k < vend && o + 2 < size; k++) {
        if (k == decpt) buf[o++] = '.';
        buf[o++] = k >= 0 && k < (long)nd ? digits[k] : '0';
    }
    if (vend == decpt && alt && o + 1 < size) buf[o++] = '.';
    buf[o] = '\0';
    if (use_exp) snprintf(buf + o, size - o, "e%+03ld", exp);
}

/* The text of |x| for a float presentation type, into out (no sign, no padding). */
static int float_body(sbuf *out, double x, const fspec *f) {
    char type = f->type ? f->type : 0;
    int upper = type == 'F' || type == 'E' || type == 'G';
    if (!isfinite(x)) {
        const char *t = isnan(x) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        return mg__sbuf_puts(out, t) && (type != '%' || mg__sbuf_putc(out, '%'));
    }
    double ax = fabs(x);
    if (type == 0 && f->prec < 0) { /* repr; '#' keeps a point before an exponent (1.e+16) */
        char buf[40];
        mg_fmt_repr(ax, buf, sizeof buf);
        char *e = strchr(buf, 'e');
        if (f->alt && e && !strchr(buf, '.')) memmove(e + 1, e, strlen(e) + 1), *e = '.';
        return mg__sbuf_puts(out, buf);
    }
    size_t size = 400 + (size_t)(f->prec > 0 ? f->prec : 0);
    char *buf = mg__malloc(size);
    if (!buf) return 0;
    int prec = (int)(f->prec < 0 ? 6 : f->prec);
    if (type == 0) {
        format_none_prec(ax, f->prec, f->alt, buf, size);
    } else if (type == 'f' || type == 'F' || type == '%') {
        snprintf(buf, size, f->alt ? "%#.*f" : "%.*f", prec, type == '%' ? ax * 100 : ax);
        if (type == '%') strcat(buf, "%");
    } else if (type == 'e' || type == 'E') {
        snprintf(buf, size, f->alt ? "%#.*e" : "%.*e", prec, ax);
    } else { /* g G n */
        snprintf(buf, size, f->alt ? "%#.*g" : "%.*g", prec ? prec : 1, ax);
    }
    if (upper)
        for (char *c = buf; *c; c++)
            if (*c == 'e') *c = 'E';
    int ok = mg__sbuf_puts(out, buf);
    mg__free(buf);
    return ok;
}

/* True when the digits of a formatted number (before its exponent) are all zero. */
static int all_zero(const char *s) {
    for (; *s && *s != 'e' && *s != 'E'; s++)
        if (*s >= '1' && *s <= '9') return 0;
    return 1;
}

static const char *sign_of(int neg, const fspec *f) {
    return neg ? "-" : f->sign == '+' ? "+" : f->sign == ' ' ? " " : "";
}

static int format_float(sbuf *out, double x, fspec *f, char *why, size_t whysize) {
    if (f->type && !strchr("eEfFgGn%", f->type))
        return unknown_type(f->type, why, whysize);
    if (f->type == 'n' && f->group)
        return fail(why, whysize, "cannot specify '%c' with 'n'", f->group);
    sbuf body = {0};
    if (!float_body(&body, x, f)) return 0;
    int neg = signbit(x) && !isnan(x);
    if (neg && f->z && all_zero(body.b)) neg = 0;
    size_t nd = 0;
    while (isfinite(x) && digit(body.b[nd])) nd++;
    int ok = put_number(out, f, sign_of(neg, f), "", body.b, nd, body.b + nd, 3);
    mg__sbuf_free(&body);
    return ok;
}

/* ==== ints and strings ====================================================================== */

static int format_int(sbuf *out, double x, fspec *f, char *why, size_t whysize) {
    char t = f->type;
    if (t && strchr("eEfFgG%", t)) return format_float(out, x, f, why, whysize);
    if (t && !strchr("bdoxXn", t)) {
        if (t == 'c') return fail(why, whysize, "format code 'c' (a character) is not supported");
        return unknown_type(t, why, whysize);
    }
    if (f->prec >= 0) return fail(why, whysize, "precision not allowed");
    if (f->z) return fail(why, whysize, "'z' not allowed");
    if (f->group == ',' && t && t != 'd')
        return fail(why, whysize, "cannot specify ',' with '%c'", t);
    if (f->group == '_' && t == 'n') return fail(why, whysize, "cannot specify '_' with 'n'");
    char digits[400], prefix[3] = "";
    double ax = fabs(x);
    int base = t == 'b' ? 2 : t == 'o' ? 8 : (t == 'x' || t == 'X') ? 16 : 10;
    if (base == 10) {
        snprintf(digits, sizeof digits, "%.0f", ax);
    } else {
        uint64_t u = (uint64_t)ax;
        char rev[72];
        size_t n = 0;
        do rev[n++] = "0123456789abcdef"[u % (uint64_t)base], u /= (uint64_t)base;
        while (u);
        for (size_t k = 0; k < n; k++)
            digits[k] = t == 'X' ? (char)toupper((unsigned char)rev[n - 1 - k]) : rev[n - 1 - k];
        digits[n] = '\0';
        if (f->alt) prefix[0] = '0', prefix[1] = t == 'X' ? 'X' : t;
    }
    return put_number(out, f, sign_of(x < 0, f), prefix, digits, strlen(digits), "",
                      base == 10 ? 3 : 4);
}

static int format_str(sbuf *out, const char *s, size_t n, const fspec *f, char *why,
                      size_t whysize) {
    if (f->type && f->type != 's')
        return unknown_type(f->type, why, whysize);
    if (f->sign) return fail(why, whysize, "sign not allowed");
    if (f->alt) return fail(why, whysize, "alternate form (#) not allowed");
    if (f->z) return fail(why, whysize, "'z' not allowed");
    if (f->group) return fail(why, whysize, "grouping ('%c') not allowed", f->group);
    if (f->align == '=') return fail(why, whysize, "'=' alignment not allowed");
    size_t keep = n;
    if (f->prec >= 0) { /* at most prec characters */
        size_t c = 0;
        for (keep = 0; keep < n; keep++)
            if (((unsigned char)s[keep] & 0xc0) != 0x80 && c++ == (size_t)f->prec) break;
    }
    size_t len = nchars(s, keep);
    size_t pad = f->width > 0 && (size_t)f->width > len ? (size_t)f->width - len : 0;
    char align = f->align ? f->align : '<';
    size_t left = align == '>' ? pad : align == '^' ? pad / 2 : 0;
    return put_fill(out, f, left) && mg__sbuf_put(out, s, keep) && put_fill(out, f, pad - left);
}

int mg__py_format(sbuf *out, pykind kind, double x, const char *s, size_t n, const char *spec,
                  size_t speclen, char *why, size_t whysize) {
    fspec f;
    int r = parse_spec(spec, speclen, &f, why, whysize);
    if (r <= 0) return r;
    if (f.zero) { /* '0': zeros as the fill unless one is given; '=' for numbers */
        if (!f.fill_set) strcpy(f.fill, "0"), f.fill_set = 1;
        if (!f.align && kind != PY_STR) f.align = '=';
    }
    if (kind == PY_STR) return format_str(out, s, n, &f, why, whysize);
    if (kind == PY_INT) return format_int(out, x, &f, why, whysize);
    return format_float(out, x, &f, why, whysize);
}
