"""Chat-room scenarios: independent `websockets` clients in rooms on the real server
(docs/PROTOCOL.md, "Chat rooms"). Each prints a JSON summary the Swift test checks."""
import json

from common import connect, expect, expect_error, receive, receive_type, send


async def member(url, room, user):
    """A connection that has joined `room` as `user`; returns (ws, room_joined)."""
    ws, _ = await connect(url)
    await send(ws, {"type": "join_room", "room": room, "user": user})
    joined = await receive_type(ws, "room_joined")
    expect(joined["room"] == room and joined["user"] == user, f"room_joined: {joined}")
    return ws, joined


async def creator(url, room, user, **settings):
    """A connection that has created `room` (with `settings`) and joined it as `user`."""
    ws, _ = await connect(url)
    await send(ws, {"type": "create_room", "room": room, **settings})
    await receive_type(ws, "room_created")
    await send(ws, {"type": "join_room", "room": room, "user": user})
    await receive_type(ws, "room_joined")
    return ws


async def answer(ws, room):
    """Reads one agent answer in `room`, from typing start to the agent's chat_message."""
    frames = []
    while True:
        frame = await receive(ws, timeout=30)
        if frame.get("room") != room:
            continue
        frames.append(frame)
        if frame["type"] == "chat_message" and frame["sender"] == "agent":
            return frames


def summary(frames):
    """The answer's frame types in order (chunks once), its text and the final message."""
    types = []
    for frame in frames:
        if not types or types[-1] != frame["type"]:
            types.append(frame["type"])
    chunks = [f for f in frames if f["type"] == "response_chunk"]
    expect([c["seq"] for c in chunks] == list(range(1, len(chunks) + 1)), "chunk seqs run from 1 without gaps")
    final = frames[-1]
    return {
        "types": types,
        "streamed": "".join(c["content"] for c in chunks),
        "final": final["content"],
        "agent": final["user"],
        "seq": final["seq"],
        "tools": [f["name"] for f in frames if f["type"] == "tool_call"],
    }


async def chat_rooms(url):
    """create/join/leave, user_joined/user_left, room_full, forbidden, room_exists, list_rooms."""
    a, _ = await connect(url)
    await send(a, {"type": "create_room", "room": "r1", "max_participants": 2, "agent": "assistant"})
    created = await receive_type(a, "room_created")
    expect(created["max_participants"] == 2 and created["agent"] == "assistant", f"room_created: {created}")
    await send(a, {"type": "create_room", "room": "r1"})
    await expect_error(a, "room_exists", request_type="create_room")
    await send(a, {"type": "join_room", "room": "r1", "user": "alice"})
    await receive_type(a, "room_joined")

    b, joined = await member(url, "r1", "bob")
    expect([m["user"] for m in joined["members"]] == ["alice", "bob"], f"members: {joined['members']}")
    seen = await receive_type(a, "user_joined")
    expect(seen["user"] == "bob" and seen["client_id"] == joined["client_id"], f"user_joined: {seen}")

    c, _ = await connect(url)
    await send(c, {"type": "join_room", "room": "r1", "user": "carol"})
    await expect_error(c, "room_full", request_type="join_room")

    await send(a, {"type": "create_room", "room": "secret", "restricted": True, "allowed": ["alice"]})
    await receive_type(a, "room_created")
    await send(c, {"type": "join_room", "room": "secret", "user": "carol"})
    await expect_error(c, "forbidden", request_type="join_room")
    await send(c, {"type": "join_room", "room": "nowhere", "user": "carol"})
    await expect_error(c, "not_found", request_type="join_room")

    await send(b, {"type": "leave_room", "room": "r1"})
    await receive_type(b, "room_left")
    left = await receive_type(a, "user_left")
    expect(left["user"] == "bob", f"user_left: {left}")
    # The seat is free again.
    await send(c, {"type": "join_room", "room": "r1", "user": "carol"})
    await receive_type(c, "room_joined")
    await c.close()
    left = await receive_type(a, "user_left")
    expect(left["user"] == "carol", f"a closed connection leaves: {left}")

    await send(a, {"type": "list_rooms"})
    rooms = {r["room"]: r for r in (await receive_type(a, "rooms"))["rooms"]}
    expect(set(rooms) == {"r1", "secret"} and rooms["r1"]["participants"] == 1, f"rooms: {rooms}")
    for ws in (a, b):
        await ws.close()
    return "OK"


