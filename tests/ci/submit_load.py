"""Survey submissions under load, for the fault scripts in tests/ci.

Each token is one student; each student submits once, with an Idempotency-Key of its own.
A submission that gets no answer (connection refused or reset while the server or database is
down) is retried with the same key until --until seconds have passed; a 503 is retried too.
Writes a JSON summary: every status seen, the students acknowledged (201), the requests that
hung past the client timeout, and the replays of acknowledged submissions.

    python3 submit_load.py --base URL --window ID --tokens FILE --items FILE \
        --seconds 25 --threads 8 --pace 0.05 --out summary.json
"""
import argparse
import http.client
import json
import random
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlparse

parser = argparse.ArgumentParser()
parser.add_argument("--base", required=True)
parser.add_argument("--window", required=True)
parser.add_argument("--tokens", required=True)
parser.add_argument("--items", required=True)
parser.add_argument("--seconds", type=float, default=25)
parser.add_argument("--threads", type=int, default=8)
parser.add_argument("--timeout", type=float, default=15)
parser.add_argument("--replays", type=int, default=50)
parser.add_argument("--pace", type=float, default=0.05, help="seconds each thread waits between students")
parser.add_argument("--out", required=True)
args = parser.parse_args()

url = urlparse(args.base)
tokens = [line.strip() for line in open(args.tokens) if line.strip()]
items = []
for line in open(args.items):
    item_id, values = line.split()
    items.append((item_id, [int(v) for v in values.split(",")]))

lock = threading.Lock()
statuses = Counter()
acknowledged = {}  # token index -> idempotency key
problems_503 = 0
hangs = 0
next_student = 0
deadline = time.monotonic() + args.seconds
rng = random.Random(7)
sheets = [
    json.dumps({"answers": [{"item_id": i, "value": rng.choice(v)} for i, v in items]})
    for _ in range(200)
]


def post(token, key, body):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=args.timeout)
    try:
        conn.request(
            "POST",
            f"/api/v1/survey-windows/{args.window}/responses",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        conn.close()


def worker():
    global next_student, problems_503, hangs
    while time.monotonic() < deadline:
        with lock:
            if next_student >= len(tokens):
                return
            index = next_student
            next_student += 1
        key = str(uuid.uuid4())
        body = sheets[index % len(sheets)]
        while time.monotonic() < deadline:
            try:
                status, content_type, _ = post(tokens[index], key, body)
            except TimeoutError:
                with lock:
                    hangs += 1
                    statuses["timeout"] += 1
                continue
            except (ConnectionError, OSError):
                with lock:
                    statuses["no answer"] += 1
                time.sleep(0.2)
                continue
            with lock:
                statuses[str(status)] += 1
                if status == 503 and content_type == "application/problem+json":
                    problems_503 += 1
            if status == 201:
                with lock:
                    acknowledged[index] = key
                break
            if status == 503:
                time.sleep(0.2)
                continue
            break
        time.sleep(args.pace)


threads = [threading.Thread(target=worker) for _ in range(args.threads)]
for t in threads:
    t.start()
for t in threads:
    t.join()

# Retries of acknowledged submissions with their key are answered as the original was.
replayed = Counter()
for index, key in list(acknowledged.items())[: args.replays]:
    status, _, _ = post(tokens[index], key, sheets[index % len(sheets)])
    replayed[str(status)] += 1

json.dump(
    {
        "statuses": statuses,
        "acknowledged": len(acknowledged),
        "problem_503": problems_503,
        "hangs": hangs,
        "replays": replayed,
    },
    open(args.out, "w"),
    indent=1,
)
print(json.dumps({"statuses": statuses, "acknowledged": len(acknowledged), "replays": replayed}))
