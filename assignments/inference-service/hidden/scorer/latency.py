"""Median and 95th-percentile latency of the answered requests, and the share that failed."""
import csv
import json
import sys

with open(sys.argv[1]) as f:
    rows = list(csv.DictReader(f))
latencies = sorted(float(r["latency_ms"]) for r in rows if r["error"] == "0")


def percentile(p):
    if not latencies:
        return 1e9
    return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]


errors = sum(1 for r in rows if r["error"] != "0")
with open(sys.argv[2], "w") as f:
    json.dump({"p50_ms": percentile(50), "p95_ms": percentile(95), "error_rate": errors / max(1, len(rows))}, f)
