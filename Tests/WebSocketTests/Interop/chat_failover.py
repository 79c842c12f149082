#!/usr/bin/env python3
"""The chat page when its node dies: it reconnects to another node of the cluster and resumes
the answer it was showing (issue 14, "The chat page as code").

    python3 chat_failover.py --node http://127.0.0.1:P1 PID1 --node http://127.0.0.1:P2 PID2

Two `raaf-streaming serve` nodes on one Redis (a paced model, so an answer streams for
seconds). The page is opened through a TCP proxy on loopback, as behind a load balancer: the
proxy sends each new connection to the first node that is alive, so the page's connections
go to node 1 until node 1 dies, then to node 2, at the same address.

1. Alice (headless Chromium, through the proxy: node 1) picks a name and creates a room with
   the `assistant` agent; Bob (Python's `websockets`, straight to node 2) joins it;
2. Bob asks a question on node 2, so the answer runs on node 2; Alice's page shows it
   streaming;
3. node 1 is killed (SIGKILL) while the answer streams: Alice's connection ends without a
   close, her page reconnects by itself, through the proxy, to node 2, joins the room again
   and resumes the answer from `room_joined.streaming` (her page counts the resume);
4. the answer ends: Alice's page shows it once, final, with the text Bob received, and what
   she saw before the kill is the start of it; her messages are each shown once, in seq order.

With --cut-only, node 1 is not killed: the proxy cuts every connection through it (a network
path that drops, the node lives on), and the page comes back to the same node; with a single
--node, Bob is on that node too. That variant needs no cluster.

Every wait has a deadline (--timeout). Exit status: 0 when all of it was seen; 1 with the
reason on stderr; 77 when Selenium, Chromium or chromedriver are not available here.
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import threading
import time
import uuid

from chat_page import (
    ON_SCREEN, READ_PROBE, STREAM_PROBE, Browser, Failure, agent_answers, check_unique, in_room,
    load_selenium, pick_name, say, selenium_select, settled, start_browser, tid,
)

SKIPPED = 77
QUESTION = "Tell me about streaming, please."


def skip(reason):
    print(f"chat_failover: skipped: {reason}", file=sys.stderr)
    sys.exit(SKIPPED)


class Node:
    def __init__(self, url, pid):
        self.url = url.rstrip("/")
        self.pid = pid
        host_port = self.url.split("://", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self.dead = False

    def kill(self):
        self.dead = True
        os.kill(self.pid, signal.SIGKILL)


class Loop:
    """An asyncio loop on a thread of its own: the proxy and Bob's client run there, while
    Selenium drives the browser from the main thread."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Proxy:
    """A TCP proxy that sends each new connection to the first node that is alive, and cuts
    a connection (both ways) when its node's side ends."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.server = None
        self.port = None
        self.routed = []  # (node index) of each connection, in order
        self.open = set()  # the writers of the connections open now

    async def start(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def handle(self, client_reader, client_writer):
        for index, node in enumerate(self.nodes):
            if node.dead:
                continue
            try:
                node_reader, node_writer = await asyncio.open_connection(node.host, node.port)
            except OSError:
                continue
            self.routed.append(index)
            self.open |= {client_writer, node_writer}
            await asyncio.gather(self.pipe(client_reader, node_writer), self.pipe(node_reader, client_writer))
            self.open -= {client_writer, node_writer}
            return
        client_writer.close()

    async def cut(self):
        """Ends every connection open now, both ways, without a WebSocket close."""
        for writer in list(self.open):
            writer.transport.abort()

    @staticmethod
    async def pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass


class Bob:
    """A member on node 2 through Python's websockets: joins, asks, and keeps every frame."""

    def __init__(self, url):
        self.url = url.replace("http://", "ws://") + "/ws"
        self.ws = None
        self.frames = []

    async def join(self, room, timeout):
        from websockets.asyncio.client import connect
        self.ws = await connect(self.url, open_timeout=timeout)
        asyncio.get_running_loop().create_task(self.receive())
        await self.wait_for(lambda f: f.get("type") == "connected", timeout, "connected")
        await self.ws.send(json.dumps({"type": "join_room", "room": room, "user": "Bob"}))
        frame = await self.wait_for(lambda f: f.get("type") in ("room_joined", "error"), timeout, "room_joined")
        if frame["type"] == "error":
            raise Failure(f"Bob could not join {room!r} at {self.url}: {frame}")

    async def ask(self, room, content):
        await self.ws.send(json.dumps({"type": "chat_message", "room": room, "content": content}))

    async def receive(self):
        try:
            async for raw in self.ws:
                self.frames.append(json.loads(raw))
        except Exception:
            pass

    async def wait_for(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in self.frames:
                if condition(frame):
                    return frame
            await asyncio.sleep(0.02)
        raise Failure(f"Bob: no {what} within {timeout:g} s; frames: {self.frames[-5:]}")

    async def close(self):
        if self.ws is not None:
            await self.ws.close()


def scenario(args, loop, proxy, bob, alice, nodes):
    room = f"failover-{uuid.uuid4().hex[:6]}"
    url = f"http://127.0.0.1:{proxy.port}/"
    alice.driver.get(url)
    alice.wait(f"chat page at {url}", lambda p: p.js("return typeof window.raafChat === 'object'"))
    pick_name(alice, "Alice")
    alice.find(tid("room-name-input")).send_keys(room)
    selenium_select(alice, tid("agent-select"), "assistant")
    alice.find(tid("create-room")).click()
    in_room(alice, room)
    if set(proxy.routed) != {0}:
        raise Failure(f"the page's connections did not all go to node 1: {proxy.routed}")
    loop.run(bob.join(room, args.timeout), args.timeout + 5)
    alice.wait("Bob in the members list", lambda p: p.find_all(tid("member-list") + ' [data-testid="member"][data-user="Bob"]'))
    say(f"Alice (node 1, through the proxy) created {room!r}; Bob joined it on node {len(nodes)}, and Alice sees him")

    alice.js(STREAM_PROBE, False)
    loop.run(bob.ask(room, QUESTION), args.timeout)

    def streaming(page):
        now = page.js(ON_SCREEN)
        return now["text"] if now["streaming"] and len(now["text"]) >= 20 else None
    before = alice.wait("Bob's answer streaming on Alice's page", streaming)
    routed = len(proxy.routed)
    if args.cut_only:
        loop.run(proxy.cut(), 5)
        say(f"every connection through the proxy cut while Alice's page showed {before!r}")
    else:
        nodes[0].kill()
        say(f"node 1 killed while Alice's page showed {before!r}")

    alice.wait("reconnect through the proxy, room joined again",
               lambda p: len(proxy.routed) > routed and p.status() == "online" and p.js("return window.raafChat.snapshot().joined"))
    if not args.cut_only and any(index == 0 for index in proxy.routed[routed:]):
        raise Failure(f"a connection went to the dead node 1: {proxy.routed}")
    final = loop.run(bob.wait_for(lambda f: f.get("type") == "chat_message" and f.get("sender") == "agent",
                                  args.timeout, "the agent's final answer"), args.timeout + 5)
    messages = alice.wait("the answer final on Alice's page",
                          lambda p: (lambda m: m if m is not None and agent_answers(m) else None)(settled(p)))
    check_unique(alice, messages)
    answers = agent_answers(messages)
    if len(answers) != 1 or answers[0]["text"] != final["content"]:
        raise Failure(f"Alice's page shows {[a['text'] for a in answers]!r}, Bob received {final['content']!r}")
    if not final["content"].startswith(before):
        raise Failure(f"what Alice saw before the kill, {before!r}, is not the start of the answer {final['content']!r}")
    resumes = alice.js("return window.raafChat.snapshot().resumes")
    if not resumes:
        raise Failure("Alice's page came back after the answer had ended: nothing was resumed "
                      "(is the model pacing too fast, or did room_joined carry no `streaming`?)")
    probe = alice.js(READ_PROBE)
    if not final["content"].startswith(probe["last"]):
        raise Failure(f"the resumed bubble showed {probe['last']!r}, which the final answer does not start with")
    node = proxy.routed[-1] + 1
    say(f"Alice's page reconnected to node {node} and resumed the answer ({resumes} resume); it ends with the text Bob "
        f"received, shown once")
    errors = [e for e in alice.console_errors() if "WebSocket connection to" not in e]
    if errors:
        raise Failure("Alice's console has errors:\n  " + "\n  ".join(errors))


def main():
    parser = argparse.ArgumentParser(description="The chat page reconnects to another node and resumes its answer.")
    parser.add_argument("--node", nargs=2, action="append", metavar=("URL", "PID"), required=True,
                        help="a serve node: its http URL and process id (give two; the first is killed)")
    parser.add_argument("--cut-only", action="store_true",
                        help="cut the connections through the proxy instead of killing node 1 (one --node is enough)")
    parser.add_argument("--timeout", type=float, default=20, help="deadline of each wait, in seconds")
    args = parser.parse_args()
    if len(args.node) < 2 and not args.cut_only:
        parser.error("give two --node (or --cut-only)")
    nodes = [Node(url, int(pid)) for url, pid in args.node]

    selenium, chromium, chromedriver = load_selenium(skip)

    loop = Loop()
    proxy = Proxy(nodes)
    loop.run(proxy.start(), 10)
    bob = Bob(nodes[-1].url)
    alice = None
    with tempfile.TemporaryDirectory() as workdir:
        try:
            driver = start_browser(selenium, chromium, chromedriver, os.path.join(workdir, "profile"),
                                   os.path.join(workdir, "chromedriver.log"))
            alice = Browser("Alice", driver, args.timeout, selenium)
            scenario(args, loop, proxy, bob, alice, nodes)
        except Failure as failure:
            print(f"chat_failover: FAILED: {failure}", file=sys.stderr)
            if alice is not None:
                for line in alice.console_errors()[-20:]:
                    print(f"chat_failover: Alice's console: {line}", file=sys.stderr)
            sys.exit(1)
        finally:
            if alice is not None:
                try:
                    alice.driver.quit()
                except Exception:
                    pass
            try:
                loop.run(bob.close(), 5)
            except Exception:
                pass
            loop.stop()
    say("passed")


if __name__ == "__main__":
    main()
