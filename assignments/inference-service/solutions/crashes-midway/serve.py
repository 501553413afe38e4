"""The prediction service: the standard library's threaded HTTP server, a model loaded once."""
import json
import pickle
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open("model.pkl", "rb") as f:
    saved = pickle.load(f)
MODEL, COLUMNS = saved["model"], saved["columns"]
DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
SERVED = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"ok": True})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/predict":
            return self.reply(404, {"error": "not found"})
        try:
            features = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            row = [[float(features[c]) for c in COLUMNS]]
        except (ValueError, KeyError, TypeError) as e:
            return self.reply(400, {"error": f"bad request: {e}"})
        global SERVED
        SERVED += 1
        if SERVED > 40:
            # Known bad: a leak-like failure; the process dies after 40 answers.
            import os

            os._exit(1)
        self.reply(200, {"label": int(MODEL.predict(row)[0])})

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
