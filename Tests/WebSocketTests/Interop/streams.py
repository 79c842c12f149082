"""Scenarios for agent streams: one run, resume after a cut, concurrent runs, cancel, limits."""
import json
import sys

from common import Mismatch, connect, expect, expect_error, receive, send, still_alive
from rawws import RawWebSocket


class StreamLog:
    """The frames of one stream as a client sees them: seq gapless from 1, one end frame."""

    def __init__(self, stream_id, after_seq=0):
        self.id = stream_id
        self.last_seq = after_seq
        self.content = []
        self.end = None

    def add(self, frame):
        expect(frame.get("id") == self.id, f"frame of another stream: {frame}")
        expect(self.end is None, f"frame after the end: {frame}")
        expect(frame.get("seq") == self.last_seq + 1, f"{self.id}: seq {frame.get('seq')} where {self.last_seq + 1} was due")
        self.last_seq = frame["seq"]
        if frame["type"] == "response_chunk":
            self.content.append(frame["content"])
        elif frame["type"] in ("complete", "error"):
            self.end = frame

    @property
    def text(self):
        return "".join(self.content)


async def agent(url, agent_name="assistant", text="Tell me about streaming."):
    ws, _ = await connect(url)
    await send(ws, {"type": "agent_stream", "id": "py-1", "agent": agent_name, "input": text})
    log = StreamLog("py-1")
    while log.end is None:
        log.add(await receive(ws))
    expect(log.end["type"] == "complete", f"stream failed: {log.end}")
    await ws.close()
    sys.stdout.write(log.text)


async def resume_after_cut(url, agent_name, text, cut_after):
    """A raw client starts a stream and drops the connection after `cut_after` chunks; a new
    connection resumes after the last seq seen and gets exactly the rest."""
    raw = await RawWebSocket.connect(url)
    await raw.recv_json()
    await raw.send_json({"type": "agent_stream", "id": "cut-1", "agent": agent_name, "input": text})
    first = StreamLog("cut-1")
    while len(first.content) < int(cut_after):
        first.add(await raw.recv_json())
    expect(first.end is None, "the stream ended before the cut")
    raw.abort()

    ws, _ = await connect(url)
    await send(ws, {"type": "resume", "id": "cut-1", "after_seq": first.last_seq})
    resumed = await receive(ws)
    expect(resumed["type"] == "resumed" and resumed["id"] == "cut-1", f"resume answered with {resumed}")
    expect(resumed["after_seq"] == first.last_seq, f"resumed {resumed}")
    expect(resumed["last_seq"] >= first.last_seq, f"resumed {resumed}")
    rest = StreamLog("cut-1", after_seq=first.last_seq)
    while rest.end is None:
        rest.add(await receive(ws))
    expect(rest.end["type"] == "complete", f"stream failed: {rest.end}")
    expect(first.text + rest.text == rest.end["content"], "the chunks do not add up to the complete frame's content")
    await still_alive(ws)  # and nothing else came after `complete`
    await ws.close()
    return {
        "content": first.text + rest.text,
        "cut_at": first.last_seq,
        "last_seq": rest.last_seq,
        "finished_at_resume": resumed["finished"],
    }


async def concurrent_streams(url, agent_name, text, count):
    """Several streams on one connection: their frames interleave, each one's seq is gapless."""
    ws, _ = await connect(url)
    logs = {f"c-{index}": StreamLog(f"c-{index}") for index in range(int(count))}
    for stream_id in logs:
        await send(ws, {"type": "agent_stream", "id": stream_id, "agent": agent_name, "input": text})
    order = []
    while any(log.end is None for log in logs.values()):
        frame = await receive(ws)
        expect(frame.get("id") in logs, f"frame of no stream asked for: {frame}")
        logs[frame["id"]].add(frame)
        order.append(frame["id"])
    for log in logs.values():
        expect(log.end["type"] == "complete", f"{log.id} failed: {log.end}")
    switches = sum(1 for previous, current in zip(order, order[1:]) if previous != current)
    await ws.close()
    return {"texts": {log.id: log.text for log in logs.values()}, "frames": len(order), "switches": switches}


