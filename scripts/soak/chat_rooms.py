"""Chat rooms with agent answers on the paced model. A few rooms, each with one speaker who asks
(and waits for each answer before the next question) and members who come and go: they join
(mid-answer too: `room_joined` carries the answer so far), watch for a while, and leave with
`leave_room`, by closing, or by a reset. Every member checks every answer it watched to its end:
the `response_chunk`s, and the agent's `chat_message`, equal the model's answer to the question."""
import asyncio

import model_text
import worker
from wire import Mismatch, connect, cut, expect, receive, send, ws_url

ROOMS = 4
ANSWER_TIMEOUT = 60
ENDINGS = ["leave", "close", "reset"]


def room_name(index):
    return f"soak-room-{index}"


def expected_answer(question):
    return "".join(model_text.tokens_for(question))


class RoomView:
    """One member's view of a room's answers: the answer in progress and the question it answers."""

    def __init__(self, context, joined):
        self.context = context
        self.question = None
        for message in joined.get("history") or []:
            if message.get("sender") == "user":
                self.question = message["content"]
        streaming = joined.get("streaming")
        self.stream = streaming["stream"] if streaming else None
        self.text = streaming["content"] if streaming else ""
        self.seq = streaming["seq"] if streaming else 0
        self.answering = self.question
        self.answers = 0

    def on(self, frame):
        kind = frame.get("type")
        tally = self.context.tally
        if kind == "chat_message" and frame.get("sender") == "user":
            self.question = frame["content"]
        elif kind == "agent_typing_start":
            self.stream, self.text, self.seq, self.answering = frame["stream"], "", 0, self.question
        elif kind == "response_chunk" and frame.get("stream") == self.stream:
            expect(frame["seq"] == self.seq + 1, f"{self.stream}: chunk {frame['seq']} after {self.seq}")
            self.seq = frame["seq"]
            self.text += frame["content"]
        elif kind == "agent_typing_stop":
            expect(not frame.get("stopped"), f"an answer was stopped: {frame}")
        elif kind == "chat_message" and frame.get("sender") == "agent":
            if frame.get("stream") != self.stream:
                tally.count("answers_joined_too_late")  # began before this member could see it
                return
            expected = expected_answer(self.answering)
            if self.text == expected and frame["content"] == expected:
                tally.count("streams_verified")
            else:
                tally.count("streams_failed")
                tally.fail("answer_text", f"{self.stream}: chunks {len(self.text)} chars, message {len(frame['content'])}, model {len(expected)}")
            self.stream, self.answers = None, self.answers + 1
        elif kind == "error":
            raise Mismatch(f"error frame {frame}")


async def join(context, room, user):
    ws, _ = await connect(ws_url(context.url))
    await send(ws, {"type": "join_room", "room": room, "user": user})
    while True:
        frame = await receive(ws)
        if frame.get("type") == "room_joined":
            return ws, RoomView(context, frame)
        expect(frame.get("type") in ("user_joined", "user_left", "typing_start", "typing_stop"), f"before room_joined: {frame}")


async def setup(context):
    ws, _ = await connect(ws_url(context.url))
    for index in range(ROOMS):
        await send(ws, {"type": "create_room", "room": room_name(index), "agent": "assistant", "message_history": 40, "user": "soak"})
        frame = await receive(ws)
        expect(frame.get("type") == "room_created" or frame.get("code") == "room_exists", f"create_room: {frame}")
    await ws.close()


async def speaker(context, index):
    ws, view = await join(context, room_name(index), f"speaker-{index}")
    while context.running:
        key, count = model_text.new_key(context.rng), context.rng.randint(40, 120)
        if context.rng.random() < 0.5:
            await send(ws, {"type": "typing_start", "room": room_name(index)})
        await send(ws, {"type": "chat_message", "room": room_name(index), "content": model_text.prompt(key, count)})
        context.tally.count("questions")
        answers = view.answers
        deadline = asyncio.get_running_loop().time() + ANSWER_TIMEOUT
        while view.answers == answers:
            view.on(await receive(ws, timeout=max(0.1, deadline - asyncio.get_running_loop().time())))
        await asyncio.sleep(context.rng.uniform(0.3, 2))
    await send(ws, {"type": "leave_room", "room": room_name(index)})
    await ws.close()


async def observer(context, slot):
    room = room_name(context.rng.randrange(ROOMS))
    ws, view = await join(context, room, f"member-{slot}")
    context.tally.count("joins")
    if view.stream:
        context.tally.count("joined_mid_answer")
    watch_until = asyncio.get_running_loop().time() + context.rng.uniform(3, 15)
    while (remaining := watch_until - asyncio.get_running_loop().time()) > 0:
        try:
            view.on(await receive(ws, timeout=remaining))
        except asyncio.TimeoutError:
            break
    ending = context.rng.choice(ENDINGS)
    if ending == "leave":
        await send(ws, {"type": "leave_room", "room": room})
        await ws.close()
    elif ending == "close":
        await ws.close()
    else:
        cut(ws)
    context.tally.count(f"left_{ending}")


async def session(context, slot):
    await (speaker(context, slot) if slot < ROOMS else observer(context, slot))


if __name__ == "__main__":
    worker.main("chat", session, concurrency=ROOMS + 12, setup=setup)
