# Case 22: syscalls that need privilege or open a way out.
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name ok"; else echo "$name REFUSED"; fi; }
try mount mount -t tmpfs none /tmp
try unshare unshare -r true
try unshare-net unshare -n true
try mknod mknod /tmp/dev c 1 3
try ptrace python3 -c "import ctypes, os; libc = ctypes.CDLL(None); pid = os.fork(); os._exit(0) if pid == 0 else None; assert libc.ptrace(16, pid, 0, 0) == 0"
try chroot chroot / true
