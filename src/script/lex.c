/* lex.c - the tokenizer of micrograd's script language: Python's tokens, with
 * brackets tracked so a newline inside them continues the statement, string literals with
 * their prefixes (f, r, b) and escapes, and the errors every part of the language
 * reports through. Every byte is read through at(), which checks the index against len:
 * the text need not be NUL-terminated and may hold any bytes. */
#include "script_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ==== errors and token helpers ========================================================= */

int mg__script_fail(parser *p, size_t line, size_t col, mg_status st, const char *fmt, ...) {
    if (p->failed) return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err_msg, sizeof p->err_msg, fmt, ap);
    va_end(ap);
    p->failed = 1;
    p->status = st;
    p->err_line = line;
    p->err_col = col;
    return 0;
}

int mg__script_nomem(parser *p, const token *t) {
    return mg__script_fail(p, t->line, t->col, MG_STATUS_NOMEM, "out of memory");
}

int mg__script_engine_fail(parser *p, size_t line, size_t col) {
    mg_status st = p->ctx ? mg_ctx_status(p->ctx) : MG_STATUS_OK;
    if (st == MG_STATUS_OK || st == MG_STATUS_NOMEM) {
        const char *why = st == MG_STATUS_NOMEM ? mg_ctx_errmsg(p->ctx) : "";
        return mg__script_fail(p, line, col, MG_STATUS_NOMEM, "out of memory%s%s",
                               *why ? ": " : "", why);
    }
    return mg__script_fail(p, line, col, st, "%s", mg_ctx_errmsg(p->ctx));
}

const char *mg__script_clip(const char *s, size_t n, char *buf, size_t size) {
    size_t max = size > 4 ? size - 4 : 0, o = 0;
    for (size_t i = 0; i < n && o < max; i++) {
        char c = s[i];
        buf[o++] = (c >= 0x20 && c < 0x7f) ? c : (c == '\t' || c == '\n' || c == '\r') ? ' ' : '?';
    }
    if (n > max && size >= 4) memcpy(buf + o, "...", 3), o += 3;
    if (size) buf[o < size ? o : size - 1] = '\0';
    return buf;
}

const char *mg__script_tok_desc(const parser *p, const token *t, char *buf, size_t size) {
    if (t->kind == T_EOF) return "the end of the script";
    if (t->kind == T_END) return p->src[t->start] == ';' ? "';'" : "the end of the line";
    char text[40];
    snprintf(buf, size, "'%s'",
             mg__script_clip(p->src + t->start, t->end - t->start, text, sizeof text));
    return buf;
}

int mg__script_tok_is(const parser *p, const token *t, const char *word) {
    size_t n = strlen(word);
    return t->kind == T_NAME && t->end - t->start == n && memcmp(p->src + t->start, word, n) == 0;
}

