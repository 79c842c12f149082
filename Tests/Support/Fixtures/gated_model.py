"""A gated OpenAI-compatible model server for tests: it streams a Chat Completions answer of
TOKENS tokens ("t1 ", "t2 ", ...), but token k only once the file CONTROL holds a number >= k.
The test writes the count of released tokens to CONTROL and watches what its client prints,
so it can assert that each token reached the client before the next one was released.

Usage: gated_model.py CONTROL TOKENS. Prints "PORT <n>" once it listens on 127.0.0.1.
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTROL, TOKENS = sys.argv[1], int(sys.argv[2])


def released():
    try:
        with open(CONTROL) as control:
            return int(control.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def chunk(delta, finish=None):
    body = {"id": "chatcmpl-gated", "object": "chat.completion.chunk", "created": 0, "model": "gated",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_chunk(self, data):
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.send_chunk(chunk({"role": "assistant", "content": ""}))
        deadline = time.monotonic() + 120
        for index in range(1, TOKENS + 1):
            while released() < index:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.002)
            self.send_chunk(chunk({"content": f"t{index} "}))
        self.send_chunk(chunk({}, "stop"))
        self.send_chunk(b"data: [DONE]\n\n")
        self.send_chunk(b"")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()
