/* derivative.c - the walkthrough's first step in C: the slope of f(x) = 3x^2 - 4x + 5 by
 * nudging x, (f(x + h) - f(x)) / h for a small h. No autograd yet: this is what backward
 * will compute exactly. Numbers are printed as Python prints them (mg_fmt_repr), so they
 * can be put next to the notebook's. Prints what `micrograd demo derivative` prints.
 *
 *   cc derivative.c $(pkg-config --cflags --libs micrograd) -o derivative && ./derivative
 */
#include <micrograd.h>
#include <stdio.h>

static double f(double x) {
    return 3 * (x * x) - 4 * x + 5;
}

int main(void) {
    char b1[32], b2[32], b3[32];
    printf("f(x) = 3x^2 - 4x + 5; f(3.0) = %s\n", mg_fmt_repr(f(3.0), b1, 32));
    double h = 0.01, x = 3.0;
    printf("h = %s, x = %s: (f(x+h) - f(x))/h = %s  (the true slope 6x - 4 is 14)\n",
           mg_fmt_repr(h, b1, 32), mg_fmt_repr(x, b2, 32),
           mg_fmt_repr((f(x + h) - f(x)) / h, b3, 32));
    /* At the minimum the slope is 0; the nudge shows how close it gets. */
    h = 0.00001, x = 2.0 / 3.0;
    printf("h = %s, x = 2/3: (f(x+h) - f(x))/h = %s  (the minimum: slope 0)\n",
           mg_fmt_repr(h, b1, 32), mg_fmt_repr((f(x + h) - f(x)) / h, b2, 32));
    for (double xs = -3.0; xs <= 3.0; xs += 1.5)
        printf("x = %5.2f  f(x) = %8.4f  slope ~ %8.4f  (6x - 4 = %.4f)\n", xs, f(xs),
               (f(xs + 1e-6) - f(xs)) / 1e-6, 6 * xs - 4);
    return 0;
}
