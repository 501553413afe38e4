"""Word and character n-gram TF-IDF with a logistic regression, balanced for rare categories."""
import pickle
import sys

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

train = pd.read_csv(sys.argv[1])
features = make_union(
    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
    TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2),
)
model = make_pipeline(features, LogisticRegression(C=5.0, max_iter=2000, class_weight="balanced"))
model.fit(train["text"].fillna(""), train["category"])
with open(sys.argv[2], "wb") as f:
    pickle.dump(model, f)
print(f"trained on {len(train)} tickets")
