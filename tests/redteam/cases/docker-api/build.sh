# Case 11: looks for the engine's socket and TCP ports.
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name ok"; else echo "$name REFUSED"; fi; }
try var-run-sock test -e /var/run/docker.sock
try run-sock test -e /run/docker.sock
try any-sock sh -c 'find / -xdev -name "*.sock" 2>/dev/null | grep -q .'
for host in 127.0.0.1 172.17.0.1; do
  for port in 2375 2376; do
    try "tcp-$host-$port" python3 -c "import socket; socket.create_connection(('$host', $port), timeout=2)"
  done
done
