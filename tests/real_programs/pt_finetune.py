# tolerance: rtol=2e-4 atol=1e-5 -- float32 convolutions, batch-norm variances and matrix products: chaingrad's
# im2col products and PyTorch's kernels round differently, and the SGD epochs carry the difference.
"""The Transfer Learning tutorial's two recipes on a small CNN: a backbone trained on one task (the digits 0-4)
is reused for another (the digits 5-9 as odd and even). "ConvNet as fixed feature extractor": every parameter
frozen with requires_grad = False, model.fc replaced by a fresh nn.Linear(num_ftrs, 2), an optimizer over
model.fc.parameters() only, frozen grads that stay None and batch-norm statistics that still move in train
mode. "Finetuning the ConvNet": parameter groups with their own learning rates, add_param_group, batch-norm
layers held in eval mode through model.apply, and the learning rates of each group through a StepLR."""

import copy

import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
digits = load_digits()
X = torch.tensor(digits.data, dtype=torch.float32).view(-1, 1, 8, 8) / 16
y = torch.tensor(digits.target)
first, second = y < 5, y >= 5
X_a, y_a = X[first][:400], y[first][:400]
X_b, y_b = X[second][:300], (y[second][:300] % 2)
print(X_a.shape, X_b.shape, torch.bincount(y_b))


class SmallNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 1)))
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


def train_model(model, criterion, optimizer, scheduler, loader, num_epochs):
    for epoch in range(num_epochs):
        model.train()
        running_loss, running_corrects, seen = 0.0, 0, 0
        for inputs, labels in loader:
            optimizer.zero_grad()
            outputs = model(inputs)
            _, preds = torch.max(outputs, 1)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(preds == labels.data).item()
            seen += inputs.size(0)
        if scheduler is not None:
            scheduler.step()
        print(f"epoch {epoch} loss {running_loss / seen:.4f} acc {running_corrects / seen:.4f}",
              [round(g["lr"], 6) for g in optimizer.param_groups])
    return model


def evaluate(model, inputs, labels):
    model.eval()
    with torch.no_grad():
        outputs = model(inputs)
        probs = torch.softmax(outputs, dim=1)
    return (outputs.argmax(1) == labels).float().mean().item(), probs[:2]


g = torch.Generator().manual_seed(1)
loader_a = DataLoader(TensorDataset(X_a, y_a), batch_size=32, shuffle=True, generator=g)
loader_b = DataLoader(TensorDataset(X_b[:200], y_b[:200]), batch_size=25, shuffle=True, generator=g)

pretrained = SmallNet()
criterion = nn.CrossEntropyLoss()
opt = optim.SGD(pretrained.parameters(), lr=0.1, momentum=0.9)
train_model(pretrained, criterion, opt, None, loader_a, 3)
print("pretrained", evaluate(pretrained, X_a, y_a)[0])

# ConvNet as fixed feature extractor
model_conv = copy.deepcopy(pretrained)
for param in model_conv.parameters():
    param.requires_grad = False
num_ftrs = model_conv.fc.in_features
model_conv.fc = nn.Linear(num_ftrs, 2)
print(model_conv.fc, num_ftrs)
print(sum(p.numel() for p in model_conv.parameters()), sum(p.numel() for p in model_conv.parameters()
                                                           if p.requires_grad))
print([name for name, p in model_conv.named_parameters() if p.requires_grad])
before_mean = model_conv.features[1].running_mean.clone()
before_weight = model_conv.features[0].weight.clone()
optimizer_conv = optim.SGD(model_conv.fc.parameters(), lr=0.05, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=2, gamma=0.1)
model_conv = train_model(model_conv, criterion, optimizer_conv, exp_lr_scheduler, loader_b, 4)
print(model_conv.features[0].weight.grad, model_conv.fc.weight.grad is not None)
print(torch.equal(before_weight, model_conv.features[0].weight),
      torch.equal(before_mean, model_conv.features[1].running_mean),
      model_conv.features[1].num_batches_tracked)
acc, probs = evaluate(model_conv, X_b[200:], y_b[200:])
print(f"fixed feature extractor acc {acc:.4f}")
print(probs)

# Finetuning the ConvNet: every layer trains, the backbone ten times slower than the new head
model_ft = copy.deepcopy(pretrained)
model_ft.fc = nn.Linear(num_ftrs, 2)
optimizer_ft = optim.SGD([
    {"params": model_ft.features[:4].parameters(), "lr": 1e-3},
    {"params": model_ft.fc.parameters()},
], lr=1e-2, momentum=0.9, weight_decay=1e-4)
optimizer_ft.add_param_group({"params": model_ft.features[4:].parameters(), "lr": 5e-3, "momentum": 0.5})
print(len(optimizer_ft.param_groups), [len(gr["params"]) for gr in optimizer_ft.param_groups],
      [gr["lr"] for gr in optimizer_ft.param_groups], [gr["momentum"] for gr in optimizer_ft.param_groups])
print(sorted(k for k in optimizer_ft.param_groups[0] if k != "params"))


def freeze_bn(module):
    if isinstance(module, nn.BatchNorm2d):
        module.eval()
        module.weight.requires_grad_(False)
        module.bias.requires_grad_(False)


scheduler_ft = lr_scheduler.StepLR(optimizer_ft, step_size=1, gamma=0.5)
frozen_mean = model_ft.features[5].running_mean.clone()
for epoch in range(3):
    model_ft.train()
    model_ft.apply(freeze_bn)
    total = 0.0
    for inputs, labels in loader_b:
        optimizer_ft.zero_grad()
        loss = criterion(model_ft(inputs), labels)
        loss.backward()
        optimizer_ft.step()
        total += loss.item()
    scheduler_ft.step()
    print(f"finetune epoch {epoch} {total / len(loader_b):.4f}", scheduler_ft.get_last_lr(),
          model_ft.features[1].training, model_ft.training)
print(torch.equal(frozen_mean, model_ft.features[5].running_mean), model_ft.features[5].weight.grad)
acc, probs = evaluate(model_ft, X_b[200:], y_b[200:])
print(f"finetuned acc {acc:.4f}")
print(probs)
state = optimizer_ft.state_dict()
print(list(state["state"])[:4], state["param_groups"][2]["params"], sorted(state["state"][0]))
