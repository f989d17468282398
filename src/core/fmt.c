/* fmt.c - text: numbers written as Python writes them (values, and a power's exponent as
 * in source), so printed output can be compared with micrograd's line by line; enum
 * names; Python's keywords. */
#include "mg_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

/* e holds x (a power of two) to 16 significant digits, "[-]d.ddddddddddddddde[+-]XX",
 * correctly rounded but below x in magnitude. Replaces it with the next 16-digit decimal
 * up in magnitude; 0 when it cannot (then e is unchanged). */
static int next_up_16(char *e, size_t size) {
    char *d = e + (*e == '-'), *ex = strchr(d, 'e');
    if (!ex || ex - d != 17 || d[1] != '.') return 0;
    int exp10 = atoi(ex + 1);
    char digits[17];
    digits[0] = d[0];
    memcpy(digits + 1, d + 2, 15);
    int k = 15;
    while (k >= 0 && digits[k] == '9') digits[k--] = '0';
    if (k < 0) { /* 9.99...9 up is 1.00...0 times ten */
        digits[0] = '1';
        exp10++;
    } else {
        digits[k]++;
    }
    snprintf(d, size - (size_t)(d - e), "%c.%.15se%c%02d", digits[0], digits + 1,
             exp10 < 0 ? '-' : '+', abs(exp10));
    return 1;
}

char *mg_fmt_repr(double x, char *buf, size_t size) {
    if (!buf || size == 0) return buf;
    if (isnan(x)) {
        snprintf(buf, size, "nan");
        return buf;
    }
    if (isinf(x)) {
        snprintf(buf, size, x > 0 ? "inf" : "-inf");
        return buf;
    }
    /* The digits and the exponent: the shortest decimal that reads back as x, the one
     * nearest x when several of that length do (Python's repr). A double's shortest form
     * has at most 17 digits. When it has 15 or fewer it is x correctly rounded to 15
     * digits (then stripped of trailing zeros below): x lies within half an ulp of it,
     * far less than half a unit of the 15th digit. With 16 or 17, the correctly rounded
     * string of that length is the nearest one, so it reads back if any does, except at
     * a power of two: the doubles below it are twice as close as those above, so x reads
     * back from up to half an ulp above but only a quarter below, and the nearest 16
     * digits, below x, may miss where the next 16 digits up, farther but above, do not
     * (2^-1017: 7.120236347223044e-307 does not read back, 7.120236347223045e-307, its
     * repr, does). Three tries at most (four at a power of two), not 17. Subnormal numbers have fewer significant bits, so their
     * shortest forms are tried from 1 digit up. */
    char e[40];
    int frexp_e;
    int pow2 = fabs(x) >= DBL_MIN && frexp(x, &frexp_e) == (x < 0 ? -0.5 : 0.5);
    for (int p = fabs(x) < DBL_MIN ? 0 : 14; p <= 16; p++) {
        snprintf(e, sizeof e, "%.*e", p, x);
        double back = strtod(e, NULL);
        if (back == x) break;
        if (p == 15 && pow2 && fabs(back) < fabs(x)) {
            char up[40];
            memcpy(up, e, sizeof up);
            if (next_up_16(up, sizeof up) && strtod(up, NULL) == x) {
                memcpy(e, up, sizeof e);
                break;
            }
        }
    }
    const char *s = e;
    int neg = 0;
    if (*s == '-') neg = 1, s++;
    char digits[24];
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    digits[nd] = '\0';
    int exp10 = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0') digits[--nd] = '\0';

    char out[64];
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int k = 0; k < -exp10 - 1; k++) out[o++] = '0';
            for (int k = 0; k < nd; k++) out[o++] = digits[k];
        } else {
            for (int k = 0; k <= exp10; k++) out[o++] = k < nd ? digits[k] : '0';
            out[o++] = '.';
            if (nd > exp10 + 1)
                for (int k = exp10 + 1; k < nd; k++) out[o++] = digits[k];
            else
                out[o++] = '0';
        }
        out[o] = '\0';
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int k = 1; k < nd; k++) out[o++] = digits[k];
        }
        snprintf(out + o, sizeof out - o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
    }
    snprintf(buf, size, "%s", out);
    return buf;
}

void mg__fmt_exponent(double k, char *buf, size_t size) {
    mg_fmt_repr(k, buf, size);
    size_t n = strlen(buf);
    if (n > 2 && !strcmp(buf + n - 2, ".0")) buf[n - 2] = '\0';
}

char *mg_value_repr(const mg_ctx *ctx, mg_value v, char *buf, size_t size) {
    char d[32], g[32];
    mg_fmt_repr(mg_data(ctx, v), d, sizeof d);
    mg_fmt_repr(mg_grad(ctx, v), g, sizeof g);
    snprintf(buf, size, "Value(data=%s, grad=%s)", d, g);
    return buf;
}

/* ==== names ============================================================================== */

const char *mg__name_of(const char *const *names, size_t n, unsigned v) {
    return v < n && names[v] ? names[v] : "?";
}

int mg__name_find(const char *const *names, size_t n, const char *s) {
    for (size_t i = 0; s && i < n; i++)
        if (names[i] && !strcmp(s, names[i])) return (int)i;
    return -1;
}

static const char *const py_keywords[] = {
    "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
    "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
    "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
    "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};

int mg__py_keyword(const char *s, size_t n) {
    for (size_t k = 0; k < MG__COUNT(py_keywords); k++)
        if (strlen(py_keywords[k]) == n && !memcmp(s, py_keywords[k], n)) return 1;
    return 0;
}
