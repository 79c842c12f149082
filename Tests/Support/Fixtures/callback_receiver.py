"""A webhook receiver for callback tests, independent of the Swift code under test.

Usage: callback_receiver.py SECRET LOG. Prints "PORT <n>" once it listens on 127.0.0.1.
Every POST is appended to LOG as one JSON line: path, status answered, body, delivery id,
and whether X-RAAF-Signature matched the HMAC-SHA256 of the raw body with SECRET
(computed here with Python's hmac, compared with hmac.compare_digest).

Paths: /ok answers 200; /flaky answers 500 to its first POST, then 200; /down always 503;
/slow waits 5 s; /redirect-same 307 to /ok on this host; /redirect-other 307 to /ok on
"localhost" (another host name for the same server).
"""
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET, LOG = sys.argv[1].encode(), sys.argv[2]
lock = threading.Lock()
seen = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        path = self.path
        with lock:
            seen[path] = seen.get(path, 0) + 1
            count = seen[path]
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        given = self.headers.get("X-RAAF-Signature", "")
        headers = []
        if path == "/ok":
            status = 200
        elif path == "/flaky":
            status = 500 if count == 1 else 200
        elif path == "/down":
            status = 503
        elif path == "/slow":
            time.sleep(5)
            status = 200
        elif path == "/redirect-same":
            status, headers = 307, [("Location", "/ok")]
        elif path == "/redirect-other":
            status, headers = 307, [("Location", f"http://localhost:{self.server.server_address[1]}/ok")]
        else:
            status = 404
        record = {"path": path, "status": status, "body": body.decode(), "delivery": self.headers.get("X-RAAF-Delivery"),
                  "signature_ok": hmac.compare_digest(expected, given)}
        with lock, open(LOG, "a") as log:
            log.write(json.dumps(record) + "\n")
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()
