"""Time to first token through `serve`, seen by N WebSocket clients that start at once.

Usage: ttft_clients.py WS_URL STREAMS [PROCESSES]. Each client process opens its share of the
connections (one agent stream each), waits until every process is connected, then all send
`agent_stream` at the same moment. A stream's time to first token is from its send to its
first `response_chunk`. Prints one JSON line: p50, p99 and max in milliseconds, and how many
streams completed or ended with which error code. With TTFT_TRACE=PATH it also writes
`tag sent first_received` per stream (CLOCK_MONOTONIC seconds) to PATH.clients.
"""
import asyncio
import json
import multiprocessing
import os
import sys
import time

import websockets


async def one(ws, tag, start):
    await start.wait()
    sent = time.monotonic()
    await ws.send(json.dumps({"type": "agent_stream", "id": tag, "agent": "assistant", "input": f"{tag} hello"}))
    first = None
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 120))
        if frame.get("id") != tag:
            continue
        if frame["type"] == "response_chunk" and first is None:
            first = time.monotonic() - sent
        if frame["type"] in ("complete", "error"):
            return first, frame["type"] if frame["type"] == "complete" else frame.get("code"), (tag, sent)


async def share(url, tags, ready, go):
    connections = []
    for tag in tags:
        ws = await websockets.connect(url, proxy=None, open_timeout=30, max_queue=None)
        json.loads(await ws.recv())  # `connected`
        connections.append((ws, tag))
    ready.set()
    start = asyncio.Event()
    await asyncio.get_running_loop().run_in_executor(None, go.wait)
    start.set()
    results = await asyncio.gather(*(one(ws, tag, start) for ws, tag in connections))
    for ws, _ in connections:
        await ws.close()
    return results


def worker(url, tags, ready, go, out):
    out.put(asyncio.run(share(url, tags, ready, go)))


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    url, streams = sys.argv[1], int(sys.argv[2])
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else max(1, min(4, streams // 100))
    tags = [f"b{os.getpid()}-{i}" for i in range(streams)]  # ids of their own on a shared server
    go, out = multiprocessing.Event(), multiprocessing.Queue()
    workers, readies = [], []
    for index in range(processes):
        ready = multiprocessing.Event()
        worker_process = multiprocessing.Process(target=worker, args=(url, tags[index::processes], ready, go, out))
        worker_process.start()
        workers.append(worker_process)
        readies.append(ready)
    for ready in readies:
        ready.wait()
    go.set()
    results = []
    for _ in workers:
        results.extend(out.get())
    for worker_process in workers:
        worker_process.join()
    firsts = [first * 1000 for first, _, _ in results if first is not None]
    if os.environ.get("TTFT_TRACE"):
        with open(os.environ["TTFT_TRACE"] + ".clients", "w") as trace:
            for first, _, (tag, sent) in results:
                if first is not None:
                    trace.write(f"{tag} {sent:.6f} {sent + first:.6f}\n")
    endings = {}
    for _, ending, _ in results:
        endings[ending] = endings.get(ending, 0) + 1
    print(json.dumps({
        "streams": streams,
        "first_tokens": len(firsts),
        "p50_ms": round(percentile(firsts, 50), 1) if firsts else None,
        "p99_ms": round(percentile(firsts, 99), 1) if firsts else None,
        "max_ms": round(max(firsts), 1) if firsts else None,
        "endings": endings,
    }))


if __name__ == "__main__":
    main()
