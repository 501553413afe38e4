"""Predicts a digit for each row of the features file with the model setup.sh trained."""
import pickle
import sys

import pandas as pd

features_csv, out_csv = sys.argv[1], sys.argv[2]
with open("model.pkl", "rb") as f:
    model = pickle.load(f)
features = pd.read_csv(features_csv)
labels = model.predict(features.drop(columns=["id"]))
pd.DataFrame({"id": features["id"], "label": labels}).to_csv(out_csv, index=False)
