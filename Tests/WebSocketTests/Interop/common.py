"""Helpers shared by the interop scenarios: checks, frame reading, and the control files
through which a running scenario and the Swift test wait for each other."""
import asyncio
import json
import os
import time

import websockets


class Mismatch(Exception):
    """The server answered something other than what the protocol promises."""


def expect(condition, message):
    if not condition:
        raise Mismatch(message)


async def receive(ws, timeout=15):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def receive_type(ws, wanted, timeout=15):
    """Receives frames until one of type `wanted` arrives; returns it."""
    while True:
        frame = await receive(ws, timeout)
        if frame.get("type") == wanted:
            return frame


async def send(ws, message):
    await ws.send(json.dumps(message))


async def connect(url, **kwargs):
    """Opens a `websockets` connection and reads the `connected` greeting."""
    ws = await websockets.connect(url, proxy=None, open_timeout=15, **kwargs)
    hello = await receive(ws)
    expect(hello["type"] == "connected", f"first frame is {hello}")
    return ws, hello


async def refused_status(url, **kwargs):
    """Tries an upgrade that the server must refuse; returns (HTTP status, JSON body)."""
    try:
        ws = await websockets.connect(url, proxy=None, open_timeout=15, **kwargs)
    except websockets.exceptions.InvalidStatus as error:
        response = error.response
        return response.status_code, json.loads(response.body or b"null")
    await ws.close()
    raise Mismatch(f"the upgrade to {url} was accepted")


async def close_code_after(ws, timeout=15):
    """Reads (and returns) the frames left until the server closes; then the close code."""
    frames = []
    try:
        while True:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout)))
    except websockets.exceptions.ConnectionClosed:
        pass
    return frames, ws.close_code


async def expect_error(ws, code, **fields):
    """Reads the next frame, which must be an `error` with `code` (and the given fields)."""
    frame = await receive(ws)
    expect(frame.get("type") == "error" and frame.get("code") == code, f"expected error {code}, got {frame}")
    expect(isinstance(frame.get("message"), str) and frame["message"], f"error without a message: {frame}")
    for name, value in fields.items():
        expect(frame.get(name) == value, f"error {code}: {name} is {frame.get(name)!r}, not {value!r}: {frame}")
    return frame


async def still_alive(ws):
    """A `ping` message is answered with `pong`: the connection still works."""
    await send(ws, {"type": "ping"})
    reply = await receive(ws)
    expect(reply == {"type": "pong"}, f"ping answered with {reply}")


# Control files: the Swift test passes a folder in INTEROP_CONTROL; either side "signals"
# a name by creating the file, and the other waits for it with a deadline.

def signal(name):
    folder = os.environ.get("INTEROP_CONTROL")
    if folder:
        with open(os.path.join(folder, name), "w") as file:
            file.write("1")


async def wait_signal(name, timeout=60):
    folder = os.environ["INTEROP_CONTROL"]
    deadline = time.monotonic() + timeout
    while not os.path.exists(os.path.join(folder, name)):
        if time.monotonic() > deadline:
            raise Mismatch(f"timed out waiting for the test's signal {name!r}")
        await asyncio.sleep(0.005)
