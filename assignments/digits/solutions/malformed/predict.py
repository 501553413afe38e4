"""Known bad: writes predictions with the wrong column name and a duplicated row."""
import pickle
import sys

import pandas as pd

features_csv, out_csv = sys.argv[1], sys.argv[2]
with open("model.pkl", "rb") as f:
    model = pickle.load(f)
features = pd.read_csv(features_csv)
labels = model.predict(features.drop(columns=["id"]))
frame = pd.DataFrame({"id": features["id"], "digit": labels})
pd.concat([frame, frame.head(1)]).to_csv(out_csv, index=False)
