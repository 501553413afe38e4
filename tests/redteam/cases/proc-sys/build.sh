# Case 23: kernel knobs and the sandbox's own limits.
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name ok"; else echo "$name REFUSED"; fi; }
try proc-sys sh -c 'echo 1 > /proc/sys/kernel/sysrq'
try sysrq sh -c 'echo b > /proc/sysrq-trigger'
try memory-limit sh -c 'echo 999999999999 > /sys/fs/cgroup/memory/memory.limit_in_bytes || echo max > /sys/fs/cgroup/memory.max'
try pids-limit sh -c 'echo 100000 > /sys/fs/cgroup/pids/pids.max || echo max > /sys/fs/cgroup/pids.max'
try cpu-limit sh -c 'echo -1 > /sys/fs/cgroup/cpu/cpu.cfs_quota_us || echo max > /sys/fs/cgroup/cpu.max'
echo "memory limit $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"
echo "pids limit $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)"
