"""Known bad: never finishes within the time limit."""
import time

time.sleep(3600)
