# Case 38: a daemon takes every process slot and keeps them, then the build exits 0. The
# phase's peak memory and CPU time must still be measured. The build waits inside python, not
# with `sleep`: once the slots are gone, the shell could not fork a sleep.
python3 - <<'PY'
import os, time
if os.fork():
    time.sleep(1)
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
while True:
    try:
        if os.fork() == 0:
            time.sleep(1000)
            os._exit(0)
    except OSError:
        time.sleep(1000)
PY
echo filled