/* ==== the tokenizer ==================================================================== */

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_name0(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_name1(int c) { return is_name0(c) || is_digit(c); }

static unsigned char at(const parser *p, size_t i) {
    return i < p->len ? (unsigned char)p->src[i] : 0;
}

void mg__script_lex_init(parser *p, const char *text, size_t len) {
    p->src = text ? text : "";
    p->len = len;
    p->pos = 0;
    p->line = 1;
    p->line_start = 0;
    p->has_la = 0;
    p->nopen = p->base_open = 0;
    p->eof_open = 0;
    p->nest = 0;
    memset(&p->cur, 0, sizeof p->cur);
}

static void newline(parser *p, size_t nl) {
    p->line++;
    p->line_start = nl + 1;
    p->pos = nl + 1;
}

static int fail_here(parser *p, size_t pos, const char *msg) {
    return mg__script_fail(p, p->line, pos - p->line_start + 1, MG_STATUS_FORMAT, "%s", msg);
}

static int fail_char(parser *p, size_t pos) {
    unsigned char c = at(p, pos);
    char msg[96];
    if (c == 0) return fail_here(p, pos, "a null byte in the script");
    if (c >= 0x20 && c < 0x7f)
        snprintf(msg, sizeof msg, "unexpected character '%c'", c);
    else
        snprintf(msg, sizeof msg, "unexpected byte 0x%02x (outside strings and comments only "
                                  "ASCII is allowed)", c);
    return fail_here(p, pos, msg);
}

/* Digits with single underscores between them (1_000); returns the end. */
static size_t scan_digits(const parser *p, size_t q, int *bad) {
    while (is_digit(at(p, q)) ||
           (at(p, q) == '_' && is_digit(at(p, q + 1)) && q > 0 && is_digit(at(p, q - 1))))
        q++;
    if (at(p, q) == '_') *bad = 1;
    return q;
}

static int lex_number(parser *p, token *t) {
    size_t q = p->pos;
    int bad = 0;
    t->is_int = 1;
    q = scan_digits(p, q, &bad);
    if (at(p, q) == '.') q = scan_digits(p, q + 1, &bad), t->is_int = 0;
    if (at(p, q) == 'e' || at(p, q) == 'E') {
        q++;
        t->is_int = 0;
        if (at(p, q) == '+' || at(p, q) == '-') q++;
        if (!is_digit(at(p, q))) bad = 1;
        q = scan_digits(p, q, &bad);
    }
    while (q < p->len && (is_name1(at(p, q)) || at(p, q) == '.')) bad = 1, q++;
    t->end = q;
    char small[64], text[40], *buf = small;
    size_t n = q - p->pos;
    if (bad)
        return FAIL(p, t, "invalid number '%s'",
                    mg__script_clip(p->src + p->pos, n, text, sizeof text));
    if (n >= sizeof small && !(buf = mg__malloc(n + 1))) return mg__script_nomem(p, t);
    size_t o = 0;
    for (size_t i = p->pos; i < q; i++)
        if (p->src[i] != '_') buf[o++] = p->src[i];
    buf[o] = '\0';
    t->num = strtod(buf, NULL); /* the syntax is checked above: only decimal forms get here */
    if (buf != small) mg__free(buf);
    p->pos = q;
    return 1;
}

/* A string literal whose quote is at p->pos (its prefix, if any, is before it). */
static int lex_string(parser *p, token *t) {
    unsigned char quote = at(p, p->pos);
    int triple = at(p, p->pos + 1) == quote && at(p, p->pos + 2) == quote;
    size_t q = p->pos + (triple ? 3 : 1);
    t->body = q;
    for (;;) {
        if (q >= p->len) {
            p->eof_open = triple;
            return FAIL(p, t, "unterminated string");
        }
        unsigned char c = at(p, q);
        if (c == 0) return fail_char(p, q);
        if (c == '\\' && q + 1 < p->len) {
            if (at(p, q + 1) == '\n') newline(p, q + 1);
            q += 2;
            continue;
        }
        if (c == '\n') {
            if (!triple) return FAIL(p, t, "unterminated string");
            newline(p, q);
        }
        if (c == quote && (!triple || (at(p, q + 1) == quote && at(p, q + 2) == quote))) {
            t->body_end = q;
            q += triple ? 3 : 1;
            break;
        }
        q++;
    }
    t->kind = T_STRING;
    t->end = p->pos = q;
    return 1;
}

/* The STR_* flags of a string prefix (r, f, b, u, rf, fr, rb, br in any case), or -1. */
static int string_prefix(const char *s, size_t n) {
    unsigned flags = 0;
    if (n == 0 || n > 2) return -1;
    for (size_t i = 0; i < n; i++) {
        char c = (char)(s[i] | 0x20);
        unsigned f = c == 'r'   ? STR_RAW
                     : c == 'f' ? STR_F
                     : c == 'b' ? STR_BYTES
                     : c == 'u' ? 8u
                                : 0u;
        if (!f || (flags & f)) return -1;
        flags |= f;
    }
    if ((flags & 8u) && n > 1) return -1;        /* u takes no other letter */
    if ((flags & STR_F) && (flags & STR_BYTES)) return -1;
    return (int)(flags & ~8u);
}

static const struct {
    const char *text;
    tkind kind;
} ops[] = {
    {"**=", T_POWEQ},    {"//=", T_OTHER_AUG}, {">>=", T_OTHER_AUG}, {"<<=", T_OTHER_AUG},
    {"**", T_POW},       {"+=", T_PLUSEQ},     {"-=", T_MINUSEQ},    {"*=", T_STAREQ},
    {"/=", T_SLASHEQ},   {"%=", T_OTHER_AUG},  {"@=", T_OTHER_AUG},  {"&=", T_OTHER_AUG},
    {"|=", T_OTHER_AUG}, {"^=", T_OTHER_AUG},  {"==", T_OTHER},      {"!=", T_OTHER},
    {"<=", T_OTHER},     {">=", T_OTHER},      {"->", T_OTHER},      {":=", T_OTHER},
    {"//", T_OTHER},     {"<<", T_OTHER},      {">>", T_OTHER},      {"(", T_LPAR},
    {")", T_RPAR},       {"[", T_LSQB},        {"]", T_RSQB},        {"{", T_LBRACE},
    {"}", T_RBRACE},     {",", T_COMMA},       {".", T_DOT},         {"=", T_ASSIGN},
    {"+", T_PLUS},       {"-", T_MINUS},       {"*", T_STAR},        {"/", T_SLASH},
    {"%", T_OTHER},      {"@", T_OTHER},       {"&", T_OTHER},       {"|", T_OTHER},
    {"^", T_OTHER},      {"~", T_OTHER},       {"<", T_OTHER},       {">", T_OTHER},
    {":", T_OTHER},      {"!", T_OTHER},
};

static int lex_bracket(parser *p, token *t, char c) {
    if (c == '(' || c == '[' || c == '{') {
        if (p->nopen == MG_SCRIPT_MAX_DEPTH)
            return FAIL(p, t, "brackets nested deeper than %d levels", MG_SCRIPT_MAX_DEPTH);
        p->open[p->nopen].close = c == '(' ? ')' : c == '[' ? ']' : '}';
        p->open[p->nopen].line = t->line;
        p->open[p->nopen++].col = t->col;
        return 1;
    }
    if (p->nopen <= p->base_open)
        return mg__script_fail(p, t->line, t->col, MG_STATUS_FORMAT, "unmatched '%c'", c);
    if (p->open[p->nopen - 1].close != c)
        return mg__script_fail(p, t->line, t->col, MG_STATUS_FORMAT,
                               "'%c' does not match the bracket opened at %zu:%zu (expected '%c')",
                               c, p->open[p->nopen - 1].line, p->open[p->nopen - 1].col,
                               p->open[p->nopen - 1].close);
    p->nopen--;
    return 1;
}

/* Skips blanks, comments, continuation lines and newlines inside brackets. */
static int skip_space(parser *p) {
    int continued = 0;
    for (;;) {
        unsigned char c = at(p, p->pos);
        if (p->pos >= p->len) break;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            p->pos++;
        } else if (c == '#') {
            while (p->pos < p->len && at(p, p->pos) != '\n') {
                if (at(p, p->pos) == 0) return fail_char(p, p->pos);
                p->pos++;
            }
        } else if (c == '\\') {
            size_t q = p->pos + 1;
            while (at(p, q) == '\r') q++;
            if (q >= p->len) p->eof_open = 1;
            if (q >= p->len || at(p, q) != '\n')
                return fail_here(p, p->pos, "a '\\' outside a string must end its line");
            newline(p, q);
            continued = 1;
            continue;
        } else if (c == '\n' && p->nopen > p->base_open) {
            newline(p, p->pos);
        } else {
            break;
        }
        continued = 0;
    }
    if (p->pos >= p->len && continued) p->eof_open = 1;
    return 1;
}

