"""Scenarios for the transport: permessage-deflate, heartbeats, the connection limit and
slow readers, and a client that vanishes mid-stream."""
import asyncio
import json
import random
import time

from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from common import Mismatch, connect, expect, receive, receive_type, refused_status, send, signal, still_alive, wait_signal
from rawws import TEXT, RawWebSocket, deflate, inflate

NEGOTIATED = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"


def large_text(size, seed=7):
    """About `size` characters of varied words, some of them not ASCII."""
    words = ["stream", "agent", "token", "naïve", "façade", "✓", "日本語", "chunk", "resume", "ünïcödé", "42"]
    rng = random.Random(seed)
    parts, length = [], 0
    while length < size:
        word = rng.choice(words) + str(rng.randrange(1000))
        parts.append(word)
        length += len(word) + 1
    return " ".join(parts)[:size]


async def compression(url, enabled):
    """permessage-deflate is negotiated (no context takeover both ways) when the server enables
    it, and a 100 KB message round-trips either way, far past deflate's usual 16 KiB limit."""
    enabled = enabled == "on"
    text = large_text(100_000)
    ws, _ = await connect(url)
    header = ws.response.headers.get("Sec-WebSocket-Extensions")
    expect(header == (NEGOTIATED if enabled else None), f"Sec-WebSocket-Extensions: {header!r}")
    await send(ws, {"type": "subscribe", "channel": "big"})
    await receive_type(ws, "subscribed")
    await send(ws, {"type": "publish", "channel": "big", "data": {"text": text}})
    message = await receive_type(ws, "message")
    expect(message["data"] == {"text": text}, "the 100 KB message came back changed")
    await ws.close()

    # A raw client checks the bytes: compressed frames carry RSV1 and inflate to the message.
    raw = await RawWebSocket.connect(url, deflate=True)
    expect(raw.compressed == enabled, f"raw client negotiated: {raw.headers}")
    await raw.recv_json()
    await raw.send_json({"type": "subscribe", "channel": "big"})
    expect((await raw.recv_json())["type"] == "subscribed", "raw subscribe")
    body = json.dumps({"type": "publish", "channel": "big", "data": text}).encode()
    if enabled:
        payload = deflate(body)
        expect(len(payload) < len(body) // 2, "the test text compresses")
        await raw.send_frame(TEXT, payload, rsv1=True)
    else:
        await raw.send_frame(TEXT, body)
    fin, rsv1, opcode, payload = await raw.recv_frame()
    expect(fin and opcode == TEXT and rsv1 == enabled, f"frame fin={fin} rsv1={rsv1} opcode={opcode}")
    message = json.loads(inflate(payload) if rsv1 else payload)
    expect(message["data"] == text, "the raw client's message came back changed")
    # Small frames are sent as they are, even on a compressed connection.
    await raw.send_json({"type": "ping"})
    fin, rsv1, opcode, payload = await raw.recv_frame()
    expect(not rsv1 and json.loads(payload) == {"type": "pong"}, f"pong rsv1={rsv1} {payload!r}")
    await raw.close()
    await raw.until_close()

    if enabled:
        # A client that wants a smaller server window gets it (one shared compressor per window
        # size): its inflater, set to a 1 KiB window, reads the 100 KB message.
        ws, _ = await connect(
            url, compression=None, extensions=[ClientPerMessageDeflateFactory(server_max_window_bits=10)]
        )
        header = ws.response.headers.get("Sec-WebSocket-Extensions")
        expect(header == NEGOTIATED + "; server_max_window_bits=10", f"server_max_window_bits=10 negotiated {header!r}")
        await send(ws, {"type": "subscribe", "channel": "big"})
        await receive_type(ws, "subscribed")
        await send(ws, {"type": "publish", "channel": "big", "data": {"text": text}})
        message = await receive_type(ws, "message")
        expect(message["data"] == {"text": text}, "the 100 KB message came back changed through a 1 KiB window")
        await ws.close()
    return "OK"


async def heartbeat_silent(url):
    """A raw client that never answers pings is closed by the heartbeat (1002)."""
    raw = await RawWebSocket.connect(url)
    await raw.recv_json()
    pings = 0
    started = time.monotonic()
    while True:
        kind, value = await raw.recv_event(timeout=30)
        if kind == "ping":
            pings += 1
        elif kind == "close":
            code, reason = value
            break
        else:
            raise AssertionError(f"unexpected {kind} {value}")
    expect(code == 1002, f"closed with {code} ({reason})")
    return {"pings": pings, "code": code, "reason": reason, "seconds": round(time.monotonic() - started, 3)}


async def heartbeat_answered(url, seconds):
    """A `websockets` client answers pings by itself and stays connected."""
    ws, _ = await connect(url)
    await asyncio.sleep(float(seconds))
    await still_alive(ws)
    await ws.close()
    return "OK"


async def max_connections(url, limit):
    """`limit` clients connect, the next upgrade is HTTP 503, the first ones still work, and a
    place freed is taken again."""
    limit = int(limit)
    clients = [(await connect(url))[0] for _ in range(limit)]
    status, body = await refused_status(url)
    expect(status == 503 and body["code"] == "server_busy", f"over the limit: {status} {body}")
    for ws in clients:
        await send(ws, {"type": "subscribe", "channel": "room"})
        await receive_type(ws, "subscribed")
    await send(clients[0], {"type": "publish", "channel": "room", "data": "hello"})
    for ws in clients:
        expect((await receive_type(ws, "message"))["data"] == "hello", "publish round trip")
    await clients[0].close()
    deadline = time.monotonic() + 15
    while True:
        try:
            ws, _ = await connect(url)
            break
        except Exception:  # the server may not have seen the close yet
            expect(time.monotonic() < deadline, "the freed place was never given again")
            await asyncio.sleep(0.01)
    await still_alive(ws)
    for ws in clients[1:] + [ws]:
        await ws.close()
    return "OK"


async def read_counting(recv, total, timeout=60):
    """Reads until every one of `total` published frames is accounted for, received or missed."""
    received, missed, notices, last = 0, 0, 0, -1
    while received + missed < total:
        try:
            frame = await recv(timeout)
        except asyncio.TimeoutError:
            raise Mismatch(f"after {received} received and {missed} missed, {total - received - missed} frames unaccounted for")
        if frame["type"] == "message":
            n = frame["data"]["n"]
            expect(n > last, f"message {n} after {last}: out of order")
            last = n
            received += 1
        elif frame["type"] == "missed":
            expect(frame["count"] > 0, f"empty missed notice {frame}")
            missed += frame["count"]
            notices += 1
        else:
            raise AssertionError(f"unexpected frame {frame}")
    expect(received + missed == total, f"{received} received + {missed} missed != {total}")
    return {"received": received, "missed": missed, "notices": notices}


async def slow_reader(url, total, receive_buffer):
    """Subscribes, then stops reading while the test publishes; reads again when told to."""
    raw = await RawWebSocket.connect(url, receive_buffer=int(receive_buffer))
    await raw.recv_json()
    await raw.send_json({"type": "subscribe", "channel": "firehose"})
    expect((await raw.recv_json())["type"] == "subscribed", "subscribed")
    signal("subscribed")
    await wait_signal("published", timeout=300)
    result = await read_counting(raw.recv_json, int(total))
    await raw.send_json({"type": "ping"})
    expect(await raw.recv_json() == {"type": "pong"}, "nothing after the missed notice but the pong")
    await raw.close()
    await raw.until_close()
    return result


async def fast_reader(url, total):
    """Reads all the time while the test publishes a burst faster than the socket takes it."""
    ws, _ = await connect(url, compression=None, max_queue=None)
    await send(ws, {"type": "subscribe", "channel": "firehose"})
    await receive_type(ws, "subscribed")
    signal("subscribed")
    result = await read_counting(lambda timeout: receive(ws, timeout), int(total), timeout=20)
    await still_alive(ws)
    await ws.close()
    return result


async def vanish_mid_stream(url, stream_id, how="reset"):
    """Starts an agent stream, reads its first frame, then vanishes while the server is still
    streaming, without a close frame: `reset` sends a TCP reset (SO_LINGER 0), `fin` closes
    the socket in order."""
    raw = await RawWebSocket.connect(url)
    hello = await raw.recv_json()
    expect(hello["type"] == "connected", f"greeting {hello}")
    await raw.send_json({"type": "agent_stream", "id": stream_id, "agent": "assistant", "input": "hi"})
    while True:
        first = await raw.recv_json()
        expect(first.get("type") != "error", f"the stream was refused: {first}")
        if first.get("id") == stream_id:
            break
    if how == "reset":
        raw.reset()
    else:
        raw.writer.close()
        await raw.writer.wait_closed()
    return {"first": first.get("type")}


SCENARIOS = {
    "compression": compression,
    "heartbeat_silent": heartbeat_silent,
    "heartbeat_answered": heartbeat_answered,
    "max_connections": max_connections,
    "slow_reader": slow_reader,
    "fast_reader": fast_reader,
    "vanish_mid_stream": vanish_mid_stream,
}
