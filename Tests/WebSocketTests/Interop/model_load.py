"""Many agent streams at once through `serve`, in front of a gated OpenAI-compatible model.

The model server (HTTP/1.1, keep-alive, Chat Completions streaming) holds every answer until
GATE requests are open at once (or GATE_TIMEOUT passed), then sends each answer's first chunk
(FIRST_SPACING apart); so whether the server runs that many model requests at once decides
the result, not timing. It then waits for the
test's signal `release` (in $INTEROP_CONTROL) and streams the rest of each answer, paced.

The clients are Python `websockets` connections, one agent stream each; the input names the
stream (`loadPID-N`), so the model knows whose answer it writes. For each stream the scenario
records when the model wrote the first byte of its answer and when the client received its
first `response_chunk`, on the same clock.
"""
import asyncio
import json
import os
import time

from common import connect, receive, send, signal, wait_signal

# The first chunk of every answer, longer than the test's STREAMING_CHUNK_SIZE, so the server's
# re-chunking passes it on at once.
FIRST = "Hello from the gated model. "
REST = ["It ", "streams ", "its ", "answer ", "slowly."]
# How long the gate waits for GATE requests at once before it gives up and opens.
GATE_TIMEOUT = 30
# Once the gate is open, the answers' first chunks go out this far apart (in seconds), in the
# order the requests came: a model server does not start hundreds of answers in the same
# millisecond, and a burst of all of them at once would measure how fast this one Python
# process and a debug build of the server get through it, not how long any answer waited.
FIRST_SPACING = 0.002


def sse(content=None, finish=None):
    delta = {"content": content} if content is not None else {}
    chunk = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n"


def http_chunk(text):
    data = text.encode()
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class GatedModel:
    def __init__(self, gate, pace):
        self.gate_count = gate
        self.pace = pace
        self.open = 0
        self.max_open = 0
        self.requests = 0
        self.connections = 0
        self.gate = asyncio.Event()
        self.opened_with = 0  # requests open when the gate opened
        self.released = asyncio.Event()
        self.first_sent = 0
        self.first_byte = {}  # stream tag -> time the answer's first byte was written

    async def handle(self, reader, writer):
        self.connections += 1
        try:
            while True:  # keep-alive: several requests per connection
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                body = json.loads(await reader.readexactly(length))
                await self.answer(body, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def answer(self, body, writer):
        tag = next(
            (m["content"] for m in reversed(body["messages"]) if m.get("role") == "user"), "?"
        ).split()[0]
        position = self.requests
        self.requests += 1
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        if self.open >= self.gate_count and not self.gate.is_set():
            self.opened_with = self.open
            self.gate.set()
        try:
            try:
                await asyncio.wait_for(self.gate.wait(), GATE_TIMEOUT)
            except asyncio.TimeoutError:
                # Fewer requests than GATE ever came at once: answer those, so the test
                # fails on its figures instead of hanging.
                if not self.gate.is_set():
                    self.opened_with = self.open
                    self.gate.set()
            await asyncio.sleep(position * FIRST_SPACING)
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                + http_chunk(sse(FIRST))
            )
            self.first_byte[tag] = time.monotonic()
            await writer.drain()
            self.first_sent += 1
            if self.first_sent == self.opened_with:
                signal("streaming")
            await self.released.wait()
            for piece in REST:
                await asyncio.sleep(self.pace)
                writer.write(http_chunk(sse(piece)))
                await writer.drain()
            writer.write(http_chunk(sse(finish="stop") + "data: [DONE]\n\n") + b"0\r\n\r\n")
            await writer.drain()
        finally:
            self.open -= 1


async def stream_once(url, tag, first_chunk=None):
    """One agent stream named TAG (its input starts with the tag) through the server at URL, on
    a connection of its own; returns its end frame (`complete` or `error`). Notes in
    FIRST_CHUNK[tag], when given, when its first `response_chunk` came."""
    ws, _ = await connect(url)
    try:
        await send(ws, {"type": "agent_stream", "id": tag, "agent": "assistant", "input": f"{tag} says hello"})
        while True:
            frame = await receive(ws, timeout=120)
            if frame.get("id") != tag:
                continue
            if first_chunk is not None and frame["type"] == "response_chunk" and tag not in first_chunk:
                first_chunk[tag] = time.monotonic()
            if frame["type"] in ("complete", "error"):
                return frame
    finally:
        await ws.close()


async def client(url, run, index, first_chunk, ends):
    tag = f"{run}-{index}"
    ends[tag] = await stream_once(url, tag, first_chunk)


async def release_when_told(model):
    await wait_signal("release", timeout=120)
    model.released.set()


async def gated_model_streams(url, model_port, count, gate, pace="0.3", second_round="0"):
    """COUNT streams through the server at URL; the model listens on MODEL_PORT and opens its
    gate at GATE requests in flight. Then SECOND_ROUND more streams, once the first have ended
    (on connections kept alive, if the server keeps them). Prints the findings as one JSON line."""
    count, gate, second_round = int(count), int(gate), int(second_round)
    model = GatedModel(gate, float(pace))
    server = await asyncio.start_server(model.handle, "127.0.0.1", int(model_port), backlog=1024)
    releaser = asyncio.create_task(release_when_told(model))
    first_chunk, ends = {}, {}
    try:
        run = f"load{os.getpid()}"  # stream ids of their own, should the server be shared
        await asyncio.gather(*(client(url, run, i, first_chunk, ends) for i in range(count)))
        connections_after_first_round = model.connections
        second_ends = {}
        await asyncio.gather(*(client(url, run + "b", i, {}, second_ends) for i in range(second_round)))
    finally:
        releaser.cancel()
        server.close()
    delays = sorted(first_chunk[tag] - model.first_byte[tag] for tag in first_chunk if tag in model.first_byte)
    return {
        "max_in_flight": model.max_open,
        "model_requests": model.requests,
        "model_connections": model.connections,
        "model_connections_after_first_round": connections_after_first_round,
        "second_round_completed": sum(1 for end in second_ends.values() if end["type"] == "complete"),
        "gate_opened": model.gate.is_set(),
        "completed": sum(1 for end in ends.values() if end["type"] == "complete"),
        "error_codes": sorted(end["code"] for end in ends.values() if end["type"] == "error"),
        "first_chunks": len(delays),
        "max_first_chunk_delay_ms": round(delays[-1] * 1000, 1) if delays else None,
        "median_first_chunk_delay_ms": round(delays[len(delays) // 2] * 1000, 1) if delays else None,
        "texts_ok": all(
            end.get("content") == FIRST + "".join(REST) for end in ends.values() if end["type"] == "complete"
        ),
    }


SCENARIOS = {"gated_model_streams": gated_model_streams}
