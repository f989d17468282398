/* writecheck.h - the promises every file the library writes keeps (micrograd.h section
 * 14e), checked the same way for each kind of caller: bytes, a stream, a path handed to
 * cairo, graphviz or the `dot` program, the command's --out. */
#ifndef MG_WRITECHECK_H
#define MG_WRITECHECK_H

#include <stddef.h>

#include "micrograd.h"

/* Writes the caller's file to path; MG_STATUS_OK or the failure with its message. */
typedef mg_status (*wc_write_fn)(void *user, const char *path, mg_err *err);

/* Checks one kind of write (kind names its files in tu_tmpdir(), ext their extension):
 * 1. through a symbolic link: OK, the link stays a link, and the file it names holds
 *    exactly what a direct write to a new file gives;
 * 2. to /dev/null, through a link named like the kind's files (the extension may pick
 *    the format), and as "/dev/null" itself unless the format needs the extension: OK,
 *    and /dev/null is still a device;
 * 3. to a directory: MG_STATUS_IO naming it, "cannot write: is a directory";
 * 4. a write that fails on the way (the process may make no file larger than `limit`
 *    bytes; the kind's output must be larger): not OK, and the old file is untouched;
 * and after each, no temporary file is left behind. */
void wc_check(const char *kind, const char *ext, wc_write_fn write, void *user, size_t limit);
/* The same for a format picked by the extension: /dev/null only through a link. */
void wc_check_ext(const char *kind, const char *ext, wc_write_fn write, void *user, size_t limit);

#endif
