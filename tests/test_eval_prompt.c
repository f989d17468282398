/* test_eval_prompt.c - `micrograd eval`'s interactive prompt, driven through a
 * pseudo-terminal as a person would drive it: the command runs on the terminal's slave
 * side as its session's foreground, the test types lines on the master side and reads the
 * echo, the prompts (>>> and ...) and the results, then presses Ctrl-C and Ctrl-D. Once
 * with line editing (libedit, when the build has it: the history file is written, and a
 * second session recalls its last line with Ctrl-P) and once with --no-edit (the plain
 * prompt: no history file). */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* Generous: the machine may be busy (two cores shared by several builds). */
#define WAIT_MS 20000

/* ==== a session on a pseudo-terminal ======================================================= */

typedef struct session {
    int master;
    pid_t pid;
    char *log; /* everything the terminal showed, '\r' removed */
    size_t len, cap;
    size_t seen; /* what earlier expectations consumed */
} session;

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Starts `micrograd eval [mode]` on a new pseudo-terminal, the history in the file given,
 * its standard output to the file out (NULL: the terminal). */
static void start_to(session *s, const char *mode, const char *history, const char *out) {
    memset(s, 0, sizeof *s);
    s->master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(s->master >= 0);
    assert_int_equal(grantpt(s->master), 0);
    assert_int_equal(unlockpt(s->master), 0);
    const char *slave = ptsname(s->master);
    assert_non_null(slave);
    struct winsize ws = {24, 100, 0, 0};
    ioctl(s->master, TIOCSWINSZ, &ws);
    fflush(NULL);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) { /* a session of its own, the terminal its controlling one */
        setsid();
        int fd = open(slave, O_RDWR);
        if (fd < 0) _exit(126);
        ioctl(fd, TIOCSCTTY, 0);
        dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
        if (fd > 2) close(fd);
        if (out && ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 || dup2(fd, 1) < 0))
            _exit(126);
        close(s->master);
        setenv("TERM", "dumb", 1);
        setenv("HOME", tu_tmpdir(), 1);
        setenv("MICROGRAD_HISTORY", history, 1);
        const char *argv[] = {MG_CLI, "eval", mode, NULL}; /* mode may be NULL */
        execv(MG_CLI, (char *const *)argv);
        _exit(127);
    }
}

static void start(session *s, const char *mode, const char *history) {
    start_to(s, mode, history, NULL);
}

/* Reads what the terminal shows for up to ms; 0 at the end (the command left). */
static int pump(session *s, int ms) {
    struct pollfd p = {s->master, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return 1;
    char buf[4096];
    ssize_t n = read(s->master, buf, sizeof buf);
    if (n <= 0) return 0; /* EIO once the slave side is closed */
    if (s->len + (size_t)n + 1 > s->cap) {
        s->cap = (s->len + (size_t)n + 1) * 2;
        s->log = realloc(s->log, s->cap);
        assert_non_null(s->log);
    }
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] != '\r') s->log[s->len++] = buf[i];
    s->log[s->len] = '\0';
    return 1;
}

/* Waits up to ms for `want` to appear past what was already matched; then matches past
 * it and returns 1. 0 when it did not appear. */
static int shows_within(session *s, const char *want, int ms) {
    long end = now_ms() + ms;
    for (;;) {
        const char *at = s->log ? strstr(s->log + s->seen, want) : NULL;
        if (at) {
            s->seen = (size_t)(at - s->log) + strlen(want);
            return 1;
        }
        long left = end - now_ms();
        if (left <= 0 || !pump(s, (int)left)) return 0;
    }
}

static void expect(session *s, const char *want) {
    if (!shows_within(s, want, WAIT_MS))
        fail_msg("the terminal never showed\n[%s]\nafter\n[%s]\nall of it:\n[%s]", want,
                 s->log ? s->log + s->seen : "", s->log ? s->log : "");
}

/* Types text (control characters included) on the terminal. */
static void type(session *s, const char *text) {
    size_t n = strlen(text);
    assert_int_equal(write(s->master, text, n), (ssize_t)n);
}

/* Types a line and waits for the next >>> prompt; checks what came between. */
static void line(session *s, const char *text, const char *shows) {
    char typed[512];
    snprintf(typed, sizeof typed, "%s\r", text);
    type(s, typed);
    if (shows) expect(s, shows);
    expect(s, ">>> ");
}