async def chat_agent(url):
    """Every member sees the answer stream; handoff by transfer tool and by handoff_request."""
    a = await creator(url, "help", "alice", agent="assistant")
    await send(a, {"type": "add_agent", "room": "help", "agent": "support"})
    added = await receive_type(a, "agent_added")
    expect(added["agent"] == "support", f"agent_added: {added}")
    b, _ = await member(url, "help", "bob")

    await send(a, {"type": "chat_message", "room": "help", "content": "What's the weather in Paris?"})
    question = {}
    for name, ws in (("a", a), ("b", b)):
        message = await receive_type(ws, "chat_message")
        expect(message["sender"] == "user" and message["user"] == "alice", f"{name}: {message}")
        expect(message["content"] == "What's the weather in Paris?" and message["sent_at"].endswith("Z"), f"{message}")
        question[name] = message["seq"]
    weather = {name: summary(await answer(ws, "help")) for name, ws in (("a", a), ("b", b))}

    await send(a, {"type": "chat_message", "room": "help", "content": "Please transfer me to support"})
    handoffs = []
    for ws in (a, b):
        handoff = await receive_type(ws, "agent_handoff")
        handoffs.append({k: handoff.get(k) for k in ("from", "to")})
    after_transfer = summary(await answer(a, "help"))
    await answer(b, "help")

    await send(b, {"type": "handoff_request", "room": "help", "agent": "assistant", "reason": "back please"})
    requested = await receive_type(a, "agent_handoff")
    await send(a, {"type": "chat_message", "room": "help", "content": "Hello again"})
    after_request = summary(await answer(a, "help"))
    for ws in (a, b):
        await ws.close()
    return json.dumps({
        "question_seq": question,
        "weather": weather,
        "handoffs": handoffs,
        "after_transfer_agent": after_transfer["agent"],
        "requested": {k: requested.get(k) for k in ("from", "to", "reason", "requested_by")},
        "after_request_agent": after_request["agent"],
    })


async def chat_limits(url):
    """Typing indicators and their expiry, room_limit, too_large, rate_limited, get_history
    paging, chat_stats."""
    a = await creator(url, "quiet", "alice")
    b, _ = await member(url, "quiet", "bob")
    await receive_type(a, "user_joined")

    await send(a, {"type": "typing_start", "room": "quiet"})
    typing = await receive_type(b, "typing_start")
    await send(a, {"type": "typing_stop", "room": "quiet"})
    stopped = await receive_type(b, "typing_stop")
    expect(typing["user"] == "alice" and stopped["user"] == "alice", f"typing: {typing} {stopped}")
    # Without a typing_stop, the indicator expires by itself.
    await send(a, {"type": "typing_start", "room": "quiet"})
    await receive_type(b, "typing_start")
    expired = await receive_type(b, "typing_stop")
    expect(expired.get("expired") is True, f"typing expiry: {expired}")

    # max_rooms (2 for this server): "quiet" and one more.
    await send(a, {"type": "create_room", "room": "second"})
    await receive_type(a, "room_created")
    await send(a, {"type": "create_room", "room": "third"})
    await expect_error(a, "room_limit", request_type="create_room")

    await send(a, {"type": "chat_message", "room": "quiet", "content": "x" * 101})
    await expect_error(a, "too_large", request_type="chat_message")

    seqs = []
    refused = None
    for index in range(8):
        await send(a, {"type": "chat_message", "room": "quiet", "content": f"message {index}"})
        frame = await receive(a)
        # The room's agent answers too: wait for this message's own echo, or the refusal.
        while not (frame["type"] == "error" or (frame["type"] == "chat_message" and frame["sender"] == "user")):
            frame = await receive(a)
        if frame["type"] == "error":
            refused = frame
            break
        seqs.append(frame["seq"])
    expect(refused is not None and refused["code"] == "rate_limited", f"no rate limit after {seqs}: {refused}")

    await send(b, {"type": "get_history", "room": "quiet", "limit": 2})
    page = await receive_type(b, "history")
    await send(b, {"type": "get_history", "room": "quiet", "before_seq": page["messages"][0]["seq"], "limit": 50})
    earlier = await receive_type(b, "history")
    await send(b, {"type": "chat_stats"})
    stats = await receive_type(b, "chat_stats")
    for ws in (a, b):
        await ws.close()
    return json.dumps({
        "seqs": seqs,
        "page": [m["seq"] for m in page["messages"]],
        "page_has_more": page["has_more"],
        "earlier": [m["seq"] for m in earlier["messages"]],
        "earlier_has_more": earlier["has_more"],
        "stats": stats,
    })


