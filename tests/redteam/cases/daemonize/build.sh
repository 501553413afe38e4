# Case 8: double-forks background processes that outlive the phase, then exits 0.
(setsid sh -c 'trap "" TERM HUP; exec sleep 4242' &)
python3 -c "
import os, time
if os.fork(): os._exit(0)
os.setsid()
if os.fork(): os._exit(0)
os.execvp('sleep', ['sleep', '4343'])
"
sleep 0.5
ps -eo args | grep -c '^sleep 4[23][24][23]$'
