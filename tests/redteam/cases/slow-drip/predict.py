"""Case 31: one byte a second, forever."""
import sys
import time

while True:
    sys.stdout.write(".")
    sys.stdout.flush()
    time.sleep(1)
