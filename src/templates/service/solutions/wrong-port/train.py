import pickle
import sys

import pandas as pd
from sklearn.linear_model import LogisticRegression

train = pd.read_csv(sys.argv[1])
model = LogisticRegression().fit(train[["x", "y"]].to_numpy(), train["label"])
with open(sys.argv[2], "wb") as f:
    pickle.dump(model, f)
