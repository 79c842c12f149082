"""A deploy's SIGTERM while clients stream: the server drains (issue 19).

`drain URL COUNT END`: one idle client and COUNT clients each streaming an answer; once every
stream has sent its first chunk the scenario signals "streaming" and waits for "terminated"
(the test has sent SIGTERM). Then: the idle client is closed with 1012 at once; a new
connection is refused with 503, /health/ready answers 503 and a POST stream 503
`shutting_down` while the answers go on; a new
agent_stream on a streaming connection is refused with `shutting_down`; every stream ends with
END (`complete`: its whole answer, seq gapless, then `complete`; `shutting_down`: a final
`error` frame with that code) and its connection is then closed with 1012. The scenario
signals "checked" once the refusals are checked (a test may then send a second SIGTERM).
"""
import asyncio
import json
import urllib.error
import urllib.request

import websockets

from common import Mismatch, close_code_after, connect, expect, receive, refused_status, send, signal, wait_signal
from streams import StreamLog

TEXT = "Tell me everything about streaming, in detail."


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


async def read_stream(ws, log, refused_id=None):
    """Reads frames until the server closes: the stream's frames go to `log`; returns the
    refusal of `refused_id` (if asked) and the close code."""
    refusal = None
    while True:
        try:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
        except websockets.exceptions.ConnectionClosed:
            return refusal, ws.close_code
        if refused_id is not None and frame.get("id") == refused_id:
            refusal = frame
        else:
            log.add(frame)


async def drain(url, count, end):
    http = url.replace("ws://", "http://").rsplit("/", 1)[0]
    status, body = http_status(http + "/health/ready")
    expect(status == 200 and body == {"status": "ready"}, f"/health/ready before the drain: {status} {body}")
    idle, _ = await connect(url)
    clients = []
    for index in range(int(count)):
        ws, _ = await connect(url)
        stream_id = f"drain-{index}"
        await send(ws, {"type": "agent_stream", "id": stream_id, "agent": "assistant", "input": TEXT})
        log = StreamLog(stream_id)
        while not log.content:
            log.add(await receive(ws))
        clients.append((ws, log))
    signal("streaming")
    await wait_signal("terminated")

    frames, code = await close_code_after(idle, timeout=10)
    expect(code == 1012, f"the idle client was closed with {code}, not 1012 (frames {frames})")
    status, body = await refused_status(url)
    expect(status == 503, f"a new connection during the drain got {status} {body}")
    status, body = http_status(http + "/health/ready")
    expect(status == 503 and body == {"status": "draining"}, f"/health/ready during the drain: {status} {body}")
    request = urllib.request.Request(http + "/v1/agents/assistant/stream", data=json.dumps({"input": TEXT}).encode(),
                                     method="POST")
    status, body = http_status(request)
    expect(status == 503 and body.get("code") == "shutting_down", f"a POST stream during the drain: {status} {body}")
    await send(clients[0][0], {"type": "agent_stream", "id": "late", "agent": "assistant", "input": TEXT})
    signal("checked")

    results = await asyncio.gather(
        *(read_stream(ws, log, "late" if index == 0 else None) for index, (ws, log) in enumerate(clients)))
    refusal = results[0][0]
    expect(refusal is not None and refusal.get("type") == "error" and refusal.get("code") == "shutting_down",
           f"a new stream during the drain got {refusal}")
    unfinished = [log.id for _, log in clients if log.end is None]
    expect(not unfinished, f"streams without a final frame: {unfinished}")
    for (_, log), (_, code) in zip(clients, results):
        expect(code == 1012, f"{log.id}: closed with {code}, not 1012, after {log.end}")
        if end == "complete":
            expect(log.end["type"] == "complete", f"{log.id} did not complete: {log.end}")
            expect(log.text == log.end.get("content"), f"{log.id}: the chunks are not the whole answer")
        else:
            expect(log.end["type"] == "error" and log.end.get("code") == end, f"{log.id} ended with {log.end}")
    return {"streams": len(clients), "chunks": [len(log.content) for _, log in clients],
            "ends": sorted({log.end["type"] for _, log in clients})}


SCENARIOS = {"drain": drain}
