/* lex.c - the tokenizer of micrograd's script language: Python's tokens, with
 * brackets tracked so a newline inside them continues the statement. Every byte is read
 * through at(), which checks the index against len: the text need not be NUL-terminated
 * and may hold any bytes. */
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
    const char *why = mg_ctx_status(p->ctx) == MG_STATUS_NOMEM ? mg_ctx_errmsg(p->ctx) : "";
    return mg__script_fail(p, t->line, t->col, MG_STATUS_NOMEM, "out of memory%s%s",
                           *why ? ": " : "", why);
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
    q = scan_digits(p, q, &bad);
    if (at(p, q) == '.') q = scan_digits(p, q + 1, &bad);
    if (at(p, q) == 'e' || at(p, q) == 'E') {
        q++;
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

static int lex_string(parser *p, token *t) {
    unsigned char quote = at(p, p->pos);
    int triple = at(p, p->pos + 1) == quote && at(p, p->pos + 2) == quote;
    size_t q = p->pos + (triple ? 3 : 1);
    for (;;) {
        if (q >= p->len) return FAIL(p, t, "unterminated string");
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
            q += triple ? 3 : 1;
            break;
        }
        q++;
    }
    t->kind = T_STRING;
    t->end = p->pos = q;
    return 1;
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
    if (p->nopen == 0)
        return mg__script_fail(p, t->line, t->col, MG_STATUS_FORMAT, "unmatched '%c'", c);
    if (p->open[p->nopen - 1].close != c)
        return mg__script_fail(p, t->line, t->col, MG_STATUS_FORMAT,
                               "'%c' does not match the bracket opened at %zu:%zu (expected '%c')",
                               c, p->open[p->nopen - 1].line, p->open[p->nopen - 1].col,
                               p->open[p->nopen - 1].close);
    p->nopen--;
    return 1;
}

/* Reads the next token into t; 0 on a lexical error. */
static int lex(parser *p, token *t) {
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
            if (q >= p->len || at(p, q) != '\n')
                return fail_here(p, p->pos, "a '\\' outside a string must end its line");
            newline(p, q);
        } else if (c == '\n' && p->nopen > 0) {
            newline(p, p->pos);
        } else {
            break;
        }
    }
    t->start = t->end = p->pos;
    t->line = p->line;
    t->col = p->pos - p->line_start + 1;
    t->depth = p->nopen;
    if (p->pos >= p->len) {
        t->kind = T_EOF;
        if (p->nopen > 0)
            return mg__script_fail(p, p->open[p->nopen - 1].line, p->open[p->nopen - 1].col,
                                   MG_STATUS_FORMAT, "this bracket is never closed");
        return 1;
    }
    unsigned char c = at(p, p->pos);
    if (c == '\n' || c == ';') {
        if (c == ';' && p->nopen > 0) return fail_here(p, p->pos, "';' inside brackets");
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
    if (is_name0(c)) {
        while (is_name1(at(p, p->pos))) p->pos++;
        t->kind = T_NAME;
        t->end = p->pos;
        return 1;
    }
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

void mg__script_decode(const parser *p, const token *t, char *buf, size_t size) {
    unsigned char quote = at(p, t->start);
    int triple =
        t->end - t->start >= 6 && at(p, t->start + 1) == quote && at(p, t->start + 2) == quote;
    size_t q = t->start + (triple ? 3 : 1), end = t->end - (triple ? 3 : 1), o = 0;
    while (q < end && o + 1 < size) {
        char c = p->src[q++];
        if (c == '\\' && q < end) {
            char e = p->src[q++];
            if (e == '\n') continue;
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            if (!strchr("ntr\\'\"", e)) {
                buf[o++] = '\\';
                if (o + 1 >= size) break;
            }
        }
        buf[o++] = c;
    }
    buf[o] = '\0';
}
