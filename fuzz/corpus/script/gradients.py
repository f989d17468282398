x = Value(3.0); y = x**3
print(grad(y, x).data, grad(grad(y, x), x).data)
u = Value(2.0, label='u'); v = (u * x).tanh() + u.relu() / x - (u ** x).exp()
g = grad(grad(v, u), x); g.backward()
print(g, x.grad, grad(v, g).data)
grad(v)
