"""A paced OpenAI-compatible model server for the soak run: Python's stdlib only, loopback only.

POST /v1/chat/completions with `"stream": true` answers as OpenAI does: `data:` lines of
`chat.completion.chunk` objects, one token each, `--interval-ms` apart (25 ms: 40 tokens a second,
like a real model), then a finish chunk, a usage chunk and `data: [DONE]`, on a kept-alive
HTTP/1.1 connection with chunked transfer encoding. The tokens come from model_text.tokens_for
(the last user message), so every client can check the text it received.

Usage: paced_model.py [--interval-ms 25] [--counts FILE]. Prints `listening on PORT` once bound;
stops on SIGTERM or SIGINT and then writes its counts (requests, completed, aborted, tokens) to FILE.
"""
import argparse
import asyncio
import json
import signal
import time

import model_text

MAX_BODY = 4 << 20


class Counts:
    def __init__(self):
        self.requests = 0
        self.completed = 0
        self.aborted = 0
        self.tokens = 0
        self.refused = 0


async def read_request(reader):
    """One HTTP/1.1 request: (method, path, headers, body), or None at the end of the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    request_line, *lines = head.decode("latin-1").split("\r\n")
    method, path, _ = request_line.split(" ", 2)
    headers = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
            if len(body) > MAX_BODY:
                raise ValueError("request body too large")
    else:
        length = int(headers.get("content-length", "0"))
        if length > MAX_BODY:
            raise ValueError("request body too large")
        body = await reader.readexactly(length) if length else b""
    return method, path, headers, body


def last_user_text(request):
    for message in reversed(request.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
            return content or ""
    return ""


def chunk_line(completion_id, model, delta, finish=None, usage=None):
    chunk = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [] if usage else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    if usage:
        chunk["usage"] = usage
    return "data: " + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")) + "\n\n"


def http_chunk(text):
    data = text.encode()
    return b"%x\r\n" % len(data) + data + b"\r\n"


async def respond_plain(writer, status, body):
    data = json.dumps(body).encode()
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data
    )
    await writer.drain()


async def stream_completion(writer, request, interval, counts, serial):
    """Writes the paced answer; returns False when the client went away mid-answer."""
    model = request.get("model") or "soak-model"
    completion_id = f"chatcmpl-soak-{serial}"
    pieces = model_text.tokens_for(last_user_text(request))
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    writer.write(http_chunk(chunk_line(completion_id, model, {"role": "assistant", "content": ""})))
    await writer.drain()
    started = time.monotonic()
    for index, piece in enumerate(pieces):
        # An absolute schedule: a late token does not delay the ones after it.
        delay = started + (index + 1) * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        writer.write(http_chunk(chunk_line(completion_id, model, {"content": piece})))
        await writer.drain()
        counts.tokens += 1
    prompt_tokens = sum(len(str(m.get("content") or "").split()) for m in request.get("messages") or [])
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(pieces), "total_tokens": prompt_tokens + len(pieces)}
    writer.write(http_chunk(chunk_line(completion_id, model, {}, finish="stop")))
    if (request.get("stream_options") or {}).get("include_usage"):
        writer.write(http_chunk(chunk_line(completion_id, model, None, usage=usage)))
    writer.write(http_chunk("data: [DONE]\n\n") + b"0\r\n\r\n")
    await writer.drain()


def serve(interval, counts):
    serial = 0

    async def handle(reader, writer):
        nonlocal serial
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    break
                method, path, _, body = request
                counts.requests += 1
                if method != "POST" or not path.endswith("/chat/completions"):
                    counts.refused += 1
                    await respond_plain(writer, "404 Not Found", {"error": {"message": f"no route {method} {path}"}})
                    continue
                payload = json.loads(body or b"{}")
                if not payload.get("stream"):
                    counts.refused += 1
                    await respond_plain(writer, "400 Bad Request", {"error": {"message": "only stream=true is served"}})
                    continue
                serial += 1
                await stream_completion(writer, payload, interval, counts, serial)
                counts.completed += 1
        except (ConnectionError, asyncio.IncompleteReadError):
            counts.aborted += 1
        except (ValueError, json.JSONDecodeError):
            counts.refused += 1
        except asyncio.CancelledError:
            counts.aborted += 1  # the model is stopping: the answer in progress ends here
        finally:
            writer.close()

    return handle


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval-ms", type=float, default=25)
    parser.add_argument("--counts")
    options = parser.parse_args()
    counts = Counts()
    server = await asyncio.start_server(serve(options.interval_ms / 1000, counts), "127.0.0.1", 0, backlog=512)
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(number, stop.set)
    async with server:
        await stop.wait()
    if options.counts:
        with open(options.counts, "w") as file:
            json.dump(vars(counts), file)


if __name__ == "__main__":
    asyncio.run(main())
