"""Scenarios for close codes: a raw client breaks the protocol on purpose, the server closes
with the RFC 6455 code that fits (after an error frame where one applies)."""
import asyncio
import json
import struct

from common import close_code_after, connect, expect
from rawws import BINARY, CLOSE, CONTINUATION, PING, TEXT, HandshakeRefused, RawWebSocket

PING_MESSAGE = json.dumps({"type": "ping"}).encode()


async def _violation(url, send, code, errors=()):
    """Connects, lets `send(raw)` misbehave, and checks the error frames and the close code."""
    raw = await RawWebSocket.connect(url)
    hello = await raw.recv_json()
    expect(hello["type"] == "connected", f"greeting {hello}")
    await send(raw)
    messages, (close_code, reason) = await raw.until_close()
    got = [message.get("code") for message in messages]
    expect(got == list(errors), f"{send.__name__}: error frames {messages}, expected codes {list(errors)}")
    expect(close_code == code, f"{send.__name__}: closed with {close_code} ({reason}), expected {code}")
    return {"case": send.__name__, "code": close_code, "reason": reason}


async def invalid_utf8(raw):
    await raw.send_frame(TEXT, b'{"type":"ping","x":"\xff\xfe"}')


async def unmasked(raw):
    await raw.send_frame(TEXT, PING_MESSAGE, mask=False)


async def raw_violations(url, limit):
    """Each breach of RFC 6455 on its own connection, with the close code it earns."""
    limit = int(limit)

    async def binary(raw):
        await raw.send_frame(BINARY, PING_MESSAGE)

    async def oversized(raw):
        # Only the header and a little of the payload: the header alone condemns it.
        raw.writer.write(raw.frame(TEXT, b"x" * (limit + 1))[:200])
        await raw.writer.drain()

    async def oversized_in_fragments(raw):
        half = b"x" * (limit // 2 + 1)
        await raw.send_frame(TEXT, half, fin=False)
        await raw.send_frame(CONTINUATION, half, fin=False)

    async def continuation_without_start(raw):
        await raw.send_frame(CONTINUATION, PING_MESSAGE)

    async def new_message_inside_fragmented(raw):
        await raw.send_frame(TEXT, PING_MESSAGE[:5], fin=False)
        await raw.send_frame(TEXT, PING_MESSAGE)

    async def fragmented_control_frame(raw):
        await raw.send_frame(PING, b"hi", fin=False)

    async def long_control_frame(raw):
        await raw.send_frame(PING, b"x" * 126)

    async def reserved_bit(raw):
        await raw.send_frame(TEXT, PING_MESSAGE, rsv1=True)  # no extension negotiated

    async def unknown_opcode(raw):
        await raw.send_frame(0x3, PING_MESSAGE)

    cases = [
        (invalid_utf8, 1007, ["invalid_message"]),
        (unmasked, 1002, []),
        (binary, 1003, ["invalid_message"]),
        (oversized, 1009, ["too_large"]),
        (oversized_in_fragments, 1009, ["too_large"]),
        (continuation_without_start, 1002, []),
        (new_message_inside_fragmented, 1002, []),
        (fragmented_control_frame, 1002, []),
        (long_control_frame, 1002, []),
        (reserved_bit, 1002, []),
        (unknown_opcode, 1002, []),
    ]
    results = []
    for send, code, errors in cases:
        results.append(await _violation(url, send, code, errors))
    return {"cases": results}


async def raw_violation(url, case):
    """One breach on its own connection, by name: `invalid_utf8` (1007, after `invalid_message`)
    or `unmasked` (1002, no error frame)."""
    send, code, errors = {
        "invalid_utf8": (invalid_utf8, 1007, ["invalid_message"]),
        "unmasked": (unmasked, 1002, []),
    }[case]
    return await _violation(url, send, code, errors)


async def raw_well_behaved(url):
    """The same raw client, behaving: a fragmented message with a ping between its fragments
    is answered, and its close handshake is echoed with its code."""
    raw = await RawWebSocket.connect(url)
    await raw.recv_json()
    await raw.send_frame(TEXT, PING_MESSAGE[:6], fin=False)
    await raw.send_frame(PING, b"between")
    await raw.send_frame(CONTINUATION, PING_MESSAGE[6:10], fin=False)
    await raw.send_frame(CONTINUATION, PING_MESSAGE[10:])
    kind, payload = await raw.recv_event()
    expect((kind, payload) == ("pong", b"between"), f"control frame answered first: {kind} {payload}")
    expect(await raw.recv_json() == {"type": "pong"}, "the reassembled message is answered")
    await raw.send_frame(CLOSE, struct.pack("!H", 4000) + b"bye")
    messages, (code, _) = await raw.until_close()
    expect(messages == [] and code == 4000, f"close echoed with {code}, after {messages}")

    # 1005 may never appear in a close frame (RFC 6455 7.4.1): it is not echoed, 1002 is.
    raw = await RawWebSocket.connect(url)
    await raw.recv_json()
    await raw.send_frame(CLOSE, struct.pack("!H", 1005))
    messages, (code, _) = await raw.until_close()
    expect(code == 1002, f"a close with 1005 answered with {code}")
    return "OK"


async def server_shutdown(url):
    """Connected when the server shuts down: closed with 1001 (going away)."""
    ws, _ = await connect(url)
    frames, code = await close_code_after(ws, timeout=60)
    expect(code == 1001, f"closed with {code}, after {frames}")
    return {"code": code, "reason": ws.close_reason}


async def capacity_race(url, attempts):
    """Many upgrades at once against a small limit: every one is admitted (`connected`), refused
    at the upgrade (HTTP 503), or, when it raced past the check, told `server_busy` and closed
    with 1013."""

    async def attempt():
        try:
            raw = await RawWebSocket.connect(url)
        except HandshakeRefused as refused:
            expect(refused.status == 503 and refused.body["code"] == "server_busy", f"refused with {refused.status}")
            return "503", None
        first = await raw.recv_json()
        if first["type"] == "connected":
            return "connected", raw
        expect(first.get("code") == "server_busy", f"first frame {first}")
        messages, (code, _) = await raw.until_close()
        expect(messages == [] and code == 1013, f"after server_busy: {messages}, close {code}")
        return "1013", None

    outcomes = await asyncio.gather(*(attempt() for _ in range(int(attempts))))
    for _, raw in outcomes:
        if raw:
            await raw.close()
            await raw.until_close()
    counts = {}
    for outcome, _ in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


async def consumer_failure(url):
    """A server whose own handling of a message fails: the echo of a first message, then close
    1011 (internal error) right after the second, which the server's consumer cannot handle."""
    raw = await RawWebSocket.connect(url)
    await raw.send_frame(TEXT, b"hello")
    _, _, opcode, payload = await raw.recv_frame()
    expect(opcode == TEXT and payload == b"hello", f"echo {opcode} {payload!r}")
    await raw.send_frame(TEXT, b"fail")
    messages, (code, reason) = await raw.until_close()
    expect(messages == [] and code == 1011, f"after a failing message: {messages}, close {code} ({reason})")
    return {"code": code, "reason": reason}


SCENARIOS = {
    "consumer_failure": consumer_failure,
    "raw_violation": raw_violation,
    "raw_violations": raw_violations,
    "raw_well_behaved": raw_well_behaved,
    "server_shutdown": server_shutdown,
    "capacity_race": capacity_race,
}
