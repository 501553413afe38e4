# Case 15: writes outside the writable areas.
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name ok"; else echo "$name REFUSED"; fi; }
try etc sh -c 'echo x > /etc/passwd'
try etc-new sh -c 'echo x > /etc/assay-was-here'
try usr sh -c 'echo x > /usr/bin/python3'
try usr-lib sh -c 'echo x > /usr/lib/python3/dist-packages/evil.py'
try root sh -c 'echo x > /x'
try home sh -c 'echo x > /home/candidate/x'
try var sh -c 'echo x > /var/x'
try data sh -c 'echo x > /data/train.csv'
