"""PyTorch tutorials, Datasets & DataLoaders (and the torch.utils.data documentation): a custom Dataset with a
transform and a target transform, DataLoader batches with shuffle and drop_last, a custom collate_fn,
random_split with a generator, the samplers (Random, Sequential, SubsetRandom, WeightedRandom, Batch), and
iterating by hand with iter/next. Synthetic data, seeded: every number is torch's."""

import torch
from torch.utils import data


class SquaresDataset(data.Dataset):
    def __init__(self, n, transform=None, target_transform=None):
        self.x = torch.arange(n, dtype=torch.float32)
        self.y = self.x ** 2
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        x, y = self.x[idx], self.y[idx]
        if self.transform:
            x = self.transform(x)
        if self.target_transform:
            y = self.target_transform(y)
        return x, y


torch.manual_seed(0)
ds = SquaresDataset(10, transform=lambda v: v / 10, target_transform=lambda v: v.long())
print(len(ds), ds[3])
loader = data.DataLoader(ds, batch_size=4, shuffle=True)
for epoch in range(2):
    for xb, yb in loader:
        print(epoch, xb, yb)
print(len(loader), len(data.DataLoader(ds, batch_size=4, drop_last=True)))

xb, yb = next(iter(data.DataLoader(ds, batch_size=3, shuffle=True)))
print("next(iter(...))", xb, yb, xb.dtype, yb.dtype)


def collate_pairs(batch):
    xs = torch.stack([b[0] for b in batch])
    ys = torch.stack([b[1] for b in batch])
    return {"x": xs, "y": ys, "n": len(batch)}


for batch in data.DataLoader(ds, batch_size=5, shuffle=True, collate_fn=collate_pairs):
    print(batch["n"], batch["x"], batch["y"])

g = torch.Generator().manual_seed(42)
train, val, test = data.random_split(ds, [6, 2, 2], generator=g)
print([len(s) for s in (train, val, test)], train.indices, val.indices, test.indices)
parts = data.random_split(range(20), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(1))
print([list(p) for p in parts])

print(list(data.SequentialSampler(ds)))
print(list(data.RandomSampler(ds, generator=torch.Generator().manual_seed(3))))
print(list(data.RandomSampler(ds, replacement=True, num_samples=6, generator=torch.Generator().manual_seed(3))))
print(list(data.SubsetRandomSampler([1, 4, 7, 9], generator=torch.Generator().manual_seed(5))))
weights = torch.tensor([0.1, 0.1, 5.0, 0.1, 0.1, 0.1, 3.0, 0.1, 0.1, 0.1])
print(list(data.WeightedRandomSampler(weights, 8, replacement=True, generator=torch.Generator().manual_seed(7))))
print(list(data.WeightedRandomSampler(weights, 5, replacement=False, generator=torch.Generator().manual_seed(7))))
print(list(data.BatchSampler(data.SequentialSampler(range(10)), batch_size=3, drop_last=False)))
print(list(data.BatchSampler(data.RandomSampler(range(10), generator=torch.Generator().manual_seed(2)), 4, True)))

tds = data.TensorDataset(torch.randn(8, 2), torch.randint(0, 3, (8,)))
sampler = data.WeightedRandomSampler(torch.ones(8), 8)
for xb, yb in data.DataLoader(tds, batch_size=4, sampler=sampler):
    print(xb, yb)
it = iter(data.DataLoader(tds, batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(9)))
print(next(it)[1], next(it)[1], next(it)[1])
print(torch.rand(2))
