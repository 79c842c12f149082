#!/usr/bin/env python3
"""A throwaway mock of the chat frames of the real-time protocol: a development aid for
the chat page (Sources/Adapters/WebSocket/Chat/Page/) ONLY.

It lets the page and chat_browser.py be worked on without the Swift server. It is not a
reference for the protocol and no test depends on it: the real browser test runs
chat_browser.py against `raaf-streaming serve`. It implements just the frames the page
uses, loosely (no limits, no authentication, one process, everything in memory), and a
fake agent that streams a canned answer word by word, calls a `get_weather` tool for
"weather in ...", hands off for "transfer me to <agent>", and stops on `stop_stream`.

    python3 chat_mock_server.py --port 8099          # then open http://127.0.0.1:8099/
    python3 chat_browser.py --url http://127.0.0.1:8099/ --screenshot /tmp/chat.png

GET / serves the page's index.html, and GET /chat.css, /chat.js, /chat/*.js its other files,
read from Sources/Adapters/WebSocket/Chat/Page/ on every request (edit, reload), with the
headers `serve` sends; the WebSocket is at /ws. Needs `websockets` 13 or later
(`pip install websockets`).
"""
import argparse
import asyncio
import datetime
import json
import pathlib
import re
import sys
import uuid

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

PAGE = pathlib.Path(__file__).resolve().parents[3] / "Sources/Adapters/WebSocket/Chat/Page"
DOCUMENT = "index.html"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".js": "text/javascript; charset=utf-8"}
# ChatPageRoutes.contentSecurityPolicy: ChatPageTests checks that the two are the same.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def page_file(path):
    """The page's file at an URL path ("/" is the document), as (content type, bytes), or None."""
    name = DOCUMENT if path == "/" else path.lstrip("/")
    file = (PAGE / name).resolve()
    if PAGE not in file.parents or file.suffix not in CONTENT_TYPES or not file.is_file():
        return None
    return CONTENT_TYPES[file.suffix], file.read_bytes()


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Client:
    def __init__(self, ws):
        self.id = "c-" + uuid.uuid4().hex[:10]
        self.ws = ws
        self.rooms = {}  # room name -> user name

    async def send(self, frame):
        try:
            await self.ws.send(json.dumps(frame))
        except ConnectionClosed:
            pass


class Stream:
    def __init__(self, agent):
        self.id = "s-" + uuid.uuid4().hex[:10]
        self.agent = agent
        self.seq = 0
        self.content = ""
        self.task = None
        self.stopped = False


class Room:
    def __init__(self, name, agent, settings):
        self.name = name
        self.agent = agent
        self.specialists = ["support"] if agent == "assistant" else []
        self.settings = settings
        self.members = {}  # client id -> (client, user)
        self.messages = []
        self.stream = None

    async def broadcast(self, frame, skip=None):
        for client, _ in list(self.members.values()):
            if client is not skip:
                await client.send(frame)

    async def post(self, sender, user, content, **extra):
        message = {"type": "chat_message", "room": self.name, "seq": len(self.messages) + 1, "sender": sender,
                   "user": user, "content": content, "sent_at": now(), **extra}
        self.messages.append(message)
        await self.broadcast(message)

    def summary(self):
        return {"room": self.name, "participants": len(self.members), "restricted": False, "agent": self.agent}


