"""Interop scenarios for RAAFStreaming's WebSocket server, driven by Python's `websockets`.

Usage: interop.py SCENARIO URL [ARGS...]. Each scenario checks the server's answers and
exits 0, printing its findings on stdout; on a mismatch it prints why and exits 1.
The Swift tests (Tests/WebSocketTests) start the server and run these.
"""
import asyncio
import json
import sys

import websockets


class Mismatch(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Mismatch(message)


async def receive(ws, timeout=10):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def receive_type(ws, wanted, timeout=10):
    """Receives frames until one of type `wanted` arrives; returns it."""
    while True:
        frame = await receive(ws, timeout)
        if frame.get("type") == wanted:
            return frame


async def connect(url, **kwargs):
    ws = await websockets.connect(url, **kwargs)
    hello = await receive(ws)
    expect(hello["type"] == "connected", f"first frame is {hello}")
    return ws, hello["client_id"]


async def pubsub(url):
    a, a_id = await connect(url)
    b, b_id = await connect(url)
    for ws in (a, b):
        await ws.send(json.dumps({"type": "subscribe", "channel": "news"}))
        reply = await receive(ws)
        expect(reply == {"type": "subscribed", "channel": "news"}, f"subscribe reply {reply}")
    data = {"headline": "hello", "n": 1, "tags": ["a", "b"], "nested": {"ok": True}}
    await a.send(json.dumps({"type": "publish", "channel": "news", "data": data}))
    for ws in (a, b):
        message = await receive(ws)
        expect(message == {"type": "message", "channel": "news", "data": data, "from": a_id}, f"message {message}")
    await b.send(json.dumps({"type": "unsubscribe", "channel": "news"}))
    expect(await receive(b) == {"type": "unsubscribed", "channel": "news"}, "unsubscribe reply")
    await a.send(json.dumps({"type": "publish", "channel": "news", "data": 2}))
    expect((await receive(a))["data"] == 2, "publisher still subscribed")
    await b.send(json.dumps({"type": "ping"}))
    expect(await receive(b) == {"type": "pong"}, "b gets pong, not the publish it left")
    await a.close()
    await b.close()
    print("OK")


async def agent(url, agent_name="assistant", text="Tell me about streaming."):
    ws, _ = await connect(url)
    await ws.send(json.dumps({"type": "agent_stream", "id": "py-1", "agent": agent_name, "input": text}))
    content, seq = [], 0
    while True:
        frame = await receive(ws)
        expect(frame.get("id") == "py-1", f"frame without the stream id: {frame}")
        seq += 1
        expect(frame.get("seq") == seq, f"seq {frame.get('seq')} where {seq} was due")
        if frame["type"] == "response_chunk":
            content.append(frame["content"])
        elif frame["type"] == "complete":
            break
        elif frame["type"] == "error":
            raise Mismatch(f"stream failed: {frame}")
    await ws.close()
    sys.stdout.write("".join(content))


SCENARIOS = {"pubsub": pubsub, "agent": agent}


def main():
    scenario, url, *arguments = sys.argv[1:]
    try:
        asyncio.run(SCENARIOS[scenario](url, *arguments))
    except Mismatch as error:
        print(f"MISMATCH: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
