"""Dive into Deep Learning, file I/O: saving and loading a tensor, a list of tensors and a dict of tensors,
then a model's state_dict loaded into a fresh clone that computes the same outputs."""

import os
import tempfile

import torch
from torch import nn
from torch.nn import functional as F

with tempfile.TemporaryDirectory() as tmp:
    x = torch.arange(4)
    torch.save(x, os.path.join(tmp, "x-file"))
    x2 = torch.load(os.path.join(tmp, "x-file"))
    print(x2)

    y = torch.zeros(4)
    torch.save([x, y], os.path.join(tmp, "x-files"))
    x2, y2 = torch.load(os.path.join(tmp, "x-files"))
    print(x2, y2)

    mydict = {"x": x, "y": y}
    torch.save(mydict, os.path.join(tmp, "mydict"))
    mydict2 = torch.load(os.path.join(tmp, "mydict"))
    print(mydict2)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(20, 256)
            self.output = nn.Linear(256, 10)

        def forward(self, x):
            return self.output(F.relu(self.hidden(x)))

    torch.manual_seed(0)
    net = MLP()
    X = torch.randn(size=(2, 20))
    Y = net(X)
    torch.save(net.state_dict(), os.path.join(tmp, "mlp.params"))

    clone = MLP()
    print(clone.load_state_dict(torch.load(os.path.join(tmp, "mlp.params"))))
    print(clone.eval())
    Y_clone = clone(X)
    print(Y_clone == Y)
    print(list(torch.load(os.path.join(tmp, "mlp.params")).keys()))
    print(torch.load(os.path.join(tmp, "mlp.params"))["output.bias"].shape)
