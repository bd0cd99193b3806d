# tolerance: rtol=2e-4 atol=1e-6 -- float32 products and sums round differently between NumPy and PyTorch, and
# the training steps carry the difference.
"""Dive into Deep Learning 15.1-15.4 (word2vec): subsampling, centers and contexts, negative sampling, padded
minibatches with masks and labels, the skip-gram forward with bmm, the sigmoid binary cross-entropy with a mask,
training with Adam, and the cosine-similarity nearest words (on The Time Machine, a small slice)."""

import collections
import math
import random

import torch
from torch import nn

with open("../shared/data/timemachine.txt") as f:
    lines = [line.strip().lower() for line in f]
sentences = [[w for w in "".join(c if c.isalpha() or c == " " else " " for c in line).split()] for line in lines]
sentences = [s for s in sentences if len(s) > 1][:300]
counter = collections.Counter(w for s in sentences for w in s)
idx_to_token = ["<unk>"] + sorted(t for t, c in counter.items() if c >= 3)
token_to_idx = {t: i for i, t in enumerate(idx_to_token)}
corpus = [[token_to_idx.get(w, 0) for w in s] for s in sentences]
print(len(idx_to_token), sum(len(s) for s in corpus))

random.seed(0)
num_tokens = sum(counter.values())


def keep(token):
    return random.uniform(0, 1) < math.sqrt(1e-3 / counter[token] * num_tokens)


subsampled = [[token_to_idx.get(w, 0) for w in s if keep(w)] for s in sentences]
print(sum(len(s) for s in subsampled))


def get_centers_and_contexts(corpus, max_window_size):
    centers, contexts = [], []
    for line in corpus:
        if len(line) < 2:
            continue
        centers += line
        for i in range(len(line)):
            window_size = random.randint(1, max_window_size)
            indices = list(range(max(0, i - window_size), min(len(line), i + 1 + window_size)))
            indices.remove(i)
            contexts.append([line[idx] for idx in indices])
    return centers, contexts


all_centers, all_contexts = get_centers_and_contexts(subsampled, 3)
sampling_weights = [counter[idx_to_token[i]] ** 0.75 if i else 1.0 for i in range(len(idx_to_token))]
all_negatives = []
for contexts in all_contexts:
    negatives = []
    while len(negatives) < len(contexts) * 3:
        neg = random.choices(range(len(idx_to_token)), sampling_weights, k=1)[0]
        if neg not in contexts:
            negatives.append(neg)
    all_negatives.append(negatives)


def batchify(data):
    max_len = max(len(c) + len(n) for _, c, n in data)
    centers, contexts_negatives, masks, labels = [], [], [], []
    for center, context, negative in data:
        cur_len = len(context) + len(negative)
        centers += [center]
        contexts_negatives += [context + negative + [0] * (max_len - cur_len)]
        masks += [[1] * cur_len + [0] * (max_len - cur_len)]
        labels += [[1] * len(context) + [0] * (max_len - len(context))]
    return (torch.tensor(centers).reshape((-1, 1)), torch.tensor(contexts_negatives), torch.tensor(masks),
            torch.tensor(labels))


dataset = list(zip(all_centers, all_contexts, all_negatives))
names = ["centers", "contexts_negatives", "masks", "labels"]
for name, data in zip(names, batchify(dataset[:2])):
    print(name, "shape:", data.shape, data[0])


def skip_gram(center, contexts_and_negatives, embed_v, embed_u):
    v = embed_v(center)
    u = embed_u(contexts_and_negatives)
    return torch.bmm(v, u.permute(0, 2, 1))


class SigmoidBCELoss(nn.Module):
    def forward(self, inputs, target, mask=None):
        out = nn.functional.binary_cross_entropy_with_logits(inputs, target, weight=mask, reduction="none")
        return out.mean(dim=1)


loss = SigmoidBCELoss()
torch.manual_seed(0)
embed_size = 16
net = nn.Sequential(nn.Embedding(len(idx_to_token), embed_size), nn.Embedding(len(idx_to_token), embed_size))
print(net[0], net[0].weight[0, :4])
optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
batch_size = 128
for epoch in range(3):
    random.shuffle(dataset)
    total, count = 0.0, 0
    for i in range(0, len(dataset), batch_size):
        center, context_negative, mask, label = batchify(dataset[i:i + batch_size])
        optimizer.zero_grad()
        pred = skip_gram(center, context_negative, net[0], net[1])
        per = loss(pred.reshape(label.shape).float(), label.float(), mask) / mask.sum(axis=1) * mask.shape[1]
        per.sum().backward()
        optimizer.step()
        total += per.sum().item()
        count += per.numel()
    print(f"epoch {epoch + 1}, loss {total / count:.5f}")


def get_similar_tokens(query_token, k, embed):
    W = embed.weight.data
    x = W[token_to_idx[query_token]]
    cos = torch.mv(W, x) / torch.sqrt(torch.sum(W * W, dim=1) * torch.sum(x * x) + 1e-9)
    topk = torch.topk(cos, k=k + 1)[1].cpu().numpy().astype("int32")
    for i in topk[1:]:
        print(f"cosine sim={float(cos[i]):.3f}: {idx_to_token[i]}")


get_similar_tokens("time", 3, net[0])
