# Case 9: resolves and fetches public names; the phase itself goes on and passes.
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name ok"; else echo "$name REFUSED"; fi; }
try dns python3 -c "import socket; socket.getaddrinfo('deb.debian.org', 80)"
try dns-ip python3 -c "import socket; socket.create_connection(('8.8.8.8', 53), timeout=2)"
try egress python3 -c "import socket; socket.create_connection(('1.1.1.1', 443), timeout=2)"
try http python3 -c "import urllib.request; urllib.request.urlopen('http://deb.debian.org/', timeout=2)"
try pypi python3 -c "import urllib.request; urllib.request.urlopen('https://pypi.org/simple/', timeout=2)"
