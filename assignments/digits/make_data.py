"""Makes the digits data: scikit-learn's bundled handwritten digits (1,797 8x8 images),
split deterministically into the candidate's training set and the hidden test set.

Run inside the sandbox image from this folder:
  docker run --rm -v "$PWD:/a" -w /a assay/python-ml python3 make_data.py
"""
import csv

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
ids = [f"d{i:04d}" for i in range(len(digits.target))]
train_idx, test_idx = train_test_split(
    list(range(len(ids))), test_size=0.3, random_state=20261122, stratify=digits.target
)
pixels = [f"pixel{i}" for i in range(64)]


def row(i):
    return [ids[i]] + [int(v) for v in digits.data[i]]


with open("starter/train.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id"] + pixels + ["label"])
    for i in sorted(train_idx):
        w.writerow(row(i) + [int(digits.target[i])])

with open("hidden/features/test_features.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id"] + pixels)
    for i in sorted(test_idx):
        w.writerow(row(i))

with open("hidden/labels.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "label"])
    for i in sorted(test_idx):
        w.writerow([ids[i], int(digits.target[i])])
