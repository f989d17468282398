/* script_internal.h - what the files of the script language share. Not installed.
 *
 *   result.c  the mg_script object: names, leaves, notes, what the script printed
 *   lex.c     errors, the tokenizer, string literals' escapes
 *   format.c  Python's printing: str and repr of numbers and strings, format specs
 *   parse.c   expressions (f-strings included), evaluated as they are parsed
 *   stmt.c    statements, the two modes, mg_script_run and mg_script_parse
 *
 * Calls go down that list's dependencies only: stmt.c -> parse.c -> format.c, lex.c,
 * result.c; format.c -> lex.c. */
#ifndef MG_SCRIPT_INTERNAL_H
#define MG_SCRIPT_INTERNAL_H

#include "core/mg_internal.h"
#include "core/hash.h"

/* ==== byte buffers ======================================================================== */

/* A growable byte string, kept NUL-terminated when not empty (b may hold NULs too). Zero
 * to start. The put functions return 1, or 0 when out of memory (s unchanged). */
typedef struct sbuf {
    char *b;
    size_t n, cap;
} sbuf;

static inline int mg__sbuf_reserve(sbuf *s, size_t more) {
    if (more > SIZE_MAX - s->n - 1) return 0;
    return mg__grow((void **)&s->b, &s->cap, s->n + more + 1, 1);
}
static inline int mg__sbuf_put(sbuf *s, const void *p, size_t n) {
    if (n == 0) return 1;
    if (!mg__sbuf_reserve(s, n)) return 0;
    memcpy(s->b + s->n, p, n);
    s->n += n;
    s->b[s->n] = '\0';
    return 1;
}
static inline int mg__sbuf_puts(sbuf *s, const char *z) { return mg__sbuf_put(s, z, strlen(z)); }
static inline int mg__sbuf_putc(sbuf *s, char c) { return mg__sbuf_put(s, &c, 1); }
/* Appends n bytes found at offset off of s itself (they may move as s grows). */
static inline int mg__sbuf_put_own(sbuf *s, size_t off, size_t n) {
    if (n == 0) return 1;
    if (!mg__sbuf_reserve(s, n)) return 0;
    memcpy(s->b + s->n, s->b + off, n);
    s->n += n;
    s->b[s->n] = '\0';
    return 1;
}
/* The bytes at offset off ("" while s is still empty). */
static inline const char *mg__sbuf_at(const sbuf *s, size_t off) {
    return s->b ? s->b + off : "";
}
static inline void mg__sbuf_free(sbuf *s) {
    mg__free(s->b);
    s->b = NULL;
    s->n = s->cap = 0;
}

/* ==== tokens ============================================================================== */

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

/* A string literal's prefix letters. */
enum { STR_RAW = 1, STR_F = 2, STR_BYTES = 4 };

typedef struct token {
    tkind kind;
    size_t start, end; /* byte span, a string's prefix and quotes included */
    size_t line, col;
    int depth;         /* open brackets before this token */
    double num;        /* T_NUMBER */
    int is_int;        /* T_NUMBER written without '.' or an exponent */
    unsigned sflags;   /* T_STRING: STR_* */
    size_t body, body_end; /* T_STRING: the text between the quotes */
} token;

/* ==== the result object =================================================================== */

typedef struct sname {
    char *name;
    size_t len;
    mg_script_kind kind;
    mg_value v; /* MG_SCRIPT_KIND_VALUE */
    double num; /* the two number kinds */
} sname;

typedef struct sleaf {
    mg_value v;
    size_t idx;  /* tape index: leaves are made in tape order, so this is sorted */
    char *name;  /* the first name it was assigned to, NULL until then */
    char *label; /* its label= when made, or NULL */
    size_t line, col;
} sleaf;

typedef struct snote {
    char *text;
    size_t line;
} snote;

