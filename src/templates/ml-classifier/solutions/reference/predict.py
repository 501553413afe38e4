import pickle
import sys

import pandas as pd

with open("model.pkl", "rb") as f:
    model = pickle.load(f)
features = pd.read_csv(sys.argv[1])
labels = model.predict(features[["x", "y"]])
pd.DataFrame({"id": features["id"], "label": labels}).to_csv(sys.argv[2], index=False)
