"""Chat rooms across `serve` processes sharing one Redis (issue 14): what members connected to
different nodes see. Every scenario takes the nodes' WebSocket URLs joined by commas.

- `chat_cluster_message URLS`: members on nodes 1 and 2; a message from node 3; everyone sees it
  and the agent's whole answer (typing start, the chunks once in order, typing stop, the answer).
- `chat_cluster_order URLS`: members on three nodes write at once; everyone sees the same order.
- `chat_cluster_seat URLS`: the last seat taken from two nodes at once: one wins, one `room_full`.
- `chat_cluster_kill URLS MODE`: signals "ready", waits for "killed", then checks MODE:
  - `member_node`: node 2 (with bob) was SIGKILLed: `user_left` for bob on node 1 within 3 s.
  - `member_node_paused`: node 2 (with bob) was SIGSTOPped: `user_left` for bob on node 1 within
    3 s; signals "left", waits for "continued" (node 2 SIGCONTed): node 2 learns it was taken for
    lost and closes bob with 1012; bob joins again on node 3 and the room lists ann and bob once;
    signals "rejoined" and waits for "checked" (the test counts who listens to the room meanwhile).
  - `answer_node`: node 3 (running the answer) was SIGKILLed: members on nodes 1 and 2 see the
    answer end (`agent_typing_stop` with `node_lost`) within 4 s, and the room answers again.
- `chat_cluster_restart URLS PHASE`: `before` writes messages and prints the last seq; `after`
  (every node restarted) finds them in `room_joined` and `get_history`, and numbering goes on.
"""
import asyncio
import json
import time

from common import close_code_after, connect, expect, receive, send, signal, wait_signal

ROOM = "cluster-room"


async def member(url, room, user):
    ws, _ = await connect(url)
    await send(ws, {"type": "join_room", "room": room, "user": user})
    joined = await until(ws, lambda f: f.get("type") == "room_joined" and f.get("room") == room)
    return ws, joined


async def until(ws, predicate, timeout=30, seen=None):
    """Reads frames until one matches `predicate`; keeps every frame read in `seen`."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await receive(ws, max(0.1, deadline - time.monotonic()))
        if seen is not None:
            seen.append(frame)
        if predicate(frame):
            return frame


async def create(url, room, **settings):
    ws, _ = await connect(url)
    await send(ws, {"type": "create_room", "room": room, **settings})
    reply = await until(ws, lambda f: f.get("type") in ("room_created", "error"))
    expect(reply["type"] == "room_created", f"create_room: {reply}")
    return ws


async def read_answer(ws, room, timeout=60):
    """The frames of `room` up to the agent's whole (not stopped) message."""
    frames = []
    await until(ws, lambda f: f.get("room") == room and f.get("type") == "chat_message" and f.get("sender") == "agent"
                and not f.get("stopped"), timeout, frames)
    return [f for f in frames if f.get("room") == room]


def last_answer(frames):
    """The frames of the last answer in `frames`, from its agent_typing_start."""
    starts = [i for i, f in enumerate(frames) if f["type"] == "agent_typing_start"]
    return frames[starts[-1]:] if starts else frames


def answer_summary(frames):
    kinds = [f["type"] for f in frames if f["type"] in ("agent_typing_start", "agent_typing_stop", "chat_message")]
    chunks = [f for f in frames if f["type"] == "response_chunk"]
    return {
        "kinds": [k for k in kinds if k != "chat_message"] + ["chat_message"],
        "seqs": [f["seq"] for f in chunks],
        "text": "".join(f["content"] for f in chunks),
        "final": frames[-1]["content"],
    }