static int lex_word(parser *p, token *t) {
    while (is_name1(at(p, p->pos))) p->pos++;
    unsigned char q = at(p, p->pos);
    int prefix = (q == '\'' || q == '"') && p->pos < p->len
                     ? string_prefix(p->src + t->start, p->pos - t->start)
                     : -1;
    if (prefix >= 0) {
        t->sflags = (unsigned)prefix;
        return lex_string(p, t);
    }
    t->kind = T_NAME;
    t->end = p->pos;
    return 1;
}

/* Reads the next token into t; 0 on a lexical error. */
static int lex(parser *p, token *t) {
    if (!skip_space(p)) return 0;
    memset(t, 0, sizeof *t);
    t->start = t->end = p->pos;
    t->line = p->line;
    t->col = p->pos - p->line_start + 1;
    t->depth = p->nopen;
    if (p->pos >= p->len) {
        t->kind = T_EOF;
        if (p->nopen > p->base_open) {
            p->eof_open = 1;
            return mg__script_fail(p, p->open[p->nopen - 1].line, p->open[p->nopen - 1].col,
                                   MG_STATUS_FORMAT, "this bracket is never closed");
        }
        return 1;
    }
    unsigned char c = at(p, p->pos);
    if (c == '\n' || c == ';') {
        if (c == ';' && p->nopen > p->base_open)
            return fail_here(p, p->pos, "';' inside brackets");
        t->kind = T_END;
        t->end = p->pos + 1;
        if (c == '\n')
            newline(p, p->pos);
        else
            p->pos++;
        return 1;
    }
    if (is_digit(c) || (c == '.' && is_digit(at(p, p->pos + 1)))) {
        t->kind = T_NUMBER;
        return lex_number(p, t);
    }
    if (is_name0(c)) return lex_word(p, t);
    if (c == '\'' || c == '"') return lex_string(p, t);
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t n = strlen(ops[k].text);
        if (p->pos + n <= p->len && memcmp(p->src + p->pos, ops[k].text, n) == 0) {
            t->kind = ops[k].kind;
            t->end = p->pos += n;
            if (n == 1 && strchr("()[]{}", c)) return lex_bracket(p, t, (char)c);
            return 1;
        }
    }
    return fail_char(p, p->pos);
}

