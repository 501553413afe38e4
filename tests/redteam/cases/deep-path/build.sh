# Case 37: a path longer than PATH_MAX (4,096 bytes) inside the workspace, made one folder at
# a time. Carrying it on may fail, but only as the candidate's verdict.
python3 - <<'PY'
import os
for _ in range(24):
    os.mkdir("d" * 200)
    os.chdir("d" * 200)
open("deep.txt", "w").write("deep\n")
print("made", len(os.getcwd()))
PY