struct mg_script {
    mg_ctx *ctx;
    sname *names;
    size_t nnames, capnames;
    mg__hindex index; /* of names, by name */
    sleaf *leaves;
    size_t nleaves, capleaves;
    snote *notes;
    size_t nnotes, capnotes;
    size_t output;    /* index in names of the name assigned a Value last; SIZE_MAX: none */
    sbuf printed;     /* what print(...) and the echo wrote */
    int python;       /* a run has run as Python */
    int did_print, did_backward;
};

/* A copy of s[0 .. n-1], NUL-terminated; NULL when out of memory. */
char *mg__script_dup(const char *s, size_t n);
/* The entry of a name, or NULL. */
sname *mg__script_lookup(const mg_script *s, const char *name, size_t n);
/* Binds a name (added at the end of the order when new); its index, or SIZE_MAX when out
 * of memory (then nothing changed). */
size_t mg__script_bind(mg_script *s, const char *name, size_t n, mg_script_kind kind,
                       mg_value v, double num);
/* Records a leaf made by Value(...) (label: its label=, may be NULL). 0 when out of memory. */
int mg__script_add_leaf(mg_script *s, mg_value v, const char *label, size_t line, size_t col);
/* The leaf record of v, or NULL when v is not one of the script's leaves. */
sleaf *mg__script_find_leaf(const mg_script *s, mg_value v);
/* Appends a note. 0 when out of memory. */
int mg__script_add_note(mg_script *s, size_t line, const char *text);
/* Drops the leaves and notes past the first nleaves and nnotes. */
void mg__script_truncate(mg_script *s, size_t nleaves, size_t nnotes);

/* ==== the parser ========================================================================== */

typedef enum effect_kind {
    EFFECT_NONE = 0,
    EFFECT_BACKWARD,       /* x.backward() */
    EFFECT_LOCAL_BACKWARD, /* x._backward() */
    EFFECT_DRAW            /* draw_dot(...) */
} effect_kind;

/* The parser's whole state. Lexing happens on demand, one token ahead at most, so memory
 * does not grow with the script; the bracket stack has a fixed size, so neither does
 * the tokenizer's. */
typedef struct parser {
    /* the tokenizer */
    const char *src;
    size_t len, pos, line, line_start;
    token cur, la;
    int has_la;
    struct {
        char close;
        size_t line, col;
    } open[MG_SCRIPT_MAX_DEPTH];
    int nopen;
    int base_open; /* brackets open when the current sub-parse (an f-string's field) began */
    int eof_open;  /* the text ended inside brackets, a triple-quoted string or after '\' */
    int nest;      /* expression nesting, bounded like the brackets */
    /* the run */
    mg_ctx *ctx;
    mg_script *s;
    int python;    /* Python mode: names hold plain numbers */
    int legacy;    /* mg_script_parse: effects are skipped with a note, x.grad unknown */
    int echo;      /* MG_SCRIPT_ECHO */
    /* the statement being run */
    sbuf strs;     /* the strings its expressions made */
    sbuf out;      /* what it prints, added to the script's output when it completes */
    size_t *args;  /* print's arguments: (offset, length) pairs in strs */
    size_t nargs, capargs;
    effect_kind effect; /* what a call giving None asked for (x.backward(), ...) */
    mg_value effect_v;
    /* the first error */
    int failed;
    mg_status status;
    size_t err_line, err_col;
    char err_msg[256];
} parser;

/* What a sub-parse saves of the tokenizer, to return to it afterwards. */
typedef struct lexsave {
    size_t len, pos, line, line_start;
    token cur, la;
    int has_la, nopen, base_open;
} lexsave;

/* ==== lex.c =============================================================================== */

