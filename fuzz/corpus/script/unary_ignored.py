import math
from micrograd.engine import Value
x = Value(0.5)
y = x.sigmoid() + relu(x) + log(x) + exp(x) + x.tanh()
y.grad = 1.0
draw_dot(y)
%matplotlib inline
