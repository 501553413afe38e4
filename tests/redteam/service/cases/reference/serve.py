"""A service that answers x % 3."""
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse


def answer(x):
    return x % 3


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        x = int(parse_qs(urlparse(self.path).query)["x"][0])
        body = str(answer(x)).encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", 8000), Handler).serve_forever()
