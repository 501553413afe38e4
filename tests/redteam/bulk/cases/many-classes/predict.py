"""Case 41: 1,005 distinct predicted classes, each a confusion-matrix row and column."""
import sys

with open(sys.argv[2], "w") as out:
    out.write("id,label\n")
    for i in range(1100):
        out.write(f"r{i},class-{i % 1005}\n")
