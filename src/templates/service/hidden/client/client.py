"""The hidden load client: waits for the service, sends every test row, records the answers."""
import csv
import json
import sys
import time
import urllib.request

features_csv, out_csv = sys.argv[1], sys.argv[2]
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
with open(out_csv, "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["id", "label", "latency_ms", "error"])
    for row in rows:
        body = json.dumps({k: float(v) for k, v in row.items() if k != "id"}).encode()
        request = urllib.request.Request(base + "/predict", data=body, headers={"Content-Type": "application/json"})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                label, error = json.load(response)["label"], 0
        except Exception:
            label, error = "__error__", 1
        out.writerow([row["id"], label, round((time.perf_counter() - start) * 1000, 3), error])
