# Case 10: connects to the listener the test opened on the host, at every address in
# targets.txt (written by the test: 127.0.0.1, the bridge gateway, the host's addresses).
while read -r host port; do
  if python3 -c "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)" "$host" "$port" >/dev/null 2>&1; then
    echo "$host:$port ok"
  else
    echo "$host:$port REFUSED"
  fi
done < targets.txt
