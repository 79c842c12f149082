"""Connection churn: many connections that subscribe, stream, join a room and end in each of
the three ways a real client ends (a clean close, a cut, silence until the server's heartbeat
reaps it). The Swift test then checks that the server gave back everything they held."""
import asyncio
import os

from common import connect, expect, receive_type, send
from rawws import PONG, RawWebSocket

# One room per run, so runs against the same server do not collide.
ROOM = f"churn-room-{os.getpid()}"


async def clean(url, index):
    ws, _ = await connect(url)
    await send(ws, {"type": "subscribe", "channel": "churn"})
    await receive_type(ws, "subscribed")
    await send(ws, {"type": "agent_stream", "id": f"{ROOM}-{index}", "agent": "assistant", "input": "hi"})
    await receive_type(ws, "complete")
    await send(ws, {"type": "join_room", "room": ROOM, "user": f"u{index}"})
    await receive_type(ws, "room_joined")
    await ws.close()


async def cut(url, index):
    raw = await RawWebSocket.connect(url)
    await raw.recv_json()  # connected
    await raw.send_json({"type": "subscribe", "channel": "churn"})
    await raw.send_json({"type": "join_room", "room": ROOM, "user": f"u{index}"})
    await raw.send_json({"type": "agent_stream", "id": f"{ROOM}-{index}", "agent": "assistant", "input": "hi"})
    # Cut in the middle of the stream: after its first frame. Pings are answered meanwhile,
    # so only the cut ends this connection.
    while True:
        kind, value = await raw.recv_event()
        if kind == "ping":
            await raw.send_frame(PONG, value)
        elif kind == "text" and value.get("id") == f"{ROOM}-{index}":
            break
    raw.abort()


async def silent(url, index):
    raw = await RawWebSocket.connect(url)
    await raw.recv_json()  # connected
    await raw.send_json({"type": "subscribe", "channel": "churn"})
    await raw.send_json({"type": "join_room", "room": ROOM, "user": f"u{index}"})
    # Never answer a ping: the server's heartbeat must close the connection.
    _, (code, _) = await raw.until_close(timeout=30)
    expect(code is not None, "the heartbeat closed the silent client with a code")


async def churn(url, cycles="60", kinds="clean,cut,silent"):
    cycles = int(cycles)
    kinds = kinds.split(",")
    owner, _ = await connect(url)
    await send(owner, {"type": "create_room", "room": ROOM, "agent": "assistant"})
    await receive_type(owner, "room_created")
    await owner.close()
    silent_ones = []
    for index in range(cycles):
        kind = kinds[index % len(kinds)]
        if kind == "clean":
            await clean(url, index)
        elif kind == "cut":
            await cut(url, index)
        else:
            silent_ones.append(asyncio.create_task(silent(url, index)))
    await asyncio.gather(*silent_ones)
    return "OK"


SCENARIOS = {"churn": churn}
