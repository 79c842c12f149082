"""A paced OpenAI-compatible model server for the time-to-first-token benchmark.

Usage: paced_model.py PORT ANSWER_SECONDS [PROCESSES] (PORT 0: any free port). Every Chat Completions request is
answered at once with its first chunk, then the rest of the answer is paced so that it ends
ANSWER_SECONDS after the request (HTTP/1.1, chunked, keep-alive). PROCESSES processes share
the port (SO_REUSEPORT), so the server itself does not queue 500 answers on one event loop.
Prints `listening PORT` once every process listens.

With TTFT_TRACE=PATH each process appends, per request, `tag received first_written` (the
stream id the client put first in its input; CLOCK_MONOTONIC seconds, comparable with the
clients' `ttft_clients.py` trace) to PATH.PID, so a burst's time can be split into the way in
(client to model), the model, and the way out (model to client).
"""
import asyncio
import json
import os
import socket
import sys
import time

TRACE = os.environ.get("TTFT_TRACE")

FIRST = "Hello from the paced model. "
REST = ["It ", "takes ", "its ", "time ", "to ", "answer, ", "like ", "a ", "real ", "model."]


def sse(content=None, finish=None):
    delta = {"content": content} if content is not None else {}
    return "data: " + json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n"


def chunk(text):
    data = text.encode()
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def handle(reader, writer, seconds):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length)
            received = time.monotonic()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                + chunk(sse(FIRST))
            )
            if TRACE:
                written = time.monotonic()
                messages = json.loads(body)["messages"]
                tag = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "?").split()[0]
                with open(f"{TRACE}.{os.getpid()}", "a") as trace:
                    trace.write(f"{tag} {received:.6f} {written:.6f}\n")
            await writer.drain()
            for piece in REST:
                await asyncio.sleep(seconds / len(REST))
                writer.write(chunk(sse(piece)))
                await writer.drain()
            writer.write(chunk(sse(finish="stop") + "data: [DONE]\n\n") + b"0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(sock, seconds):
    server = await asyncio.start_server(lambda r, w: handle(r, w, seconds), sock=sock)
    async with server:
        await server.serve_forever()


def main():
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    sockets = []
    for _ in range(processes):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        port = sock.getsockname()[1]  # the others share the first one's port
        sock.listen(1024)
        sockets.append(sock)
    for sock in sockets[1:]:
        if os.fork() == 0:
            asyncio.run(serve(sock, seconds))
            return
    print(f"listening {sockets[0].getsockname()[1]}", flush=True)
    asyncio.run(serve(sockets[0], seconds))


if __name__ == "__main__":
    main()
