"""Writes one category per ticket."""
import sys

import pandas as pd

import triage

tickets = pd.read_csv(sys.argv[1])
categories = triage.classify_many(tickets["text"].fillna("").tolist())
pd.DataFrame({"id": tickets["id"], "category": categories}).to_csv(sys.argv[2], index=False)
