# Case 1: a fork bomb that keeps trying. The pids limit must hold it, the time limit end it,
# and the harness and other grades go on.
bomb() { bomb | bomb & }
while :; do bomb; done