/* Sets up p to tokenize text (no token read yet). */
void mg__script_lex_init(parser *p, const char *text, size_t len);
/* Records the first error of the parse (later ones are its consequences); returns 0. */
int mg__script_fail(parser *p, size_t line, size_t col, mg_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
#define FAIL(p, t, ...) mg__script_fail((p), (t)->line, (t)->col, MG_STATUS_FORMAT, __VA_ARGS__)
/* An out-of-memory error at token t. */
int mg__script_nomem(parser *p, const token *t);
/* An operation of the engine returned MG_NULL at line:col: the context's failure
 * (out of memory, its cap, a non-finite value with mg_ctx_check_numerics), as an error. */
int mg__script_engine_fail(parser *p, size_t line, size_t col);
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
/* Saves the tokenizer's position, and returns to it. */
void mg__script_save(const parser *p, lexsave *ls);
void mg__script_restore(parser *p, const lexsave *ls);
/* Appends s[0 .. n-1], a string literal's text, with Python's escapes decoded (unless
 * raw): \n \t \r \a \b \f \v \\ \' \" \ooo \xhh \uhhhh \Uhhhhhhhh (as UTF-8) and
 * backslash-newline; other escapes are kept as written. 1; 0 out of memory; -1 for a
 * malformed escape, *bad then its offset in s. */
int mg__script_unescape(const char *s, size_t n, int raw, sbuf *out, size_t *bad);

/* ==== format.c ============================================================================ */

typedef enum pykind { PY_INT, PY_FLOAT, PY_STR } pykind;

/* Python's str of an int (x an integer in a double; -0 prints 0) or a float (repr). */
int mg__py_num(sbuf *out, int is_int, double x);
/* Python's repr of a string: quoted, escaped; ascii: non-ASCII escaped too, as ascii(). */
int mg__py_str_repr(sbuf *out, const char *s, size_t n, int ascii);
/* format(x, spec) as Python writes it, for an int, a float (x) or a string (s, n).
 * 1; 0 out of memory; -1 for a spec Python rejects, with the reason in why. */
int mg__py_format(sbuf *out, pykind kind, double x, const char *s, size_t n, const char *spec,
                  size_t speclen, char *why, size_t whysize);

/* ==== parse.c ============================================================================= */

/* What an expression gives. */
typedef enum svkind { SV_INT, SV_FLOAT, SV_VALUE, SV_STR, SV_NONE } svkind;

typedef struct sv {
    svkind kind;
    double num;       /* SV_INT, SV_FLOAT */
    mg_value v;       /* SV_VALUE */
    size_t off, len;  /* SV_STR: bytes in p->strs */
    size_t line, col; /* where the expression starts */
} sv;

/* Parses and evaluates an expression at p->cur. 0 on an error. */
int mg__script_expr(parser *p, sv *out);
/* a OP b for a binary or augmented operator token. */
int mg__script_binary(parser *p, const token *op, sv a, sv b, sv *out);
/* The sv a name holds; 0 (an error at name) when it is not bound. */
int mg__script_name_sv(parser *p, const token *name, sv *out);
/* Appends Python's str (repr: repr) of x. 1; 0 out of memory. x is not SV_NONE. */
int mg__script_text(parser *p, const sv *x, int repr, sbuf *out);
/* 1 when x is a number or a Value; else an error at x (a string, None). */
int mg__script_operand(parser *p, const sv *x);
/* Why eval lacks the construct a keyword starts ("no loops"). */
const char *mg__script_construct(const parser *p, const token *t);
/* "an int", "a float", "a Value", "a string", "None". */
const char *mg__script_kind_desc(svkind k);
/* An error for None used as a value (what a call such as x.backward() gives). */
int mg__script_none_error(parser *p, const sv *x);
/* True when t is an operator or keyword eval does not have. */
int mg__script_unsupported(const parser *p, const token *t);
/* An error for something where an operator or the end of the statement was expected;
 * it names the construct when it is one eval does not have. */
int mg__script_unexpected(parser *p, const token *t);
/* Expects the end of the statement at p->cur. */
int mg__script_expect_end(parser *p);

#endif /* MG_SCRIPT_INTERNAL_H */
