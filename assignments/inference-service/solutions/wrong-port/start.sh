# Known bad: listens on port 8080, so the client never reaches it.
exec python3 serve.py 8080
