# tolerance: rtol=1e-5 atol=1e-6 -- float32 convolutions and products round differently between NumPy and
# PyTorch; five SGD steps carry the difference into the printed bias.
"""PyTorch tutorials, Saving and Loading Models (and its recipes): state_dict of a model and of an optimizer,
saving and loading the whole state dict, a general checkpoint (epoch, model, optimizer, loss) to resume
training exactly, several models in one file, warm-starting with strict=False (missing and unexpected keys),
a parameter renamed by hand, and map_location / weights_only on load. Files go to a temporary folder."""

import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class TheModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(3 * 3 * 3, 8)
        self.fc2 = nn.Linear(8, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


torch.manual_seed(0)
model = TheModelClass()
optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())
x, y = torch.randn(6, 1, 8, 8), torch.randint(0, 4, (6,))
for _ in range(2):
    optimizer.zero_grad()
    F.cross_entropy(model(x), y).backward()
    optimizer.step()
print("Optimizer's state_dict:")
for var_name, value in optimizer.state_dict().items():
    print(var_name, "\t", value if var_name == "param_groups" else {k: sorted(v) for k, v in value.items()})

folder = tempfile.mkdtemp()
path = os.path.join(folder, "model.pt")
torch.save(model.state_dict(), path)
model2 = TheModelClass()
print(model2.load_state_dict(torch.load(path, weights_only=True)))
model2.eval()
print(torch.equal(model2(x), model(x)), model2.training)

ckpt = os.path.join(folder, "checkpoint.tar")
loss = F.cross_entropy(model(x), y)
torch.save({"epoch": 2, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
            "loss": loss}, ckpt)
resumed = TheModelClass()
resumed_opt = optim.SGD(resumed.parameters(), lr=0.5, momentum=0.1)
checkpoint = torch.load(ckpt, weights_only=True)
resumed.load_state_dict(checkpoint["model_state_dict"])
resumed_opt.load_state_dict(checkpoint["optimizer_state_dict"])
group = resumed_opt.param_groups[0]
print(checkpoint["epoch"], checkpoint["loss"], group["lr"], group["momentum"])
for m, opt in ((model, optimizer), (resumed, resumed_opt)):
    m.train()
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(m(x), y).backward()
        opt.step()
print(torch.equal(model.fc2.weight, resumed.fc2.weight), model.fc2.bias)

both = os.path.join(folder, "both.tar")
modelA, modelB = TheModelClass(), nn.Linear(4, 2)
torch.save({"modelA_state_dict": modelA.state_dict(), "modelB_state_dict": modelB.state_dict()}, both)
loaded = torch.load(both, map_location="cpu", weights_only=True)
print(sorted(loaded), sorted(loaded["modelB_state_dict"]), loaded["modelB_state_dict"]["weight"].device)


class NetB(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3)
        self.fc1 = nn.Linear(3 * 3 * 3, 8)
        self.head = nn.Linear(8, 2)


netB = NetB()
result = netB.load_state_dict(torch.load(path, weights_only=True), strict=False)
print(result.missing_keys, result.unexpected_keys)
print(torch.equal(netB.conv1.weight, model2.conv1.weight))
try:
    netB.load_state_dict(torch.load(path, weights_only=True))
except RuntimeError as err:
    print("RuntimeError:", str(err).splitlines()[0])

renamed = {k.replace("fc2", "head"): v for k, v in torch.load(path, weights_only=True).items() if "fc2" not in k}
print(netB.load_state_dict(renamed, strict=False))
whole = os.path.join(folder, "tensors.pt")
torch.save([torch.arange(4), {"a": torch.ones(2, dtype=torch.float64)}, 3.5, "text"], whole)
print(torch.load(whole, weights_only=True))
