a = Value(2.0, label='a')
b = (a *
     3 +
     1)
b.backward()
a.grad
a
'it\'s'
x = 3
x / 2
print("""multi
line""")
y = undefined
b.data
