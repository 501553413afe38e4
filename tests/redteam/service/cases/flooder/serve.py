"""Case 33: a service that answers and floods stdout without end."""
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"0")

    def log_message(self, *args):
        pass


def flood():
    while True:
        sys.stdout.write("flood " * 1000)


threading.Thread(target=flood, daemon=True).start()
HTTPServer(("127.0.0.1", 8000), Handler).serve_forever()