/* Waits for the command to leave; its exit status. */
static int finish(session *s) {
    long end = now_ms() + WAIT_MS;
    int st = 0;
    pid_t r;
    while ((r = waitpid(s->pid, &st, WNOHANG)) == 0 && now_ms() < end) pump(s, 50);
    if (r == 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &st, 0);
        fail_msg("the command did not leave; the terminal showed:\n%s", s->log);
    }
    close(s->master);
    free(s->log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Presses Ctrl-D to leave. libedit prints its prompt and only then puts the terminal in
 * raw mode: a Ctrl-D pressed in that instant is taken by the terminal's cooked mode and
 * reaches libedit as a NUL, which it ignores (a person would press again). So wait a
 * moment first, and press again while the command is still there. */
static void leave(session *s) {
    struct timespec pause = {0, 300 * 1000000L};
    for (int tries = 0; tries < 10; tries++) {
        nanosleep(&pause, NULL);
        if (write(s->master, "\x04", 1) != 1) return; /* the terminal is gone: it left */
        long end = now_ms() + 2000;
        while (now_ms() < end) {
            siginfo_t info = {0};
            if (waitid(P_PID, (id_t)s->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                info.si_pid == s->pid)
                return; /* it left; finish() collects it */
            pump(s, 50);
        }
    }
}

/* ==== the sessions ========================================================================= */

/* What a person does at the prompt, and what it shows. */
static void session_steps(session *s) {
    expect(s, "Ctrl-D leaves.");
    expect(s, ">>> ");
    line(s, "a = Value(2.0)", NULL);
    line(s, "b = a*a + 2*a; b.backward()", NULL);
    line(s, "a.grad", "\n6.0\n");                               /* a bare expression */
    line(s, "a", "\nValue(data=2.0, grad=6.0)\n");
    line(s, "print(f'{b.data:.2f}', grad(b, a).data)", "\n8.00 6.0\n");
    type(s, "c = (a +\r"); /* an open bracket: the statement goes on */
    expect(s, "... ");
    line(s, "  1)", NULL);
    line(s, "c", "\nValue(data=3.0, grad=0.0)\n");
    line(s, "y = a +* 2",
         "error: expected a number, a name or '(', found '*' (line 1, column 8)\n");
    line(s, "a.data", "\n2.0\n");                                /* the session went on */
    line(s, "grad(grad(b, a), a)", "\nValue(data=2.0, grad=0.0)\n");
    line(s, "import math", "note: import ignored\n");
    type(s, "z = (1 +\r");
    expect(s, "... ");
    /* Ctrl-C drops the statement being typed. A person presses it while the prompt waits
     * in its read; a test could press it in the instant between the prompt showing and the
     * read, where it is only seen once the read ends: wait a moment first, and press again
     * if the machine was too busy for that to be enough. */
    struct timespec pause = {0, 300 * 1000000L};
    int tries = 0;
    do {
        nanosleep(&pause, NULL);
        type(s, "\x03");
    } while (!shows_within(s, "KeyboardInterrupt\n", 2000) && ++tries < 10);
    if (tries == 10) fail_msg("Ctrl-C never dropped the line:\n%s", s->log);
    expect(s, ">>> ");
    line(s, "z", "error: undefined name 'z'");
    line(s, "a.grad", "\n6.0\n");
    leave(s); /* Ctrl-D leaves */
}

static void test_prompt_edit(void **state) {
    (void)state;
    char history[1024];
    snprintf(history, sizeof history, "%s", tu_path("history"));
    session s;
    start(&s, "--quiet", history); /* notes are off: the import line shows nothing */
    expect(&s, "Ctrl-D leaves.");
    expect(&s, ">>> ");
    line(&s, "a = Value(2.0); b = a**3", NULL);
    line(&s, "grad(grad(b, a), a).data", "\n12.0\n");
    line(&s, "import math", NULL);
    line(&s, "print('done')", "\ndone\n");
    leave(&s);
    pump(&s, 200);
    assert_null(strstr(s.log, "note:"));
    assert_int_equal(finish(&s), 0);

    start(&s, NULL, history); /* a second session */
    session_steps(&s);
    assert_int_equal(finish(&s), 0);
#ifdef MG_HAVE_LIBEDIT
    char *h = tu_read_file(history, NULL);
    if (!h) fail_msg("no history file %s", history);
    /* libedit's format: a header, then a line per entry with spaces as \040 */
    if (strncmp(h, "_HiStOrY_V2_\n", 13) || !strstr(h, "\nprint(f'{b.data:.2f}',") ||
        !strstr(h, "\na.grad\n"))
        fail_msg("history file:\n%s", h);
    free(h);
    /* a third session recalls the last line of the second, a.grad, with Ctrl-P */
    start(&s, NULL, history);
    expect(&s, ">>> ");
    type(&s, "\x10\r");
    expect(&s, "error: undefined name 'a'");
    expect(&s, ">>> ");
    leave(&s);
    assert_int_equal(finish(&s), 0);
#endif
}

static void test_prompt_plain(void **state) {
    (void)state;
    char history[1024];
    snprintf(history, sizeof history, "%s", tu_path("plain_history"));
    session s;
    start(&s, "--no-edit", history);
    session_steps(&s);
    assert_int_equal(finish(&s), 0);
    assert_null(tu_read_file(history, NULL)); /* no line editing, no history */
}

/* Standard output to a file, standard input the terminal: the results go to the file and
 * the prompts to the terminal (stderr), as Python's do; no line editing without a
 * terminal to draw on. */
static void test_prompt_output_to_file(void **state) {
    (void)state;
    char out[1024];
    snprintf(out, sizeof out, "%s", tu_path("results.txt"));
    session s;
    start_to(&s, NULL, "", out);
    expect(&s, "(plain input). Ctrl-D leaves.\n>>> ");
    line(&s, "a = Value(2.0); b = a**2", NULL);
    line(&s, "grad(b, a).data", NULL);
    line(&s, "print(b)", NULL);
    leave(&s);
    pump(&s, 200);
    assert_null(strstr(s.log, "4.0"));
    assert_int_equal(finish(&s), 0);
    char *text = tu_read_file(out, NULL);
    assert_non_null(text);
    assert_string_equal(text, "4.0\nValue(data=4.0, grad=0.0)\n\n");
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prompt_edit),
        cmocka_unit_test(test_prompt_plain),
        cmocka_unit_test(test_prompt_output_to_file),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    tu_cleanup();
    return failed;
}
