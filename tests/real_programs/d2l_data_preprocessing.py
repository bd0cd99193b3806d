"""Dive into Deep Learning, data preprocessing (without pandas): write a small CSV file, read it with the csv
module, fill missing numbers with the column mean using isnan and masks, one-hot encode a categorical column
(missing values as their own category), and convert everything to float64 tensors."""

import csv
import os
import tempfile

import torch

with tempfile.TemporaryDirectory() as tmp:
    data_file = os.path.join(tmp, "house_tiny.csv")
    with open(data_file, "w") as f:
        f.write("NumRooms,RoofType,Price\n")
        f.write("NA,NA,127500\n")
        f.write("2,NA,106000\n")
        f.write("4,Slate,178100\n")
        f.write("NA,NA,140000\n")
    with open(data_file) as f:
        rows = list(csv.DictReader(f))
print(rows)

num_rooms = torch.tensor([float("nan") if r["NumRooms"] == "NA" else float(r["NumRooms"]) for r in rows],
                         dtype=torch.float64)
print(num_rooms)
missing = torch.isnan(num_rooms)
print(missing, missing.sum())
mean_rooms = num_rooms[~missing].mean()
num_rooms = torch.where(missing, mean_rooms, num_rooms)
print(num_rooms)

categories = sorted({r["RoofType"] for r in rows} - {"NA"}) + ["nan"]
roof_index = torch.tensor([categories.index(r["RoofType"] if r["RoofType"] != "NA" else "nan") for r in rows])
roof = torch.zeros(len(rows), len(categories), dtype=torch.float64)
roof[torch.arange(len(rows)), roof_index] = 1
print(["NumRooms"] + [f"RoofType_{c}" for c in categories])
inputs = torch.cat([num_rooms.unsqueeze(1), roof], dim=1)
targets = torch.tensor([float(r["Price"]) for r in rows], dtype=torch.float64)
X, y = inputs, targets
print(X)
print(y)
print(X.dtype, X.shape, y.shape)
print(X.to(torch.float32).dtype, y.max(), y.argmin())
print(torch.stack([X[:, 0], y / 100000], dim=1))
