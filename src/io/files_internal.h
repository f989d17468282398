/* files_internal.h - pieces shared by the file modules and the pictures, defined in
 * files.c: whole-file reading, a path's extension, the strict number syntax, message
 * quoting, string lists. Writing a file is public (mg_outfile_*, mg_file_write:
 * micrograd.h section 14e). Not installed. */
#ifndef MG_FILES_INTERNAL_H
#define MG_FILES_INTERNAL_H

#include "core/mg_internal.h"

/* MG_STATUS_OK when path may be read to its end: a regular file or a pipe. A directory,
 * or a device (/dev/zero would be read forever), is MG_STATUS_IO "path: is a ...". A path
 * that cannot be examined is left to the open that follows. */
mg_status mg__files_check_readable(const char *path, mg_err *err);

/* Reads the whole file into a buffer with one extra NUL byte after the data (free with
 * mg__free). NULL on failure: MG_STATUS_IO ("path: cannot open: reason") or NOMEM. */
char *mg__files_read(const char *path, size_t *len, mg_err *err);

/* The extension of path in lower case ("svg"), or "" when it has none (or one of 16
 * bytes or more); written to ext, which is returned. */
const char *mg__files_ext(const char *path, char ext[16]);

/* Parses s (already trimmed, NUL-terminated) as a decimal number: an optional sign,
 * digits with an optional '.', an optional exponent; no hex, no inf or nan words.
 * Returns 0 and sets *out when it is one with a finite value, 1 when it is not a
 * number, 2 when it is one too large for a double. */
int mg__files_number(const char *s, double *out);

/* Copies s into buf (size >= 4) for an error message: control bytes become '?', and text
 * longer than the buffer is cut with "...". Returns buf. */
const char *mg__files_quote(const char *s, char *buf, size_t size);

/* Copies n strings (NULL entries stay NULL); *out gets NULL when src is NULL or n is 0.
 * MG_STATUS_NOMEM on failure (nothing left allocated). */
mg_status mg__files_strvdup(char ***out, const char *const *src, size_t n, mg_err *err);
/* Frees n strings and the array; safe on NULL. */
void mg__files_strvfree(char **v, size_t n);

#endif /* MG_FILES_INTERNAL_H */
