"""The hidden load client: waits for the service, sends every test wine three times, and
records the first answer per wine (predictions.csv) and every request (requests.csv)."""
import csv
import json
import os
import sys
import time
import urllib.request

features_csv, out_dir = sys.argv[1], sys.argv[2]
base = "http://127.0.0.1:8000"
deadline = time.time() + 20
while True:
    try:
        urllib.request.urlopen(base + "/health", timeout=1).read()
        break
    except Exception:
        if time.time() > deadline:
            sys.exit("the service did not answer on 127.0.0.1:8000/health within 20 seconds")
        time.sleep(0.1)

with open(features_csv) as f:
    rows = list(csv.DictReader(f))
answers = {}
with open(os.path.join(out_dir, "requests.csv"), "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["id", "round", "latency_ms", "error"])
    for round_ in range(3):
        for row in rows:
            body = json.dumps({k: float(v) for k, v in row.items() if k != "id"}).encode()
            request = urllib.request.Request(base + "/predict", data=body, headers={"Content-Type": "application/json"})
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=2) as response:
                    label, error = json.load(response)["label"], 0
            except Exception:
                label, error = "__error__", 1
            answers.setdefault(row["id"], label)
            out.writerow([row["id"], round_, round((time.perf_counter() - start) * 1000, 3), error])
with open(os.path.join(out_dir, "predictions.csv"), "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["id", "label"])
    for row in rows:
        out.writerow([row["id"], answers[row["id"]]])
