"""Makes the wine data: scikit-learn's bundled wine recognition data (178 wines, 13 chemical
measurements, 3 cultivars), split deterministically into training rows for the candidate and
hidden test rows and labels.

Run inside the sandbox image from this folder:
  docker run --rm -v "$PWD:/a" -w /a --user 0 assay/python-ml python3 make_data.py
"""
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

wine = load_wine(as_frame=True)
frame = wine.frame.rename(columns={"target": "label"})
frame.columns = [c.replace("/", "_") for c in frame.columns]
frame.insert(0, "id", [f"w{i:03d}" for i in range(len(frame))])
train, test = train_test_split(frame, test_size=0.3, random_state=20261122, stratify=frame["label"])
train.sort_values("id").to_csv("starter/train.csv", index=False)
test.sort_values("id").drop(columns=["label"]).to_csv("hidden/features/test.csv", index=False)
test.sort_values("id")[["id", "label"]].to_csv("hidden/labels.csv", index=False)
