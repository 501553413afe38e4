# Case 7: ignores SIGTERM, in the shell and in a child.
trap '' TERM INT HUP
python3 -c "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(10**6)" &
while :; do sleep 1; done
