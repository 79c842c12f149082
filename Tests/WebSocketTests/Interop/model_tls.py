"""Agent streams through `serve` in front of a model server over TLS that offers HTTP/2.

The model server is Hypercorn (an independent HTTP/1.1 and HTTP/2 server, PyPI `hypercorn`)
with a small ASGI app that speaks Chat Completions streaming, on a certificate signed by a CA
made for the run (`tls_certificates`, with openssl). ALPN offers `h2` and `http/1.1`, or only
`http/1.1`. For every request the app records, from the server's side, the HTTP version it
arrived over and the TCP connection it came on (the client's address and port), so the test
can tell streams of one HTTP/2 connection from HTTP/1.1 connections, and a connection kept
alive from a new one.

Round one: COUNT streams at once. The app holds every answer until GATE requests are open at
once (or GATE_TIMEOUT passed), so the figures say how many were in flight together, not how
fast they came. Round two: SEQUENTIAL streams, each started once the one before completed.
"""
import asyncio
import contextlib
import json
import os
import subprocess
import time

from common import connect, receive, send
from model_load import sse, stream_once

FIRST = "Hello over TLS. "
REST = ["It ", "streams ", "its ", "answer."]
GATE_TIMEOUT = 30


def tls_certificates(directory):
    """Writes ca.pem (a CA made for this run), server.pem and server.key (127.0.0.1, signed by
    that CA) into DIRECTORY, with openssl."""
    os.makedirs(directory, exist_ok=True)

    def path(name):
        return os.path.join(directory, name)

    def openssl(*arguments):
        subprocess.run(["openssl", *arguments], check=True, capture_output=True)

    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=RAAFStreaming test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )
    openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=127.0.0.1",
    )
    with open(path("server.ext"), "w") as extensions:
        extensions.write(
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
            "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        )
    openssl(
        "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
        "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile", path("server.ext"),
    )
    return "OK"


class TLSModel:
    """The ASGI app: Chat Completions streaming, recording each request's HTTP version and
    TCP connection."""

    def __init__(self, gate, pace=0.01):
        self.gate_count = gate
        self.pace = pace  # seconds between an answer's pieces after the first
        self.disconnects = 0  # answers whose stream the client reset before their end
        self.gate = asyncio.Event()
        self.open = 0
        self.max_open = 0
        self.requests = []  # (http_version, "host:port" of the client's side of the connection)
        self.max_open_per_connection = {}
        self.open_per_connection = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        json.loads(body)  # a Chat Completions request
        connection = "%s:%d" % tuple(scope["client"])
        self.requests.append((scope["http_version"], connection))
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        open_here = self.open_per_connection.get(connection, 0) + 1
        self.open_per_connection[connection] = open_here
        self.max_open_per_connection[connection] = max(self.max_open_per_connection.get(connection, 0), open_here)
        if self.open >= self.gate_count:
            self.gate.set()
        try:
            try:
                await asyncio.wait_for(self.gate.wait(), GATE_TIMEOUT)
            except asyncio.TimeoutError:
                self.gate.set()  # fewer came at once: answer them, so the figures say so
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
            await send({"type": "http.response.body", "body": sse(FIRST).encode(), "more_body": True})
            disconnect = asyncio.ensure_future(receive())  # http.disconnect once the client resets
            try:
                for piece in REST:
                    await asyncio.wait([disconnect], timeout=self.pace)
                    if disconnect.done():
                        self.disconnects += 1
                        return
                    await send({"type": "http.response.body", "body": sse(piece).encode(), "more_body": True})
                await send({"type": "http.response.body", "body": (sse(finish="stop") + "data: [DONE]\n\n").encode(), "more_body": False})
            finally:
                disconnect.cancel()
        finally:
            self.open -= 1
            self.open_per_connection[connection] -= 1


@contextlib.asynccontextmanager
async def model_server(model, model_port, cert_dir, **settings):
    """Hypercorn serving MODEL on 127.0.0.1:MODEL_PORT over TLS, with the certificate in
    CERT_DIR and SETTINGS (attributes of Hypercorn's Config) on top; stopped on exit."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{int(model_port)}"]
    config.certfile = os.path.join(cert_dir, "server.pem")
    config.keyfile = os.path.join(cert_dir, "server.key")
    config.keep_alive_timeout = 120
    config.accesslog = None
    config.errorlog = None
    for name, value in settings.items():
        setattr(config, name, value)
    stop = asyncio.Event()
    server = asyncio.create_task(serve(model, config, shutdown_trigger=stop.wait))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(server, 10)


def summary(requests, ends):
    return {
        "requests": len(requests),
        "http_versions": sorted({version for version, _ in requests}),
        "connections": sorted({connection for _, connection in requests}),
        "completed": sum(1 for end in ends if end["type"] == "complete"),
        "error_codes": sorted(end["code"] for end in ends if end["type"] == "error"),
        "errors": sorted({end["message"] for end in ends if end["type"] == "error"})[:3],
        "texts_ok": all(end.get("content") == FIRST + "".join(REST) for end in ends if end["type"] == "complete"),
    }


async def tls_model_streams(url, model_port, cert_dir, alpn, count, sequential, max_streams="100", gate=None):
    """COUNT streams at once through the server at URL, then SEQUENTIAL streams one after
    another; the model server listens on MODEL_PORT over TLS with the certificate in CERT_DIR,
    offering ALPN `h2` and `http/1.1` (ALPN "h2") or `http/1.1` only (ALPN "http1"), at most
    MAX_STREAMS streams per HTTP/2 connection. Prints the server's view as one JSON line."""
    count, sequential = int(count), int(sequential)
    model = TLSModel(int(gate) if gate else count)
    async with model_server(
        model, model_port, cert_dir, alpn_protocols=["h2", "http/1.1"] if alpn == "h2" else ["http/1.1"],
        h2_max_concurrent_streams=int(max_streams), backlog=1024,
    ):
        run = f"tls{os.getpid()}"
        started = time.monotonic()
        first = await asyncio.gather(*(stream_once(url, f"{run}-{i}") for i in range(count)))
        first_seconds = time.monotonic() - started
        first_requests = list(model.requests)
        second = []
        for i in range(sequential):
            second.append(await stream_once(url, f"{run}b-{i}"))
        second_requests = model.requests[len(first_requests):]
    one, two = summary(first_requests, first), summary(second_requests, second)
    one["max_in_flight"] = model.max_open
    one["max_in_flight_per_connection"] = max(model.max_open_per_connection.values(), default=0)
    one["seconds"] = round(first_seconds, 2)
    two["new_connections"] = sorted(set(two["connections"]) - set(one["connections"]))
    return {"concurrent": one, "sequential": two}


async def stream_cancelled(url, tag):
    """Starts a stream, cancels it at its first chunk; returns its last frame."""
    ws, _ = await connect(url)
    try:
        await send(ws, {"type": "agent_stream", "id": tag, "agent": "assistant", "input": f"{tag} says hello"})
        while True:
            frame = await receive(ws, timeout=120)
            if frame.get("id") != tag:
                continue
            if frame["type"] == "response_chunk":
                await send(ws, {"type": "cancel", "id": tag})
            if frame["type"] in ("complete", "error"):
                return frame
    finally:
        await ws.close()


async def tls_model_cancel(url, model_port, cert_dir, count):
    """COUNT streams at once over HTTP/2 (answers of several seconds), each cancelled at its
    first chunk; once the model server has seen every stream reset, COUNT more at once, which
    run to their end. Prints the server's view of both rounds as one JSON line."""
    count = int(count)
    model = TLSModel(count, pace=2.0)
    async with model_server(model, model_port, cert_dir):
        run = f"tlscancel{os.getpid()}"
        first = await asyncio.gather(*(stream_cancelled(url, f"{run}-{i}") for i in range(count)))
        deadline = time.monotonic() + 30
        while model.disconnects < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        first_requests = list(model.requests)
        model.pace, model.gate, model.open = 0.01, asyncio.Event(), 0
        second = await asyncio.gather(*(stream_once(url, f"{run}b-{i}") for i in range(count)))
        second_requests = model.requests[len(first_requests):]
    one, two = summary(first_requests, first), summary(second_requests, second)
    one["disconnects"] = model.disconnects
    two["new_connections"] = sorted(set(two["connections"]) - set(one["connections"]))
    return {"cancelled": one, "after": two}


async def make_certificates(_url, directory):
    return tls_certificates(directory)


SCENARIOS = {
    "tls_model_streams": tls_model_streams,
    "tls_model_cancel": tls_model_cancel,
    "tls_certificates": make_certificates,
}
