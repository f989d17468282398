x1 = Value(2.0, label='x1'); x2 = Value(0.0, label='x2')
w1 = Value(-3.0, label='w1'); w2 = Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')
x1w1 = x1*w1; x2w2 = x2*w2
n = x1w1 + x2w2 + b; n.label = 'n'
o = n.tanh()
o.grad = 1.0
o._backward()
n._backward()
x1w1._backward()
x2w2._backward()
print('x1.grad:', x1.grad, 'w1.grad:', w1.grad, sep=' ', end='\n')
print(o, x1, 2)
L = o * 2; L.grad = 1.0; L.grad *= 3; L.data -= 1
