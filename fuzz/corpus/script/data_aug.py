a = Value(3.0)
k = a.data * 2
y = a * k
y **= 2
y /= a
y -= 1_000
y *= 1e-3
z = 2**a + a**a + a**-1 + -a**2 + (-a)**2
w = (a + \
  1) * (z
  - 2)
