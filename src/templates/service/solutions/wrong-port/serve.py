"""A small prediction service on the standard library's HTTP server."""
import json
import pickle
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

with open("model.pkl", "rb") as f:
    model = pickle.load(f)


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply(200, {"ok": True}) if self.path == "/health" else self.reply(404, {})

    def do_POST(self):
        features = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        label = model.predict([[features["x"], features["y"]]])[0]
        self.reply(200, {"label": int(label)})

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
