"""Connections that come and go: each subscribes to a few channels, publishes and pings for a few
seconds, then ends one of four ways. Clean (a close handshake, echoed 1000), reset (RST, no close
frame), dropped (FIN, no close frame), or silent: a raw client that reads but never answers a ping,
which the server's heartbeat must close with 1002 within three intervals."""
import asyncio
import json

import websockets

import worker
from wire import Mismatch, RawWebSocket, connect, cut, expect, send, ws_url

CHANNELS = [f"soak-{index}" for index in range(8)]
ENDINGS = ["clean", "reset", "drop", "silent"]
WEIGHTS = [55, 15, 15, 15]


async def read_frames(ws, seen):
    """Counts the frames a `websockets` client receives until its connection ends."""
    try:
        async for raw in ws:
            frame = json.loads(raw)
            seen[frame.get("type")] = seen.get(frame.get("type"), 0) + 1
            if frame.get("type") == "error":
                raise Mismatch(f"error frame {frame}")
    except websockets.exceptions.ConnectionClosed:
        pass


async def talk(context, ws, hello, life):
    """Subscribes, then publishes or pings now and then for `life` seconds; returns frame counts."""
    rng = context.rng
    seen = {}
    reader = asyncio.create_task(read_frames(ws, seen))
    channels = rng.sample(CHANNELS, rng.randint(1, 3))
    for channel in channels:
        await send(ws, {"type": "subscribe", "channel": channel})
    ends = asyncio.get_running_loop().time() + life
    count = 0
    while asyncio.get_running_loop().time() < ends and not reader.done():
        await asyncio.sleep(rng.uniform(0.3, 1.5))
        count += 1
        if rng.random() < 0.5:
            await send(ws, {"type": "publish", "channel": rng.choice(channels), "data": {"churn": hello["client_id"], "n": count}})
            context.tally.count("published")
        else:
            await send(ws, {"type": "ping"})
    return reader, seen, len(channels)


async def silent(context):
    """A client that stops answering pings: the heartbeat closes it with 1002."""
    raw = await RawWebSocket.connect(ws_url(context.url))
    hello = await raw.recv_json()
    expect(hello.get("type") == "connected", f"first frame {hello}")
    await raw.send_json({"type": "subscribe", "channel": context.rng.choice(CHANNELS)})
    context.tally.count("opened")
    # Three intervals, the close timeout, and slack for a loaded machine.
    limit = 3 * context.heartbeat + 15
    started = asyncio.get_running_loop().time()
    while True:
        kind, value = await raw.recv_event(timeout=limit)
        if kind == "close":
            break
        if kind == "ping":
            context.tally.count("pings_unanswered")
    code, reason = value
    expect(code == 1002, f"a silent client was closed with {code} {reason!r}")
    await asyncio.wait_for(raw.reader.read(), 15)  # and then the server ends the TCP connection
    raw.writer.close()
    context.tally.count("silent_reaped")
    context.tally.count("silent_seconds_total", round(asyncio.get_running_loop().time() - started))


async def session(context, slot):
    ending = context.rng.choices(ENDINGS, WEIGHTS)[0]
    if ending == "silent":
        await silent(context)
        return
    ws, hello = await connect(ws_url(context.url))
    context.tally.count("opened")
    reader, seen, subscribed = await talk(context, ws, hello, context.rng.uniform(2, 10))
    if reader.done():
        reader.result()  # an error frame raises here
        raise websockets.exceptions.ConnectionClosedError(ws.protocol.close_rcvd, ws.protocol.close_sent)
    expect(seen.get("subscribed", 0) == subscribed, f"{seen.get('subscribed')} of {subscribed} subscriptions answered")
    if ending == "clean":
        await asyncio.wait_for(ws.close(), 15)
        expect(ws.close_code == 1000, f"a clean close was answered with {ws.close_code}")
    elif ending == "reset":
        cut(ws)
    else:
        ws.transport.close()  # FIN without a close frame
    reader.cancel()
    context.tally.count(ending)
    context.tally.count("messages_received", seen.get("message", 0))


if __name__ == "__main__":
    worker.main("churn", session, concurrency=40)
