"""Steady channel traffic beside the churn: one publisher, eight messages a second round the soak
channels, and long-lived subscribers (dashboards) that must receive every one of its messages, in
order, with no `missed`, while churned connections come and go on the same channels."""
import asyncio
import json

import worker
from churn_clients import CHANNELS
from wire import Mismatch, connect, expect, receive, send, ws_url

PUBLISH_INTERVAL = 0.125


class Board:
    """The publisher's last number per channel, once it has stopped."""

    def __init__(self):
        self.subscribed = 0
        self.last = None


BOARD = Board()


async def publisher(context):
    ws, _ = await connect(ws_url(context.url))
    deadline = asyncio.get_running_loop().time() + 30
    while BOARD.subscribed < context.options.concurrency - 1:  # every subscriber listens first
        expect(asyncio.get_running_loop().time() < deadline, "the subscribers did not subscribe")
        await asyncio.sleep(0.05)
    numbers = {channel: 0 for channel in CHANNELS}
    index = 0
    while context.running:
        channel = CHANNELS[index % len(CHANNELS)]
        index += 1
        numbers[channel] += 1
        await send(ws, {"type": "publish", "channel": channel, "data": {"pub": numbers[channel]}})
        context.tally.count("published")
        await asyncio.sleep(PUBLISH_INTERVAL)
    BOARD.last = numbers
    await ws.close()
    # Stay until the load ends for every slot, so this slot does not publish again.
    while context.running:
        await asyncio.sleep(0.5)


async def subscriber(context):
    ws, _ = await connect(ws_url(context.url))
    for channel in CHANNELS:
        await send(ws, {"type": "subscribe", "channel": channel})
    subscribed = set()
    seen = {}
    while BOARD.last is None or any(seen.get(channel, 0) < last for channel, last in BOARD.last.items()):
        frame = await receive(ws, timeout=30)
        kind = frame.get("type")
        if kind == "subscribed":
            subscribed.add(frame["channel"])
            if subscribed == set(CHANNELS):
                BOARD.subscribed += 1
            continue
        if kind == "missed":
            raise Mismatch(f"a steady subscriber missed {frame['count']} messages")
        expect(kind == "message", f"unexpected frame {frame}")
        data = frame.get("data")
        if not (isinstance(data, dict) and "pub" in data):
            context.tally.count("churn_messages")
            continue
        channel, number = frame["channel"], data["pub"]
        expect(number == seen.get(channel, 0) + 1, f"{channel}: message {number} after {seen.get(channel, 0)}")
        seen[channel] = number
        context.tally.count("delivered")
    await ws.close()
    while context.running:
        await asyncio.sleep(0.5)


async def session(context, slot):
    await (publisher(context) if slot == 0 else subscriber(context))


if __name__ == "__main__":
    worker.main("pubsub", session, concurrency=5)
