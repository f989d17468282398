# The lecture's expression L = (a*b + c) * f, its backward pass, and one step of every leaf
# along its gradient; L rebuilt from the nudged leaves is larger (less negative).
# micrograd eval examples/scripts/nudge.py prints -7.286496, as the lecture's notebook does.
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
e = a*b; e.label = 'e'
d = e + c; d.label = 'd'
f = Value(-2.0, label='f')
L = d * f; L.label = 'L'
L.backward()

a.data += 0.01 * a.grad
b.data += 0.01 * b.grad
c.data += 0.01 * c.grad
f.data += 0.01 * f.grad

e = a * b
d = e + c
L = d * f

print(L.data)
