"""Writes a label for every row of the features file."""
import csv
import os
import subprocess
import sys

from solution import label_of

# The corpus's hook: a case may ship probe.sh, which runs here, in the phase that sees the
# hidden features, before the predictions are written.
if os.path.exists("probe.sh"):
    subprocess.run(["sh", "probe.sh"], check=False)

features, predictions = sys.argv[1:3]
with open(features, newline="") as f, open(predictions, "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["id", "label"])
    for row in csv.DictReader(f):
        writer.writerow([row["id"], label_of(row["x"])])
