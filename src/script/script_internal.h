/* script_internal.h - what the script tokenizer (lex.c) and the parser
 * (parse.c) share: tokens, the parser's state and the error helpers. Not installed. */
#ifndef MG_SCRIPT_INTERNAL_H
#define MG_SCRIPT_INTERNAL_H

#include "core/mg_internal.h"

typedef enum tkind {
    T_EOF,
    T_END, /* end of statement: a newline or ';' */
    T_NAME,
    T_NUMBER,
    T_STRING,
    T_LPAR,
    T_RPAR,
    T_LSQB,
    T_RSQB,
    T_LBRACE,
    T_RBRACE,
    T_COMMA,
    T_DOT,
    T_ASSIGN,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_POW,
    T_PLUSEQ,
    T_MINUSEQ,
    T_STAREQ,
    T_SLASHEQ,
    T_POWEQ,
    T_OTHER_AUG, /* %= //= @= ...: augmented assignments we do not support */
    T_OTHER      /* any other Python operator: % // == < : ... */
} tkind;

typedef struct token {
    tkind kind;
    size_t start, end; /* byte span */
    size_t line, col;
    int depth;  /* open brackets before this token */
    double num; /* T_NUMBER */
} token;

/* The parser's whole state. Lexing happens on demand, one token ahead at most, so memory
 * does not grow with the script; the bracket stack has a fixed size, so neither does
 * the tokenizer's. */
typedef struct parser {
    const char *src;
    size_t len, pos, line, line_start;
    token cur, la;
    int has_la;
    struct {
        char close;
        size_t line, col;
    } open[MG_SCRIPT_MAX_DEPTH];
    int nopen;
    int nest; /* expression nesting, bounded like the brackets */
    mg_ctx *ctx;
    mg_script *s;
    int failed;
    mg_status status;
    size_t err_line, err_col;
    char err_msg[256];
} parser;

/* Records the first error of the parse (later ones are its consequences); returns 0. */
int mg__script_fail(parser *p, size_t line, size_t col, mg_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
#define FAIL(p, t, ...) mg__script_fail((p), (t)->line, (t)->col, MG_STATUS_FORMAT, __VA_ARGS__)
/* An out-of-memory error at token t (with the context's reason when it has one). */
int mg__script_nomem(parser *p, const token *t);
/* Copies up to n bytes of s into buf as printable ASCII (others become '?'), with "..."
 * when cut; returns buf. Keeps messages on one line, whatever the input holds. */
const char *mg__script_clip(const char *s, size_t n, char *buf, size_t size);
/* A token for messages: "'foo'", "the end of the line", ...; may return a constant. */
const char *mg__script_tok_desc(const parser *p, const token *t, char *buf, size_t size);
/* True when t is the name word. */
int mg__script_tok_is(const parser *p, const token *t, const char *word);

/* Moves to the next token (p->cur); 0 on a lexical error. */
int mg__script_advance(parser *p);
/* The token after p->cur, without moving; NULL on a lexical error. */
const token *mg__script_peek(parser *p);
/* The text of a string token, Python's common escapes decoded, cut to size - 1 bytes. */
void mg__script_decode(const parser *p, const token *t, char *buf, size_t size);

#endif /* MG_SCRIPT_INTERNAL_H */
