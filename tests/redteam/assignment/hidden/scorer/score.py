"""An independent scorer: accuracy with scikit-learn, in a container without candidate code."""
import json
import sys

import pandas as pd
from sklearn.metrics import accuracy_score

predictions, labels, out = sys.argv[1:4]
joined = pd.read_csv(labels).merge(pd.read_csv(predictions), on="id", suffixes=("", "_predicted"))
value = accuracy_score(joined["label"], joined["label_predicted"]) if len(joined) else 0.0
with open(out, "w") as f:
    json.dump({"accuracy": float(value)}, f)
