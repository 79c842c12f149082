"""Interop scenarios for RAAFStreaming's WebSocket server, driven by independent clients:
Python's `websockets`, and a raw RFC 6455 client (rawws.py) for what `websockets` refuses to do.

Usage: interop.py SCENARIO URL [ARGS...]. Each scenario checks the server's answers and exits
0, printing its findings on stdout (text, or one line of JSON); on a mismatch it prints why
and exits 1. The Swift tests (Tests/WebSocketTests) start the server and run these; while a
scenario runs, it and the test can wait for each other through files in $INTEROP_CONTROL.

Modules: protocol_errors.py (error codes), close_codes.py (close codes, raw client),
transport.py (compression, heartbeat, limits, slow readers), streams.py (agent streams),
model_load.py (many streams through `serve` in front of a gated model server), model_tls.py (the
same over TLS and HTTP/2, with Hypercorn).
"""
import asyncio
import json
import sys

import chat
import chat_cluster
import churn
import cluster
import close_codes
import drain
import model_load
import model_tls
import protocol_errors
import streams
import transport
from common import Mismatch, connect, expect, receive, send


async def pubsub(url):
    a, hello = await connect(url)
    a_id = hello["client_id"]
    b, _ = await connect(url)
    for ws in (a, b):
        await send(ws, {"type": "subscribe", "channel": "news"})
        reply = await receive(ws)
        expect(reply == {"type": "subscribed", "channel": "news"}, f"subscribe reply {reply}")
    data = {"headline": "hello", "n": 1, "tags": ["a", "b"], "nested": {"ok": True}}
    await send(a, {"type": "publish", "channel": "news", "data": data})
    for ws in (a, b):
        message = await receive(ws)
        expect(message == {"type": "message", "channel": "news", "data": data, "from": a_id}, f"message {message}")
    await send(b, {"type": "unsubscribe", "channel": "news"})
    expect(await receive(b) == {"type": "unsubscribed", "channel": "news"}, "unsubscribe reply")
    await send(a, {"type": "publish", "channel": "news", "data": 2})
    expect((await receive(a))["data"] == 2, "publisher still subscribed")
    await send(b, {"type": "ping"})
    expect(await receive(b) == {"type": "pong"}, "b gets pong, not the publish it left")
    await a.close()
    await b.close()
    return "OK"


SCENARIOS = {"pubsub": pubsub}
for module in (protocol_errors, close_codes, transport, streams, chat, chat_cluster, churn, drain, model_load, model_tls, cluster):
    SCENARIOS.update(module.SCENARIOS)


def main():
    scenario, url, *arguments = sys.argv[1:]
    try:
        result = asyncio.run(SCENARIOS[scenario](url, *arguments))
    except (Mismatch, AssertionError) as error:
        print(f"MISMATCH: {error}")
        sys.exit(1)
    if isinstance(result, str):
        print(result)
    elif result is not None:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
