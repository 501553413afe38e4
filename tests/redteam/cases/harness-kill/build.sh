# Case 27: a slow build, long enough for the test to SIGKILL the harness in the middle.
sleep 4
