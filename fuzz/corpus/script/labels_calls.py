a = Value(1.0, data=2.0)
b = Value(2.0, label="b")
c = tanh(a) * sigmoid(b) / exp(log(b))
c.label = "out put\t"
