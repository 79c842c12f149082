"""The reference server for the fan-out benchmark: Python's websockets (asyncio) speaking
the subset of RAAFStreaming's protocol the benchmark uses (subscribe, publish), broadcasting
with `websockets.broadcast`, as a Python developer would write it."""
import asyncio
import json
import sys

import websockets

channels = {}


async def handler(ws):
    try:
        async for text in ws:
            message = json.loads(text)
            kind = message.get("type")
            if kind == "subscribe":
                channels.setdefault(message["channel"], set()).add(ws)
                await ws.send(json.dumps({"type": "subscribed", "channel": message["channel"]}))
            elif kind == "publish":
                frame = json.dumps({"type": "message", "channel": message["channel"], "data": message["data"], "from": str(id(ws))})
                websockets.broadcast(channels.get(message["channel"], ()), frame)
    finally:
        for members in channels.values():
            members.discard(ws)


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, compression=None, ping_interval=None, max_queue=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        await asyncio.Future()


asyncio.run(main())
