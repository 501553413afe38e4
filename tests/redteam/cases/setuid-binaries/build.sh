# Case 24: su, sudo, the image's setuid helpers and setuid calls.
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name ok"; else echo "$name REFUSED"; fi; }
try su su -c true root
try sudo sudo true
try setuid-root python3 -c "import os; os.setuid(0)"
try setresuid python3 -c "import os; os.setresuid(0, 0, 0)"
try setgid-root python3 -c "import os; os.setgid(0)"
try mount-helper sh -c 'mkdir -p /tmp/m && mount -t tmpfs none /tmp/m'
try passwd-helper passwd -d root
try chsh-helper chsh -s /bin/sh root
try newgrp-helper newgrp root
find / -xdev -perm -4000 -type f 2>/dev/null | sed 's/^/setuid helper /'
grep -E '^(NoNewPrivs|CapEff|CapPrm|CapBnd):' /proc/self/status
echo "uid $(id -u)"
