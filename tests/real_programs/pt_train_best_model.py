# tolerance: rtol=2e-4 atol=1e-5 -- float32 matrix products: BLAS rounding differs between NumPy and PyTorch,
# and epochs of Adam over shuffled batches carry the difference.
"""A training script in the style of the transfer-learning and classifier tutorials: the device line, train
and val phases with set_grad_enabled, running loss and corrects, a StepLR schedule, the best weights kept
with copy.deepcopy and loaded back, the loss curve plotted from a tensor with matplotlib's Agg backend, and
a deep copy of the whole model."""

import copy
import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.optim as optim  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from torch.optim import lr_scheduler  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
print(device)

torch.manual_seed(42)
digits = load_digits()
X = torch.tensor(digits.data, dtype=torch.float32) / 16
y = torch.tensor(digits.target)
image_datasets = {"train": TensorDataset(X[:1200], y[:1200]), "val": TensorDataset(X[1200:1500], y[1200:1500])}
dataloaders = {x: DataLoader(image_datasets[x], batch_size=64, shuffle=(x == "train")) for x in ["train", "val"]}
dataset_sizes = {x: len(image_datasets[x]) for x in ["train", "val"]}
print(dataset_sizes)

model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 10)).to(device)
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.01)
scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

best_model_wts = copy.deepcopy(model.state_dict())
best_acc = 0.0
history = []
for epoch in range(4):
    print(f"Epoch {epoch}/{3}")
    print("-" * 10)
    for phase in ["train", "val"]:
        if phase == "train":
            model.train()
        else:
            model.eval()
        running_loss = 0.0
        running_corrects = 0
        for inputs, labels in dataloaders[phase]:
            inputs = inputs.to(device)
            labels = labels.to(device)
            optimizer.zero_grad()
            with torch.set_grad_enabled(phase == "train"):
                outputs = model(inputs)
                _, preds = torch.max(outputs, 1)
                loss = criterion(outputs, labels)
                if phase == "train":
                    loss.backward()
                    optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(preds == labels.data)
        if phase == "train":
            scheduler.step()
        epoch_loss = running_loss / dataset_sizes[phase]
        epoch_acc = running_corrects.double() / dataset_sizes[phase]
        history.append(epoch_loss)
        print(f"{phase} Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f}")
        if phase == "val" and epoch_acc > best_acc:
            best_acc = epoch_acc
            best_model_wts = copy.deepcopy(model.state_dict())
    print(scheduler.get_last_lr())

print(f"Best val Acc: {best_acc:4f}")
model.load_state_dict(best_model_wts)
snapshot = copy.deepcopy(model)
with torch.no_grad():
    model[0].weight.add_(1.0)
print(torch.equal(snapshot[0].weight, model[0].weight), snapshot[0].weight.requires_grad)
print(type(best_model_wts).__name__, list(best_model_wts)[:2])

losses = torch.tensor(history)
fig, ax = plt.subplots()
ax.plot(losses[0::2], label="train")
plt.plot(losses[1::2], label="val")
plt.legend()
with tempfile.TemporaryDirectory() as tmp:
    fig.savefig(os.path.join(tmp, "loss.png"))
    print(os.path.exists(os.path.join(tmp, "loss.png")))
print([f"{v:.4f}" for v in ax.lines[1].get_ydata()])
plt.close(fig)
