"""Case 41: 550 distinct class names of 50 KiB each (55 MB in all), every one a predicted label."""
import sys

with open(sys.argv[2], "w") as out:
    out.write("id,label\n")
    for i in range(1100):
        name = f"{i % 550:04d}" + "c" * (50 * 1024)
        out.write(f"r{i},{name}\n")
