"""Agent streams over Server-Sent Events on the paced model, with followers that hang up:
- follow: POST /v1/agents/assistant/stream and read it to `complete`;
- cut: POST, hang up after a few events (FIN or reset), then GET /v1/streams/{id} with
  Last-Event-ID and read the rest;
- drop: POST and read it to the end, while a GET follower from the start hangs up mid-stream;
  now and then a late GET replays the finished stream from its start.
Every stream followed to its end is checked against the model's answer, as in agent_streams.py."""
import asyncio

import model_text
import sse_client
import worker
from agent_streams import Followed, check
from wire import Mismatch, expect

MODES = ["follow", "cut", "drop"]
WEIGHTS = [40, 30, 30]


async def post(context, stream_id, key, count):
    response = await sse_client.request(
        context.url, "POST", "/v1/agents/assistant/stream", {"input": model_text.prompt(key, count), "id": stream_id}
    )
    if response.status != 200:
        raise Mismatch(f"POST stream {stream_id}: HTTP {response.status} {await response.body_json()}")
    return response


async def get(context, stream_id, last_event_id=None):
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else None
    response = await sse_client.request(context.url, "GET", f"/v1/streams/{stream_id}", headers=headers)
    if response.status != 200:
        raise Mismatch(f"GET stream {stream_id}: HTTP {response.status} {await response.body_json()}")
    return response


async def read(response, log, events=None):
    """Adds the response's events to `log` until the stream ends (or `events` were read)."""
    read_count = 0
    while log.end is None and (events is None or read_count < events):
        event = await response.next_event()
        expect(event is not None, f"{log.id}: the event stream ended before the stream did")
        expect(event.get("id") == str(event["data"].get("seq")), f"{log.id}: event id {event.get('id')} for {event['data']}")
        expect(event.get("event") == event["data"].get("type"), f"{log.id}: event {event.get('event')} for {event['data']}")
        log.add(event["data"])
        read_count += 1


def hang_up(context, response):
    if context.rng.random() < 0.5:
        response.close()
    else:
        response.reset()


async def session(context, slot):
    mode = context.rng.choices(MODES, WEIGHTS)[0]
    key = model_text.new_key(context.rng)
    count = context.rng.randint(40, 120)
    stream_id = f"sse-{slot}-{key}"
    expected = model_text.answer(key, count)
    owner = await post(context, stream_id, key, count)
    log = Followed(stream_id)
    if mode == "follow":
        await read(owner, log)
        owner.close()
        check(context, log, expected)
    elif mode == "cut":
        await read(owner, log, events=context.rng.randint(1, 20))
        hang_up(context, owner)
        if log.end is not None:
            check(context, log, expected)
            return
        context.tally.count("cuts")
        rest = await get(context, stream_id, last_event_id=log.last_seq)
        rest_log = Followed(stream_id, log.last_seq)
        await read(rest, rest_log)
        rest.close()
        check(context, rest_log, expected, prefix=log.text)
        context.tally.count("resumed")
    else:
        await read(owner, log, events=1)
        follower = await get(context, stream_id)
        follower_log = Followed(stream_id)
        await asyncio.gather(read(owner, log), read(follower, follower_log, events=context.rng.randint(1, 30)))
        if follower_log.end is None:
            context.tally.count("followers_dropped")
        hang_up(context, follower)
        owner.close()
        check(context, log, expected)
        if context.rng.random() < 0.3:
            replay = await get(context, stream_id)
            replay_log = Followed(stream_id)
            await read(replay, replay_log)
            replay.close()
            check(context, replay_log, expected)
            context.tally.count("replays")


if __name__ == "__main__":
    worker.main("sse", session, concurrency=4)
