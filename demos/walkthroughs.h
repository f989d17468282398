/* walkthroughs.h - the seed walkthroughs (micrograd's lecture, step by step) as runnable
 * programs: each prints the numbers the walkthrough shows. argv[0] is the program name;
 * each accepts --help. Return an exit status. */
#ifndef MG_WALKTHROUGHS_H
#define MG_WALKTHROUGHS_H

int walkthrough_derivative(int argc, char **argv); /* slopes of 3x^2 - 4x + 5 */
int walkthrough_expression(int argc, char **argv); /* d = a*b + c and its slopes */
int walkthrough_graph(int argc, char **argv);      /* L = (a*b + c) * f, backward, one step */
int walkthrough_neuron(int argc, char **argv);     /* a tanh neuron, and tanh from exp */

#endif