async def chat_stop(url):
    """stop_stream cancels the answer in progress; the partial answer is posted, stopped."""
    a = await creator(url, "slow", "alice", agent="assistant")
    await send(a, {"type": "chat_message", "room": "slow", "content": "Tell me a long story"})
    await receive_type(a, "response_chunk", timeout=30)
    await send(a, {"type": "stop_stream", "room": "slow"})
    stop = await receive_type(a, "agent_typing_stop")
    final = await receive_type(a, "chat_message")
    await a.close()
    return json.dumps({"stopped": stop.get("stopped"), "final_stopped": final.get("stopped"), "final": final["content"]})


async def chat_post(url, room, count):
    """Creates `room` (if needed), joins it and posts `count` messages; prints their seqs."""
    a, _ = await connect(url)
    # A short in-memory history, so a reader pages back through the store.
    await send(a, {"type": "create_room", "room": room, "message_history": 2})
    await receive(a)  # room_created, or room_exists after a restart
    await send(a, {"type": "join_room", "room": room, "user": "alice"})
    await receive_type(a, "room_joined")
    seqs = []
    for index in range(int(count)):
        await send(a, {"type": "chat_message", "room": room, "content": f"note {index}"})
        seqs.append((await receive_type(a, "chat_message"))["seq"])
    await a.close()
    return json.dumps(seqs)


async def chat_history(url, room):
    """Joins `room` and pages back through its whole history; prints every seq and content."""
    a, joined = await member(url, room, "reader")
    messages = joined["history"]
    more = joined["has_more"]
    while more:
        await send(a, {"type": "get_history", "room": room, "before_seq": messages[0]["seq"], "limit": 3})
        page = await receive_type(a, "history")
        messages = page["messages"] + messages
        more = page["has_more"]
    await a.close()
    return json.dumps([[m["seq"], m["content"]] for m in messages])


async def print_chat(url, room="gated"):
    """Creates `room` with the assistant, says something, and prints every frame of the room as
    one JSON line the moment it arrives, until the agent's answer: the Swift test reads the
    lines while it releases the model's tokens one by one."""
    ws = await creator(url, room, "alice", agent="assistant")
    await send(ws, {"type": "chat_message", "room": room, "content": "hi"})
    while True:
        frame = await receive(ws, timeout=60)
        print(json.dumps(frame), flush=True)
        if frame.get("type") == "chat_message" and frame.get("sender") == "agent":
            break
    await ws.close()
    return "OK"


SCENARIOS = {
    "print_chat": print_chat,
    "chat_rooms": chat_rooms,
    "chat_agent": chat_agent,
    "chat_limits": chat_limits,
    "chat_stop": chat_stop,
    "chat_post": chat_post,
    "chat_history": chat_history,
}