class MockChat:
    def __init__(self, chunk_delay, system_messages):
        self.rooms = {}
        self.chunk_delay = chunk_delay
        self.system_messages = system_messages

    async def system(self, room, text):
        if self.system_messages:
            await room.post("system", "system", text)

    async def handle(self, ws):
        client = Client(ws)
        await client.send({"type": "connected", "client_id": client.id, "authentication_required": False})
        try:
            async for raw in ws:
                try:
                    frame = json.loads(raw)
                    kind = frame["type"]
                except (ValueError, KeyError, TypeError):
                    await client.send({"type": "error", "code": "invalid_message", "message": "not a JSON object with a type"})
                    continue
                handler = getattr(self, "on_" + kind, None)
                if handler is None:
                    await self.error(client, "unknown_type", f"unknown type {kind!r}", kind)
                    continue
                await handler(client, frame)
        except ConnectionClosed:
            pass
        finally:
            for name in list(client.rooms):
                await self.leave(client, name, answer=False)

    async def error(self, client, code, message, request_type):
        await client.send({"type": "error", "code": code, "message": message, "request_type": request_type})

    def room_of(self, client, frame):
        room = self.rooms.get(frame.get("room"))
        return room if room is not None and client.id in room.members else None

    async def on_ping(self, client, frame):
        await client.send({"type": "pong"})

    async def on_list_rooms(self, client, frame):
        await client.send({"type": "rooms", "rooms": [room.summary() for room in self.rooms.values()]})

    async def on_create_room(self, client, frame):
        name = str(frame.get("room") or "").strip()
        if not name:
            return await self.error(client, "invalid_message", "a room needs a name", "create_room")
        if name in self.rooms:
            return await self.error(client, "room_exists", f"room {name!r} exists", "create_room")
        settings = {"max_participants": frame.get("max_participants", 50), "message_history": frame.get("message_history", 500)}
        self.rooms[name] = Room(name, frame.get("agent"), settings)
        await client.send({"type": "room_created", "room": name, "agent": frame.get("agent"), "restricted": False, **settings})

    async def on_join_room(self, client, frame):
        room = self.rooms.get(frame.get("room"))
        if room is None:
            return await self.error(client, "not_found", f"no room {frame.get('room')!r}", "join_room")
        user = str(frame.get("user") or "anonymous")[:40]
        room.members[client.id] = (client, user)
        client.rooms[room.name] = user
        streaming = None
        if room.stream is not None:
            streaming = {"stream": room.stream.id, "agent": room.stream.agent, "seq": room.stream.seq, "content": room.stream.content}
        await client.send({
            "type": "room_joined", "room": room.name, "user": user, "agent": room.agent, "specialists": room.specialists,
            "members": [{"client_id": cid, "user": u} for cid, (_, u) in room.members.items()],
            "last_seq": len(room.messages), "history": room.messages[-50:], "streaming": streaming,
        })
        await room.broadcast({"type": "user_joined", "room": room.name, "client_id": client.id, "user": user}, skip=client)
        await self.system(room, f"{user} joined")

    async def leave(self, client, name, answer=True):
        room = self.rooms.get(name)
        user = client.rooms.pop(name, None)
        if room is None or user is None:
            return
        room.members.pop(client.id, None)
        if answer:
            await client.send({"type": "room_left", "room": name})
        await room.broadcast({"type": "typing_stop", "room": name, "client_id": client.id, "user": user})
        await room.broadcast({"type": "user_left", "room": name, "client_id": client.id, "user": user})
        await self.system(room, f"{user} left")

    async def on_leave_room(self, client, frame):
        if self.room_of(client, frame) is None:
            return await self.error(client, "not_found", "not in that room", "leave_room")
        await self.leave(client, frame["room"])

    async def on_typing_start(self, client, frame):
        room = self.room_of(client, frame)
        if room:
            await room.broadcast({"type": "typing_start", "room": room.name, "client_id": client.id, "user": client.rooms[room.name]}, skip=client)

    async def on_typing_stop(self, client, frame):
        room = self.room_of(client, frame)
        if room:
            await room.broadcast({"type": "typing_stop", "room": room.name, "client_id": client.id, "user": client.rooms[room.name]}, skip=client)

    async def on_chat_message(self, client, frame):
        room = self.room_of(client, frame)
        if room is None:
            return await self.error(client, "not_found", "join the room first", "chat_message")
        content = str(frame.get("content") or "")
        if len(content) > 4000:
            return await self.error(client, "too_large", "at most 4000 characters", "chat_message")
        await room.post("user", client.rooms[room.name], content)
        if room.agent and room.stream is None:
            room.stream = Stream(room.agent)
            room.stream.task = asyncio.create_task(self.answer(room, room.stream, content))

    async def on_stop_stream(self, client, frame):
        room = self.room_of(client, frame)
        if room is None or room.stream is None:
            return await self.error(client, "not_found", "nothing is streaming", "stop_stream")
        room.stream.stopped = True
        room.stream.task.cancel()

    async def on_get_history(self, client, frame):
        room = self.room_of(client, frame)
        if room is None:
            return await self.error(client, "not_found", "join the room first", "get_history")
        before = frame.get("before_seq") or len(room.messages) + 1
        limit = max(1, min(int(frame.get("limit") or 50), 200))
        older = [m for m in room.messages if m["seq"] < before]
        page = older[-limit:]
        await client.send({"type": "history", "room": room.name, "messages": page, "has_more": len(older) > len(page)})

    async def on_add_agent(self, client, frame):
        room = self.room_of(client, frame)
        if room is None:
            return await self.error(client, "not_found", "join the room first", "add_agent")
        agent = frame.get("agent")
        if agent not in room.specialists:
            room.specialists.append(agent)
        await room.broadcast({"type": "agent_added", "room": room.name, "agent": agent})

    async def on_handoff_request(self, client, frame):
        room = self.room_of(client, frame)
        if room is None:
            return await self.error(client, "not_found", "join the room first", "handoff_request")
        await self.handoff(room, frame.get("agent"), frame.get("reason") or "asked by a member", client.rooms[room.name])

    async def handoff(self, room, target, reason, requested_by=None):
        previous, room.agent = room.agent, target
        if previous and previous not in room.specialists:
            room.specialists.append(previous)
        frame = {"type": "agent_handoff", "room": room.name, "from": previous, "to": target, "reason": reason}
        if requested_by:
            frame["requested_by"] = requested_by
        await room.broadcast(frame)
        await self.system(room, f"{previous} handed the conversation to {target}")

    async def on_chat_stats(self, client, frame):
        await client.send({"type": "chat_stats", "rooms": len(self.rooms), "messages": sum(len(r.messages) for r in self.rooms.values())})

    async def answer(self, room, stream, text):
        """The fake agent: typing, a tool call or a handoff, the answer word by word, the final message."""
        start = {"type": "agent_typing_start", "room": room.name, "agent": stream.agent, "stream": stream.id}
        await room.broadcast(start)
        try:
            await asyncio.sleep(self.chunk_delay * 4)
            lowered = text.lower()
            transfer = re.search(r"transfer me to (\w+)", lowered)
            if transfer:
                await self.stream_words(room, stream, "Sure, I am handing you over to a colleague.")
                await self.finish(room, stream, stopped=False)
                await self.handoff(room, transfer.group(1), "the member asked for it")
                room.stream = Stream(room.agent)
                room.stream.task = asyncio.current_task()
                stream = room.stream
                await room.broadcast({**start, "agent": stream.agent, "stream": stream.id})
                answer = f"Hello, this is {stream.agent}. I have taken over the conversation. How can I help?"
            else:
                city = re.search(r"weather in ([A-Za-z ]+)", text)
                if city:
                    call = {"room": room.name, "stream": stream.id, "agent": stream.agent, "call_id": "call_" + uuid.uuid4().hex[:8], "name": "get_weather"}
                    await room.broadcast({"type": "tool_call", **call, "arguments": json.dumps({"city": city.group(1).strip()})})
                    await asyncio.sleep(self.chunk_delay * 4)
                    await room.broadcast({"type": "tool_output", **call, "output": f"{city.group(1).strip()}: partly cloudy, 18 °C", "is_error": False})
                answer = (f"You said: “{text}”\n\nThis is {stream.agent}, answering from the mock server. "
                          "Each word reaches you as it is produced, token by token.")
                if city:
                    answer = f"It is partly cloudy in {city.group(1).strip()}, 18 °C. " + answer
            await self.stream_words(room, stream, answer)
            await self.finish(room, stream, stopped=False)
        except asyncio.CancelledError:
            await self.finish(room, room.stream or stream, stopped=True)

    async def stream_words(self, room, stream, text):
        for piece in re.findall(r"\S+\s*|\s+", text):
            stream.seq += 1
            stream.content += piece
            await room.broadcast({"type": "response_chunk", "room": room.name, "stream": stream.id, "seq": stream.seq,
                                  "agent": stream.agent, "content": piece})
            await asyncio.sleep(self.chunk_delay)

    async def finish(self, room, stream, stopped):
        room.stream = None
        await room.broadcast({"type": "agent_typing_stop", "room": room.name, "agent": stream.agent, "stream": stream.id, "stopped": stopped})
        extra = {"stopped": True} if stopped else {}
        await room.post("agent", stream.agent, stream.content, **extra)


def process_request(connection, request):
    path = request.path.split("?", 1)[0]
    if path == "/ws":
        return None
    found = page_file(path)
    if found is None:
        return connection.respond(404, "not found\n")
    content_type, body = found
    headers = Headers([
        ("Content-Type", content_type), ("Cache-Control", "no-cache"), ("X-Content-Type-Options", "nosniff"),
        ("Content-Length", str(len(body))),
        # websockets closes a connection after a response that is not an upgrade.
        ("Connection", "close"),
    ])
    if path == "/":
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return Response(200, "OK", headers, body)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--chunk-delay", type=float, default=0.06, help="seconds between the fake agent's chunks")
    parser.add_argument("--no-system-messages", action="store_true", help="no system chat_messages for joins, leaves, handoffs")
    args = parser.parse_args()
    chat = MockChat(args.chunk_delay, not args.no_system_messages)
    async with serve(chat.handle, args.host, args.port, process_request=process_request) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"chat mock listening on http://{args.host}:{port}/", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
