a = Value(2)
b = a % 3
