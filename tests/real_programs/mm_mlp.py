# tolerance: rtol=2e-4 atol=1e-5 -- float32 tanh, exp and matrix products: NumPy's and PyTorch's kernels
# differ in the last bit, and 300 minibatch steps carry the difference.
"""makemore, part 2 (an MLP on characters): build the datasets with a context of three characters after a
seeded Python shuffle, an embedding table indexed as C[X], a tanh hidden layer, the cross-entropy by hand and
with F.cross_entropy, minibatch training with randint from a seeded Generator, a learning-rate sweep
plotted with matplotlib, the dev loss, and names sampled with multinomial."""

import random

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

words = open("../shared/data/names.txt", "r").read().splitlines()
chars = sorted(list(set("".join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
print(itos)

block_size = 3


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    print(X.shape, Y.shape)
    return X, Y


random.seed(42)
random.shuffle(words)
words = words[:4000]
n1 = int(0.8 * len(words))
n2 = int(0.9 * len(words))
Xtr, Ytr = build_dataset(words[:n1])
Xdev, Ydev = build_dataset(words[n1:n2])
Xte, Yte = build_dataset(words[n2:])

for x, y in zip(Xtr[:5], Ytr[:5]):
    print("".join(itos[ix.item()] for ix in x), "--->", itos[y.item()])

g = torch.Generator().manual_seed(2147483647)
C = torch.randn((27, 10), generator=g)
print(C[5], C[torch.tensor([5, 6, 7, 7])].shape, C[Xtr[:32]].shape)
W1 = torch.randn((30, 100), generator=g)
b1 = torch.randn(100, generator=g)
W2 = torch.randn((100, 27), generator=g)
b2 = torch.randn(27, generator=g)
parameters = [C, W1, b1, W2, b2]
print(sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True

emb = C[Xtr[:32]]
h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
logits = h @ W2 + b2
counts = logits.exp()
prob = counts / counts.sum(1, keepdims=True)
print(f"by hand {-prob[torch.arange(32), Ytr[:32]].log().mean().item():.4f}, "
      f"F.cross_entropy {F.cross_entropy(logits, Ytr[:32]).item():.4f}")
print(torch.cat(torch.unbind(emb, 1), 1).shape, emb.view(32, 30).shape)

lre = torch.linspace(-3, -1, 100)
lrs = 10 ** lre
lri, lossi, stepi = [], [], []
for i in range(300):
    ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
    emb = C[Xtr[ix]]
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Ytr[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = lrs[i] if i < 100 else 0.1
    for p in parameters:
        p.data += -lr * p.grad
    if i < 100:
        lri.append(lre[i])
    stepi.append(i)
    lossi.append(loss.log10().item())
    if i % 50 == 0:
        print(f"{i:4d}: {loss.item():.4f}")
print(f"last minibatch loss {loss.item():.4f}")

fig, ax = plt.subplots()
ax.plot(lri, lossi[:100])
print("plotted", len(ax.lines[0].get_xdata()), "points, first lr exponent", float(ax.lines[0].get_xdata()[0]))
plt.close(fig)
fig, ax = plt.subplots()
plt.plot(torch.tensor(lossi).view(-1, 10).mean(1))
print([round(float(v), 4) for v in ax.lines[0].get_ydata()[:5]])
plt.close(fig)

emb = C[Xdev]
h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
logits = h @ W2 + b2
loss = F.cross_entropy(logits, Ydev)
print(f"dev loss {loss.item():.4f}")

fig = plt.figure(figsize=(8, 8))
plt.scatter(C[:, 0].data, C[:, 1].data, s=200)
for i in range(C.shape[0]):
    plt.text(C[i, 0].item(), C[i, 1].item(), itos[i], ha="center", va="center", color="white")
plt.grid("minor")
plt.close(fig)

g = torch.Generator().manual_seed(2147483647 + 10)
for _ in range(8):
    out = []
    context = [0] * block_size
    while True:
        emb = C[torch.tensor([context])]
        h = torch.tanh(emb.view(1, -1) @ W1 + b1)
        logits = h @ W2 + b2
        probs = F.softmax(logits, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        out.append(ix)
        if ix == 0:
            break
    print("".join(itos[i] for i in out))
