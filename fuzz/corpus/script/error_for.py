a = 1
for i in range(3):
    a += i
