"""The bulk reference: x % 3 for every row. Other cases write their own predictions."""
import csv
import sys

features, predictions = sys.argv[1:3]
with open(features, newline="") as f, open(predictions, "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["id", "label"])
    for row in csv.DictReader(f):
        writer.writerow([row["id"], int(row["x"]) % 3])
