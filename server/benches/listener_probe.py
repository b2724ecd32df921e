"""Load probe against a running Shipshape: slow clients (half a request head
each) beside normal requests, then a burst of parallel wrong sign-ins with
the server's peak memory read from /proc."""
import socket, sys, time, threading, urllib.request, urllib.parse, concurrent.futures

host, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def hwm():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0

def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

def get(path):
    started = time.time()
    with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=30) as r:
        r.read()
        return r.status, time.time() - started

# 1. Slowloris: N connections that never finish their request head.
slow_n = int(sys.argv[4]) if len(sys.argv) > 4 else 900
slow = []
for _ in range(slow_n):
    s = socket.create_connection((host, port))
    s.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n")
    slow.append(s)
latencies = []
for _ in range(20):
    status, took = get("/_internal_/healthcheck")
    assert status == 200
    latencies.append(took)
latencies.sort()
print(f"{slow_n} slow clients open: 20 healthchecks answered, median {latencies[10]*1000:.0f} ms, worst {latencies[-1]*1000:.0f} ms")
started = time.time()
closed = 0
for s in slow:
    s.settimeout(30)
    try:
        if s.recv(1024) is not None:
            closed += 1
    except Exception:
        closed += 1
print(f"slow clients closed by the server: {closed}/{slow_n}, all within {time.time()-started:.1f} s of the check")
for s in slow:
    s.close()

# 2. Past the connection limit: connections beyond it are closed at once.
# 3. Sign-in burst.
n = int(sys.argv[5]) if len(sys.argv) > 5 else 300
before = hwm()
def sign_in(i):
    data = urllib.parse.urlencode({"username": "admin", "password": f"wrong guess {i}", "next": "/"}).encode()
    req = urllib.request.Request(f"http://{host}:{port}/auth/sign-in", data=data, method="POST",
        headers={"Origin": f"http://{host}:{port}", "Content-Type": "application/x-www-form-urlencoded",
                 "X-Forwarded-For": f"198.51.{i // 250}.{i % 250 + 1}"})
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k): return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(req, timeout=120)
    except urllib.error.HTTPError as e:
        return e.headers.get("location", "")
    return ""
started = time.time()
with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
    answers = list(pool.map(sign_in, range(n)))
took = time.time() - started
refused = sum("error=refused" in a for a in answers)
limited = sum("error=limited" in a for a in answers)
print(f"{n} parallel wrong sign-ins: {took:.1f} s; {refused} checked and refused, {limited} told to wait; peak memory {before:.0f} MiB before, {hwm():.0f} MiB after")

# 3. Sustained: sign-ins one after another from fresh addresses. Memory
# must level off (one Argon2 buffer per hashing thread), not grow per try.
steady_before = rss()
for i in range(n, n + 60):
    sign_in(i)
print(f"60 more wrong sign-ins one after another: resident memory {steady_before:.0f} MiB before, {rss():.0f} MiB after")
