# Case 36: two sparse files of 20 MiB each (a few bytes of data, the rest holes) in a 32 MiB
# workspace: they fit here, and must fit the next phase too.
python3 - <<'PY'
for name in ("a.bin", "b.bin"):
    with open(name, "wb") as f:
        f.seek(20 * 1024 * 1024 - 5)
        f.write(b"tail\n")
PY
du -k a.bin b.bin
