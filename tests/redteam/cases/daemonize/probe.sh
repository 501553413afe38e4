# Case 8, second phase: lists every process it can see.
ps -eo user,pid,args
