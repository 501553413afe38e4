"""Trains an RBF support-vector classifier on the digits and saves it."""
import pickle
import sys

import pandas as pd
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

train_csv, model_path = sys.argv[1], sys.argv[2]
train = pd.read_csv(train_csv)
features = train.drop(columns=["id", "label"])
model = make_pipeline(StandardScaler(), SVC(C=10, gamma="scale"))
model.fit(features, train["label"])
with open(model_path, "wb") as f:
    pickle.dump(model, f)
print(f"trained on {len(train)} images")
