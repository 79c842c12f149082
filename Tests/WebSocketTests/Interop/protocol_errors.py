"""Scenarios for the protocol's error codes, as a `websockets` client meets them."""
import json

import websockets

from common import (
    close_code_after, connect, expect, expect_error, receive, receive_type, refused_status, send, still_alive,
)


async def invalid_messages(url):
    """invalid_message, unknown_type and not_found: answered with an error frame, connection kept."""
    ws, _ = await connect(url)
    invalid = [
        "not json at all",
        '{"type": "ping"',  # cut short
        "[1, 2, 3]",  # JSON, but not an object
        '"subscribe"',
        "{}",  # no type
        '{"type": 7}',
        '{"type": "subscribe"}',  # missing field
        '{"type": "subscribe", "channel": 5}',  # wrong type
        '{"type": "subscribe", "channel": ""}',
        '{"type": "publish", "channel": "news"}',  # publish without data
        '{"type": "agent_stream", "agent": "assistant"}',
        '{"type": "agent_stream", "agent": "assistant", "input": ["hi"]}',
        '{"type": "agent_stream", "id": 12, "agent": "assistant", "input": "hi"}',
        '{"type": "resume", "id": "s-1", "after_seq": "3"}',
        '{"type": "resume", "id": "s-1", "after_seq": 1.5}',
        '{"type": "resume", "id": "s-1", "after_seq": -1}',
        '{"type": "resume", "after_seq": 0}',
        '{"type": "cancel"}',
        '{"type": "auth", "token": null}',
    ]
    for text in invalid:
        await ws.send(text)
        frame = await receive(ws)
        expect(frame.get("type") == "error" and frame.get("code") == "invalid_message", f"{text} answered with {frame}")
    await still_alive(ws)

    await send(ws, {"type": "frobnicate", "x": 1})
    await expect_error(ws, "unknown_type", request_type="frobnicate")

    await send(ws, {"type": "agent_stream", "id": "nobody-1", "agent": "nobody", "input": "hi"})
    await expect_error(ws, "not_found", id="nobody-1", request_type="agent_stream")
    await send(ws, {"type": "resume", "id": "no-such-stream", "after_seq": 0})
    await expect_error(ws, "not_found", id="no-such-stream", request_type="resume")
    await send(ws, {"type": "cancel", "id": "no-such-stream"})
    await expect_error(ws, "not_found", id="no-such-stream", request_type="cancel")

    # A stream id in use is refused; a finished stream cannot be cancelled.
    await send(ws, {"type": "agent_stream", "id": "dup", "agent": "assistant", "input": "hi"})
    await receive_type(ws, "complete")
    await send(ws, {"type": "agent_stream", "id": "dup", "agent": "assistant", "input": "hi"})
    await expect_error(ws, "invalid_message", id="dup", request_type="agent_stream")
    await send(ws, {"type": "cancel", "id": "dup"})
    await expect_error(ws, "not_found", id="dup", request_type="cancel")

    await still_alive(ws)
    await ws.close()
    return "OK"


async def too_large(url, limit):
    """A message at the size limit passes; one byte more is too_large, then close 1009,
    whether the frame itself is too long or it only inflates past the limit."""
    limit = int(limit)
    ws, _ = await connect(url, compression=None)
    await send(ws, {"type": "subscribe", "channel": "big"})
    await receive_type(ws, "subscribed")
    empty = json.dumps({"type": "publish", "channel": "big", "data": ""})
    exact = json.dumps({"type": "publish", "channel": "big", "data": "x" * (limit - len(empty))})
    expect(len(exact) == limit, "test arithmetic")
    await ws.send(exact)
    message = await receive_type(ws, "message")
    expect(len(message["data"]) == limit - len(empty), "the message at the limit came back whole")
    await ws.send(exact + " ")
    frames, code = await close_code_after(ws)
    expect([frame.get("code") for frame in frames] == ["too_large"], f"frames before the close: {frames}")
    expect(code == 1009, f"closed with {code}, not 1009")

    # Far past the limit: the server decides on the frame's header and closes while the
    # client is still sending; the error and close frames must reach it all the same.
    ws, _ = await connect(url, compression=None)
    try:
        await ws.send(json.dumps({"type": "publish", "channel": "big", "data": "z" * (1 << 20)}))
    except websockets.exceptions.ConnectionClosed:
        pass
    frames, code = await close_code_after(ws)
    expect([frame.get("code") for frame in frames] == ["too_large"], f"1 MB: frames before the close: {frames}")
    expect(code == 1009, f"1 MB: closed with {code}, not 1009")

    # Compressed: a few hundred bytes on the wire, more than the limit once inflated.
    ws, _ = await connect(url)
    expect(ws.response.headers.get("Sec-WebSocket-Extensions"), "permessage-deflate negotiated")
    await ws.send(json.dumps({"type": "publish", "channel": "big", "data": "y" * (limit * 4)}))
    frames, code = await close_code_after(ws)
    expect([frame.get("code") for frame in frames] == ["too_large"], f"frames before the close: {frames}")
    expect(code == 1009, f"compressed: closed with {code}, not 1009")
    return "OK"