async def chat_cluster_message(urls):
    first, second, third = urls.split(",")
    owner = await create(first, ROOM, agent="assistant")
    await owner.close()
    ann, _ = await member(first, ROOM, "ann")
    bob, joined = await member(second, ROOM, "bob")
    expect([m["user"] for m in joined["members"]] == ["ann", "bob"], f"members on node 2: {joined['members']}")
    cleo, _ = await member(third, ROOM, "cleo")
    await send(cleo, {"type": "chat_message", "room": ROOM, "content": "Tell me about streaming."})
    summaries = []
    for name, ws in (("node 1", ann), ("node 2", bob), ("node 3", cleo)):
        frames = await read_answer(ws, ROOM)
        users = [f for f in frames if f["type"] == "chat_message" and f["sender"] == "user"]
        expect(len(users) == 1 and users[0]["content"] == "Tell me about streaming." and users[0]["seq"] == 1,
               f"{name}: the user's message {users}")
        summary = answer_summary(last_answer(frames))
        expect(summary["seqs"] == list(range(1, len(summary["seqs"]) + 1)), f"{name}: chunk seqs {summary['seqs']}")
        expect(summary["text"] == summary["final"] and summary["text"], f"{name}: the answer differs from its chunks")
        summaries.append(summary)
    expect(summaries[0] == summaries[1] == summaries[2], "the members on three nodes saw different answers")
    for ws in (ann, bob, cleo):
        await ws.close()
    return {"chunks": len(summaries[0]["seqs"])}


async def chat_cluster_order(urls):
    nodes = urls.split(",")
    await create(nodes[0], "order-room")
    members = [(await member(url, "order-room", f"user{i}"))[0] for i, url in enumerate(nodes)]

    async def write(index, ws):
        for n in range(10):
            await send(ws, {"type": "chat_message", "room": "order-room", "content": f"{index}-{n}"})

    await asyncio.gather(*(write(i, ws) for i, ws in enumerate(members)))
    orders = []
    for ws in members:
        seen = []
        while len(seen) < 30:
            frame = await receive(ws, 30)
            if frame.get("type") == "chat_message" and frame.get("sender") == "user":
                seen.append((frame["seq"], frame["content"]))
        orders.append(seen)
    expect(orders[0] == orders[1] == orders[2], "members on three nodes saw different orders")
    seqs = [seq for seq, _ in orders[0]]
    expect(seqs == sorted(seqs) and len(set(seqs)) == 30, f"seqs {seqs}")
    for ws in members:
        await ws.close()
    return {"messages": 30}


async def chat_cluster_seat(urls):
    first, second, third = urls.split(",")
    await create(first, "seat-room", max_participants=2)
    owner, _ = await member(first, "seat-room", "owner")
    a, _ = await connect(second)
    b, _ = await connect(third)
    await asyncio.gather(
        send(a, {"type": "join_room", "room": "seat-room", "user": "a"}),
        send(b, {"type": "join_room", "room": "seat-room", "user": "b"}))
    outcomes = []
    for ws in (a, b):
        reply = await until(ws, lambda f: f.get("type") in ("room_joined", "error"))
        outcomes.append(reply["type"] if reply["type"] == "room_joined" else reply["code"])
    expect(sorted(outcomes) == ["room_full", "room_joined"], f"outcomes {outcomes}")
    for ws in (owner, a, b):
        await ws.close()
    return {"outcomes": sorted(outcomes)}


async def bob_leaves(ann, event):
    """Signals "ready" once ann sees bob, waits for `event` (the test killed or stopped bob's
    node), then for bob's `user_left` at ann: within 3 s. Returns the time it took."""
    await until(ann, lambda f: f.get("type") == "user_joined" and f.get("user") == "bob")
    signal("ready")
    await wait_signal(event)
    started = time.monotonic()
    await until(ann, lambda f: f.get("type") == "user_left" and f.get("user") == "bob", timeout=10)
    elapsed = time.monotonic() - started
    expect(elapsed < 3.0, f"user_left after {elapsed:.2f} s")
    return elapsed


