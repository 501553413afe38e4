"""Case 32: answers the client 0, then tries to write the right answers where the client
records them, and to stop or kill the client first."""
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def report(name, attempt):
    try:
        attempt()
        print(f"{name} ok", flush=True)
    except OSError:
        print(f"{name} REFUSED", flush=True)


def forge():
    with open("/out/answers.csv", "w") as f:
        f.write("id,label\n" + "".join(f"{x},{x % 3}\n" for x in range(20)))


def others():
    """Processes of other users: the client, and root's."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid != os.getuid():
                found.append(int(pid))
        except OSError:
            pass
    return found


def signal_all(sig):
    hit = 0
    for pid in others():
        try:
            os.kill(pid, sig)
            hit += 1
        except OSError:
            pass
    if not hit:
        raise PermissionError("no process could be signalled")


def attack():
    time.sleep(0.5)
    report("forge-early", forge)
    report("mkdir-out", lambda: os.mkdir("/out/x"))
    report("stop-client", lambda: signal_all(signal.SIGSTOP))
    for _ in range(8):
        time.sleep(0.1)
        try:
            forge()
            print("forge-late ok", flush=True)
            return
        except OSError:
            pass
    print("forge-late REFUSED", flush=True)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"0")

    def log_message(self, *args):
        pass


threading.Thread(target=attack, daemon=True).start()
HTTPServer(("127.0.0.1", 8000), Handler).serve_forever()
