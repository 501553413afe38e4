"""Case 41: one id of 60 MiB of \x01 bytes: once quoted into every message, report and line
printed (5.5 GB of memory, 4.7 GB of reports)."""
import sys

with open(sys.argv[2], "wb") as out:
    out.write(b"id,label\n")
    out.write(b"\x01" * (60 * 1024 * 1024))
    out.write(b",1\n")