int mg__script_advance(parser *p) {
    if (p->has_la) {
        p->cur = p->la;
        p->has_la = 0;
        return 1;
    }
    return lex(p, &p->cur);
}

const token *mg__script_peek(parser *p) {
    if (!p->has_la) {
        if (!lex(p, &p->la)) return NULL;
        p->has_la = 1;
    }
    return &p->la;
}

void mg__script_save(const parser *p, lexsave *ls) {
    *ls = (lexsave){p->len, p->pos, p->line, p->line_start, p->cur, p->la,
                    p->has_la, p->nopen, p->base_open};
}

void mg__script_restore(parser *p, const lexsave *ls) {
    p->len = ls->len;
    p->pos = ls->pos;
    p->line = ls->line;
    p->line_start = ls->line_start;
    p->cur = ls->cur;
    p->la = ls->la;
    p->has_la = ls->has_la;
    p->nopen = ls->nopen;
    p->base_open = ls->base_open;
}

/* ==== string literals' escapes ========================================================== */

static int hex_value(int c) {
    if (is_digit(c)) return c - '0';
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

static int put_utf8(sbuf *out, uint32_t cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    return mg__sbuf_put(out, b, n);
}

/* One escape at s[*i] (just after the backslash): appends it, moves *i past it. 1; 0 out
 * of memory; -1 malformed. */
static int unescape_one(const char *s, size_t n, size_t *i, sbuf *out) {
    static const char from[] = "ntrabfv\\'\"", to[] = "\n\t\r\a\b\f\v\\'\"";
    char e = s[*i];
    const char *k = strchr(from, e);
    if (e && k) {
        (*i)++;
        return mg__sbuf_putc(out, to[k - from]);
    }
    if (e == '\n') return (*i)++, 1;
    if (e >= '0' && e <= '7') {
        unsigned v = 0;
        for (int d = 0; d < 3 && *i < n && s[*i] >= '0' && s[*i] <= '7'; d++)
            v = v * 8 + (unsigned)(s[(*i)++] - '0');
        return v < 0x80 ? mg__sbuf_putc(out, (char)v) : put_utf8(out, v);
    }
    int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
    if (!digits) return mg__sbuf_putc(out, '\\'); /* kept as written, as Python keeps it */
    uint32_t v = 0;
    for (int d = 1; d <= digits; d++) {
        int h = *i + (size_t)d < n ? hex_value((unsigned char)s[*i + (size_t)d]) : -1;
        if (h < 0) return -1;
        v = v * 16 + (uint32_t)h;
    }
    if (v > 0x10ffff) return -1;
    *i += (size_t)digits + 1;
    return v < 0x80 ? mg__sbuf_putc(out, (char)v) : put_utf8(out, v);
}

int mg__script_unescape(const char *s, size_t n, int raw, sbuf *out, size_t *bad) {
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (i < n && (raw || s[i] != '\\')) i++;
        if (!mg__sbuf_put(out, s + run, i - run)) return 0;
        if (i >= n) break;
        size_t at_escape = i++;
        if (i >= n) return mg__sbuf_putc(out, '\\');
        int r = unescape_one(s, n, &i, out);
        if (r <= 0) {
            if (r < 0 && bad) *bad = at_escape;
            return r;
        }
    }
    return 1;
}
