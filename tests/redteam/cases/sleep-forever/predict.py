"""Case 6: sleeps past the wall limit."""
import time

time.sleep(10**6)
