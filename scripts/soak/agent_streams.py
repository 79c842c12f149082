"""Agent streams over WebSocket on the paced model, each checked against the text the model
produced. Three ways to follow one:
- follow: start it and read it to `complete` (1 to 3 streams, one after another, on a connection);
- cut: start it, reset the connection after a few chunks, resume on a new connection after the
  last seq seen, and read the rest;
- follower: start it, and while it runs a second connection resumes it after a seq the owner has
  seen; both read it to the end.
A stream counts as verified when its chunks join into exactly the model's answer and the
`complete` frame carries that answer too; anything else is a failed stream."""
import asyncio

import model_text
import worker
from wire import StreamLog, connect, cut, expect, receive, send, ws_url

MODES = ["follow", "cut", "follower"]
WEIGHTS = [50, 25, 25]
FRAME_TIMEOUT = 30


class Followed(StreamLog):
    """A StreamLog that also keeps each chunk's seq, to cut the expected text where a resume began."""

    def __init__(self, stream_id, after_seq=0):
        super().__init__(stream_id, after_seq)
        self.chunks = []

    def add(self, frame):
        super().add(frame)
        if frame["type"] == "response_chunk":
            self.chunks.append((frame["seq"], frame["content"]))

    def text_through(self, seq):
        return "".join(content for chunk_seq, content in self.chunks if chunk_seq <= seq)


def new_stream(context, slot):
    key = model_text.new_key(context.rng)
    count = context.rng.randint(40, 120)
    return f"ws-{slot}-{key}", key, count


async def read_until(ws, log, chunks=None):
    """Reads the stream's frames until it ends, or until it has `chunks` chunks."""
    while log.end is None and (chunks is None or len(log.chunks) < chunks):
        log.add(await receive(ws, FRAME_TIMEOUT))


def check(context, log, expected, prefix=""):
    """Counts the stream verified, or failed with why."""
    end = log.end or {}
    if end.get("type") != "complete":
        context.tally.fail("stream_failed", f"{log.id} ended with {end}")
    elif prefix + log.text != expected or end.get("content") != expected:
        context.tally.fail(
            "stream_text", f"{log.id}: got {len(prefix + log.text)} chars, complete has {len(end.get('content', ''))}, model made {len(expected)}"
        )
    else:
        context.tally.count("streams_verified")
        return
    context.tally.count("streams_failed")


async def start(ws, stream_id, key, count):
    await send(ws, {"type": "agent_stream", "id": stream_id, "agent": "assistant", "input": model_text.prompt(key, count)})


async def resume(ws, stream_id, after_seq):
    await send(ws, {"type": "resume", "id": stream_id, "after_seq": after_seq})
    resumed = await receive(ws, FRAME_TIMEOUT)
    expect(resumed.get("type") == "resumed" and resumed.get("id") == stream_id, f"resume answered with {resumed}")
    return Followed(stream_id, after_seq)


async def follow(context, slot):
    ws, _ = await connect(ws_url(context.url))
    for _ in range(context.rng.randint(1, 3)):
        stream_id, key, count = new_stream(context, slot)
        await start(ws, stream_id, key, count)
        log = Followed(stream_id)
        await read_until(ws, log)
        check(context, log, model_text.answer(key, count))
    await ws.close()


async def cut_and_resume(context, slot):
    stream_id, key, count = new_stream(context, slot)
    first_ws, _ = await connect(ws_url(context.url))
    await start(first_ws, stream_id, key, count)
    first = Followed(stream_id)
    await read_until(first_ws, first, chunks=context.rng.randint(1, 20))
    cut(first_ws)
    if first.end is not None:  # the whole answer came before the cut
        check(context, first, model_text.answer(key, count))
        return
    context.tally.count("cuts")
    ws, _ = await connect(ws_url(context.url))
    rest = await resume(ws, stream_id, first.last_seq)
    await read_until(ws, rest)
    check(context, rest, model_text.answer(key, count), prefix=first.text)
    context.tally.count("resumed")
    await ws.close()


async def with_follower(context, slot):
    stream_id, key, count = new_stream(context, slot)
    expected = model_text.answer(key, count)
    owner_ws, _ = await connect(ws_url(context.url))
    await start(owner_ws, stream_id, key, count)
    owner = Followed(stream_id)
    await read_until(owner_ws, owner, chunks=context.rng.randint(1, 10))
    follower_ws, _ = await connect(ws_url(context.url))
    # A seq the owner has seen, but before the final frame: a resume after the end gets nothing.
    after = context.rng.randint(0, owner.last_seq - 1 if owner.end else owner.last_seq)
    follower = await resume(follower_ws, stream_id, after)
    await asyncio.gather(read_until(owner_ws, owner), read_until(follower_ws, follower))
    check(context, owner, expected)
    check(context, follower, expected, prefix=owner.text_through(after))
    context.tally.count("followers")
    await asyncio.gather(owner_ws.close(), follower_ws.close())


async def session(context, slot):
    mode = context.rng.choices(MODES, WEIGHTS)[0]
    await {"follow": follow, "cut": cut_and_resume, "follower": with_follower}[mode](context, slot)


if __name__ == "__main__":
    worker.main("agent_streams", session, concurrency=12)
