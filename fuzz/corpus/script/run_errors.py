a = Value(1.0)
print(a.backward())
def f(x): return x
xs = [a, a]
d = {'k': a}
t = (a, a)
c = a if a else a
lambda x: x
with open('x') as f: pass
print(f'{a:.2f}', f'{1.5:d}', f'{1:.2}', f'{}', f'{1!x}')
a.data = a
a.foo = 1
1 / 0