async def rate_limited(url, per_minute):
    """The bucket holds `per_minute` messages; the next is refused with rate_limited, not processed."""
    ws, _ = await connect(url)
    for _ in range(int(per_minute)):
        await still_alive(ws)
    await send(ws, {"type": "subscribe", "channel": "limited"})
    frame = await expect_error(ws, "rate_limited")
    expect("retry in" in frame["message"], f"no retry hint: {frame}")
    await send(ws, {"type": "ping"})
    await expect_error(ws, "rate_limited")
    await ws.close()
    expect(ws.close_code == 1000, "the client's own close is echoed: the connection stayed open")
    return "OK"


async def authentication(url):
    """Tokens at the upgrade (header, query) and in an `auth` frame; what is refused and how."""
    base = url.split("?")[0]
    # No token: connected, unauthenticated; only ping and auth pass.
    ws, hello = await connect(base)
    expect(hello["authenticated"] is False and hello["authentication_required"] is True, f"hello {hello}")
    expect("identity" not in hello, f"hello {hello}")
    await send(ws, {"type": "subscribe", "channel": "private"})
    await expect_error(ws, "unauthorized", request_type="subscribe")
    await send(ws, {"type": "agent_stream", "agent": "assistant", "input": "hi"})
    await expect_error(ws, "unauthorized", request_type="agent_stream")
    await still_alive(ws)
    await send(ws, {"type": "auth", "token": "alice-token"})
    expect(await receive(ws) == {"type": "authenticated", "identity": "alice"}, "auth frame accepted")
    await send(ws, {"type": "subscribe", "channel": "private"})
    expect(await receive(ws) == {"type": "subscribed", "channel": "private"}, "subscribed once authenticated")
    # Alice's stream is hers: bob may neither resume nor cancel it.
    await send(ws, {"type": "agent_stream", "id": "alice-1", "agent": "assistant", "input": "hi"})
    await receive_type(ws, "complete")
    await ws.close()

    # A bad token in the auth frame: unauthorized, then close 1008.
    ws, _ = await connect(base)
    await send(ws, {"type": "auth", "token": "wrong"})
    frames, code = await close_code_after(ws)
    expect([(f.get("code"), f.get("request_type")) for f in frames] == [("unauthorized", "auth")], f"frames {frames}")
    expect(code == 1008, f"closed with {code}, not 1008")

    # Bad tokens at the upgrade: HTTP 401, whichever way they come.
    status, body = await refused_status(base, additional_headers={"Authorization": "Bearer wrong"})
    expect(status == 401 and body["code"] == "unauthorized", f"bearer header: {status} {body}")
    status, body = await refused_status(base + "?token=wrong")
    expect(status == 401 and body["code"] == "unauthorized", f"query token: {status} {body}")

    # Good tokens at the upgrade: authenticated from the first frame.
    ws, hello = await connect(base, additional_headers={"Authorization": "Bearer bob-token"})
    expect(hello["authenticated"] is True and hello["identity"] == "bob", f"bearer hello {hello}")
    await send(ws, {"type": "resume", "id": "alice-1", "after_seq": 0})
    await expect_error(ws, "forbidden", id="alice-1", request_type="resume")
    await send(ws, {"type": "cancel", "id": "alice-1"})
    await expect_error(ws, "forbidden", id="alice-1", request_type="cancel")
    await ws.close()
    ws, hello = await connect(base + "?token=alice%2Dtoken")
    expect(hello["authenticated"] is True and hello["identity"] == "alice", f"query hello {hello}")
    await send(ws, {"type": "resume", "id": "alice-1", "after_seq": 0})
    resumed = await receive(ws)
    expect(resumed["type"] == "resumed" and resumed["finished"] is True, f"alice resumes her stream: {resumed}")
    await receive_type(ws, "complete")
    await ws.close()
    return "OK"


async def origins(url, allowed):
    """An Origin outside allowedOrigins gets HTTP 403; an allowed one, or none, connects."""
    status, body = await refused_status(url, origin="https://evil.example")
    expect(status == 403 and body["code"] == "forbidden", f"foreign origin: {status} {body}")
    # The refusal names the origin, in a body that stays JSON whatever the header holds.
    odd = 'https://evil.example/"\\x'
    status, body = await refused_status(url, origin=odd)
    expect(status == 403 and odd in body["message"], f"odd origin: {status} {body}")
    for origin in (allowed, None):
        ws, _ = await connect(url, origin=origin)
        await still_alive(ws)
        await ws.close()
    return "OK"


async def wrong_path(url):
    """An upgrade on another path is HTTP 404."""
    status, body = await refused_status(url.replace("/ws", "/elsewhere"))
    expect(status == 404 and body["code"] == "not_found", f"{status} {body}")
    return "OK"


SCENARIOS = {
    "invalid_messages": invalid_messages,
    "too_large": too_large,
    "rate_limited": rate_limited,
    "authentication": authentication,
    "origins": origins,
    "wrong_path": wrong_path,
}
