"""Case 41: a 40 MB header line."""
import sys

with open(sys.argv[2], "w") as out:
    out.write("id,label," + "h" * (40 * 1000 * 1000) + "\n")
    out.write("".join(f"r{i},{i % 3},x\n" for i in range(1100)))
