# Known bad: listens on the wrong port, so the client never reaches it.
exec python3 serve.py 8001