async def chat_cluster_kill(urls, mode):
    first, second, third = urls.split(",")
    room = f"kill-{mode}"
    await create(first, room, agent="assistant")
    ann, _ = await member(first, room, "ann")
    bob, _ = await member(second, room, "bob")
    if mode == "member_node":
        elapsed = await bob_leaves(ann, "killed")
        later, joined = await member(third, room, "later")
        expect([m["user"] for m in joined["members"]] == ["ann", "later"], f"ghost members: {joined['members']}")
        return {"user_left_after_s": round(elapsed, 2)}
    if mode == "member_node_paused":
        left_after = await bob_leaves(ann, "stopped")
        signal("left")
        await wait_signal("continued")
        resumed = time.monotonic()
        _, code = await close_code_after(bob, timeout=10)
        closed_after = time.monotonic() - resumed
        expect(code == 1012, f"bob's connection on the node taken for lost closed with {code}")
        bob, joined = await member(third, room, "bob")
        expect([m["user"] for m in joined["members"]] == ["ann", "bob"], f"members after bob's return: {joined['members']}")
        await until(ann, lambda f: f.get("type") == "user_joined" and f.get("user") == "bob")
        signal("rejoined")
        await wait_signal("checked")
        return {"user_left_after_s": round(left_after, 2), "closed_1012_after_resume_s": round(closed_after, 2)}

    cleo, _ = await member(third, room, "cleo")
    await send(cleo, {"type": "chat_message", "room": room, "content": "Tell me about streaming."})
    for ws in (ann, bob):
        await until(ws, lambda f: f.get("type") == "response_chunk" and f.get("seq", 0) >= 3)
    signal("ready")
    await wait_signal("killed")
    started = time.monotonic()
    stopped_after = []
    for name, ws in (("node 1", ann), ("node 2", bob)):
        stop = await until(ws, lambda f: f.get("type") == "agent_typing_stop", timeout=10)
        elapsed = time.monotonic() - started
        stopped_after.append(round(elapsed, 2))
        expect(elapsed < 4.0, f"{name}: agent_typing_stop after {elapsed:.2f} s")
        expect(stop.get("error", {}).get("code") == "node_lost", f"{name}: {stop}")
    await send(ann, {"type": "chat_message", "room": room, "content": "Are you still there?"})
    frames = await read_answer(bob, room)
    summary = answer_summary([f for f in last_answer(frames) if f["type"] != "chat_message" or f["sender"] == "agent"])
    expect(summary["seqs"] == list(range(1, len(summary["seqs"]) + 1)), f"the next answer's chunks {summary['seqs']}")
    expect(summary["text"] and summary["final"] == summary["text"], "the room did not answer again")
    return {"typing_stop_after_s": stopped_after, "answered_again_after_s": round(time.monotonic() - started, 2)}


async def chat_cluster_restart(urls, phase):
    first, second, third = urls.split(",")
    if phase == "before":
        await create(first, "durable")
        ws, _ = await member(second, "durable", "ann")
        for n in range(5):
            await send(ws, {"type": "chat_message", "room": "durable", "content": f"message {n}"})
        last = 0
        while last < 5:
            frame = await receive(ws, 30)
            if frame.get("type") == "chat_message" and frame.get("sender") == "user":
                last = frame["seq"]
        return {"last_user_seq": last}
    ws, joined = await member(third, "durable", "bob")
    contents = [m["content"] for m in joined["history"] if m["sender"] == "user"]
    expect(contents == [f"message {n}" for n in range(5)], f"history after the restart: {contents}")
    last_seq = joined["last_seq"]
    await send(ws, {"type": "get_history", "room": "durable", "limit": 3})
    page = await until(ws, lambda f: f.get("type") in ("history", "error"))
    expect(page["type"] == "history" and [m["seq"] for m in page["messages"]] == list(range(last_seq - 2, last_seq + 1)),
           f"get_history: {page}")
    await send(ws, {"type": "chat_message", "room": "durable", "content": "after"})
    frame = await until(ws, lambda f: f.get("type") == "chat_message" and f.get("content") == "after")
    expect(frame["seq"] == last_seq + 1, f"numbering went on at {frame['seq']}, last_seq was {last_seq}")
    return {"last_seq": last_seq}


SCENARIOS = {
    "chat_cluster_message": chat_cluster_message,
    "chat_cluster_order": chat_cluster_order,
    "chat_cluster_seat": chat_cluster_seat,
    "chat_cluster_kill": chat_cluster_kill,
    "chat_cluster_restart": chat_cluster_restart,
}
