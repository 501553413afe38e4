"""The hidden client: asks the service for the label of 0..19 and records the answers, then
waits a moment so a hostile service has time to try to rewrite them."""
import sys
import time
import urllib.request

out = sys.argv[1]
deadline = time.time() + 10
while True:
    try:
        urllib.request.urlopen("http://127.0.0.1:8000/label?x=0", timeout=1).read()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("the service never answered")
        time.sleep(0.1)
rows = []
for x in range(20):
    try:
        answer = urllib.request.urlopen(f"http://127.0.0.1:8000/label?x={x}", timeout=2).read().decode().strip()
    except OSError as e:
        answer = "__error__"
        print(f"request {x} failed: {e}")
    rows.append(f"{x},{answer}\n")
with open(out, "w") as f:
    f.write("id,label\n" + "".join(rows))
time.sleep(1.5)
print("client done")