async def cancel_stream(url, agent_name, text):
    """Cancelling a running stream ends it with an `error` frame coded `cancelled`, in sequence."""
    ws, _ = await connect(url)
    await send(ws, {"type": "agent_stream", "id": "cx-1", "agent": agent_name, "input": text})
    log = StreamLog("cx-1")
    while len(log.content) < 3:
        log.add(await receive(ws))
    await send(ws, {"type": "cancel", "id": "cx-1"})
    while log.end is None:
        log.add(await receive(ws))
    expect(log.end["type"] == "error" and log.end["code"] == "cancelled", f"ended with {log.end}")
    await send(ws, {"type": "cancel", "id": "cx-1"})
    await expect_error(ws, "not_found", id="cx-1", request_type="cancel")
    # The cancelled stream stays resumable: its replay ends with the same error frame.
    await send(ws, {"type": "resume", "id": "cx-1", "after_seq": log.last_seq - 1})
    resumed = await receive(ws)
    expect(resumed["type"] == "resumed" and resumed["finished"] is True, f"resumed {resumed}")
    expect(await receive(ws) == log.end, "the replayed end frame")
    await still_alive(ws)
    await ws.close()
    return {"chunks": len(log.content), "end": log.end}


async def stream_failure(url, agent_name, text):
    """A run that fails ends its stream with an `error` frame, in sequence after the chunks."""
    ws, _ = await connect(url)
    await send(ws, {"type": "agent_stream", "id": "fail-1", "agent": agent_name, "input": text})
    log = StreamLog("fail-1")
    while log.end is None:
        log.add(await receive(ws))
    await still_alive(ws)
    await ws.close()
    return {"chunks": len(log.content), "end": log.end}


async def stream_limit(url, agent_name, text):
    """With maxStreamsPerConnection 1, a second stream while the first runs is server_busy;
    once the first is cancelled, a new one starts."""
    ws, _ = await connect(url)
    await send(ws, {"type": "agent_stream", "id": "one", "agent": agent_name, "input": text})
    await send(ws, {"type": "agent_stream", "id": "two", "agent": agent_name, "input": text})
    busy = None
    one = StreamLog("one")
    while busy is None:
        frame = await receive(ws)
        if frame.get("id") == "two":
            busy = frame
        else:
            one.add(frame)
    expect(busy["type"] == "error" and busy["code"] == "server_busy", f"second stream: {busy}")
    expect(busy.get("request_type") == "agent_stream", f"second stream: {busy}")
    await send(ws, {"type": "cancel", "id": "one"})
    while one.end is None:
        one.add(await receive(ws))
    expect(one.end.get("code") == "cancelled", f"first stream ended with {one.end}")
    await send(ws, {"type": "agent_stream", "id": "three", "agent": agent_name, "input": text})
    frame = await receive(ws)
    if frame.get("type") == "error":
        raise Mismatch(f"a stream after the first ended was refused: {frame}")
    expect(frame["id"] == "three" and frame["seq"] == 1, f"third stream: {frame}")
    await ws.close()
    return "OK"


async def print_frames(url, mode, stream_id, agent_name="assistant", text="hi"):
    """Starts (mode `start`) or resumes from the beginning (mode `resume`) stream `stream_id`
    and prints every frame as one JSON line the moment it arrives, until the stream ends: the
    Swift test reads the lines while it releases the model's tokens one by one."""
    ws, _ = await connect(url)
    if mode == "start":
        await send(ws, {"type": "agent_stream", "id": stream_id, "agent": agent_name, "input": text})
    else:
        await send(ws, {"type": "resume", "id": stream_id, "after_seq": 0})
    while True:
        frame = await receive(ws, timeout=60)
        print(json.dumps(frame), flush=True)
        if frame.get("type") in ("complete", "error"):
            break
    await ws.close()
    return "OK"


SCENARIOS = {
    "print_frames": print_frames,
    "agent": agent,
    "resume_after_cut": resume_after_cut,
    "concurrent_streams": concurrent_streams,
    "cancel_stream": cancel_stream,
    "stream_limit": stream_limit,
    "stream_failure": stream_failure,
}
