"""Known bad: prints without end."""
import sys

line = "all work and no play makes a dull grader\n" * 100
while True:
    sys.stdout.write(line)
