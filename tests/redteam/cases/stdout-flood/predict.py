"""Case 4: writes gigabytes to stdout."""
import sys

block = "flood " * 10000
for _ in range(400_000):
    sys.stdout.write(block)
