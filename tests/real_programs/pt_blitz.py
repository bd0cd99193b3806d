# tolerance: rtol=2e-4 atol=2e-5 -- float32 convolutions and matrix products: chaingrad's im2col products
# and PyTorch's kernels round differently, and two epochs of SGD with momentum carry the difference.
"""Deep Learning with PyTorch: A 60 Minute Blitz: autograd's vector-Jacobian product (Q.backward(gradient=
...)), frozen parameters and a replaced classifier head, the LeNet of "Neural Networks" (max_pool2d with a
tuple and an int, torch.flatten, the parameters' sizes, out.backward(torch.randn(1, 10)), an MSELoss whose
grad_fn chain is walked through next_functions, conv1.bias.grad before and after backward, the update by
hand with f.data.sub_ and with optim.SGD), and "Training a Classifier" on the 8x8 digits (a DataLoader with
shuffle, running losses, saving and loading the state dict, torch.max(outputs, 1), accuracy per class)."""

import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

a = torch.tensor([2.0, 3.0], requires_grad=True)
b = torch.tensor([6.0, 4.0], requires_grad=True)
Q = 3 * a ** 3 - b ** 2
external_grad = torch.tensor([1.0, 1.0])
Q.backward(gradient=external_grad)
print(9 * a ** 2 == a.grad)
print(-2 * b == b.grad)

x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)
a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
for param in model.parameters():
    param.requires_grad = False
model[2] = nn.Linear(16, 3)
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
print(model)
print([p.requires_grad for p in model.parameters()])
out = model(torch.randn(2, 8))
out.sum().backward()
print(model[0].weight.grad, model[2].bias.grad)


class Net(nn.Module):

    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        output = self.fc3(f6)
        return output


net = Net()
print(net)
params = list(net.parameters())
print(len(params))
print(params[0].size())

input = torch.randn(1, 1, 32, 32)
out = net(input)
print(out)
net.zero_grad()
out.backward(torch.randn(1, 10))

output = net(input)
target = torch.randn(10)
target = target.view(1, -1)
criterion = nn.MSELoss()
loss = criterion(output, target)
print(loss)
print(loss.grad_fn)
print(loss.grad_fn.next_functions[0][0])
print(loss.grad_fn.next_functions[0][0].next_functions[0][0])

net.zero_grad()
print("conv1.bias.grad before backward")
print(net.conv1.bias.grad)
loss.backward()
print("conv1.bias.grad after backward")
print(net.conv1.bias.grad)

learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)
print(criterion(net(input), target))

optimizer = optim.SGD(net.parameters(), lr=0.01)
optimizer.zero_grad()
output = net(input)
loss = criterion(output, target)
loss.backward()
optimizer.step()
print(criterion(net(input), target))

# training a classifier
digits = load_digits()
images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 8.0 - 1.0
labels = torch.tensor(digits.target)
trainset = TensorDataset(images[:1400], labels[:1400])
testset = TensorDataset(images[1400:], labels[1400:])
batch_size = 16
g = torch.Generator()
g.manual_seed(0)
trainloader = DataLoader(trainset, batch_size=batch_size, shuffle=True, generator=g)
testloader = DataLoader(testset, batch_size=batch_size, shuffle=False)
classes = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

dataiter = iter(trainloader)
images_b, labels_b = next(dataiter)
print(images_b.shape, " ".join(f"{classes[labels_b[j]]:5s}" for j in range(batch_size)))


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 2)
        self.fc1 = nn.Linear(16, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


torch.manual_seed(0)
net = SmallNet()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

for epoch in range(2):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, labels_b = data
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels_b)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 40 == 39:
            print(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 40:.3f}")
            running_loss = 0.0
print("Finished Training")

with tempfile.TemporaryDirectory() as d:
    PATH = os.path.join(d, "digits_net.pth")
    torch.save(net.state_dict(), PATH)
    net = SmallNet()
    print(net.load_state_dict(torch.load(PATH, weights_only=True)))

dataiter = iter(testloader)
images_b, labels_b = next(dataiter)
print("GroundTruth: ", " ".join(f"{classes[labels_b[j]]:5s}" for j in range(4)))
outputs = net(images_b)
_, predicted = torch.max(outputs, 1)
print("Predicted: ", " ".join(f"{classes[predicted[j]]:5s}" for j in range(4)))

correct = 0
total = 0
with torch.no_grad():
    for data in testloader:
        images_b, labels_b = data
        outputs = net(images_b)
        _, predicted = torch.max(outputs.data, 1)
        total += labels_b.size(0)
        correct += (predicted == labels_b).sum().item()
print(f"Accuracy of the network on the {total} test images: {100 * correct // total} %")

correct_pred = {classname: 0 for classname in classes}
total_pred = {classname: 0 for classname in classes}
with torch.no_grad():
    for data in testloader:
        images_b, labels_b = data
        outputs = net(images_b)
        _, predictions = torch.max(outputs, 1)
        for label, prediction in zip(labels_b, predictions):
            if label == prediction:
                correct_pred[classes[label]] += 1
            total_pred[classes[label]] += 1
for classname, correct_count in correct_pred.items():
    accuracy = 100 * float(correct_count) / total_pred[classname]
    print(f"Accuracy for class: {classname:5s} is {accuracy:.1f} %")
