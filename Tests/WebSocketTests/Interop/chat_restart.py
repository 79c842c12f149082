"""The chat page after a close with 1012 (service restart: a server draining for a deploy):
it reconnects at once instead of waiting its backoff.

A websockets server serves the page (chat_mock_server.process_request: the same files as
`serve`) and greets each connection with `connected`, then closes the first four with 1001
(the page's backoff grows: its fourth wait is 2 to 4 s) and the fifth with 1012; the sixth
stays open. The page must come back after the 1012 within 1.5 s (its backoff would be 4 to 8 s),
while it waited at least 1.5 s after the fourth close (the backoff is on: the control).
Prints one JSON line: the waits, in seconds. Exit 0 on success, 1 on a mismatch, 77 when
skipped (no Chromium or Selenium).
"""
import asyncio
import json
import os
import sys
import tempfile
import threading
import time

from websockets.asyncio.server import serve

from chat_mock_server import process_request
from chat_page import load_selenium, start_browser

SKIPPED = 77
CLOSES = [1001, 1001, 1001, 1001, 1012]


def skip(reason):
    print(f"skipped: {reason}")
    sys.exit(SKIPPED)


class Server:
    def __init__(self):
        self.opened = []
        self.closed = []
        self.port = None
        self.ready = threading.Event()

    async def handle(self, ws):
        index = len(self.opened)
        self.opened.append(time.monotonic())
        await ws.send(json.dumps({"type": "connected", "client_id": f"c-{index}", "authentication_required": False}))
        if index < len(CLOSES):
            await ws.close(code=CLOSES[index], reason="test")
            self.closed.append(time.monotonic())
        else:
            await ws.wait_closed()

    async def run(self, stop):
        async with serve(self.handle, "127.0.0.1", 0, process_request=process_request) as server:
            self.port = server.sockets[0].getsockname()[1]
            self.ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)


def main():
    selenium, chromium, chromedriver = load_selenium(skip)

    server = Server()
    stop = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(server.run(stop)), daemon=True)
    thread.start()
    server.ready.wait(10)
    with tempfile.TemporaryDirectory() as workdir:
        driver = start_browser(selenium, chromium, chromedriver, os.path.join(workdir, "profile"),
                               os.path.join(workdir, "chromedriver.log"))
        try:
            driver.get(f"http://127.0.0.1:{server.port}/")
            deadline = time.monotonic() + 40
            while len(server.opened) <= len(CLOSES) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            driver.quit()
            stop.set()
    if len(server.opened) <= len(CLOSES):
        print(f"MISMATCH: the page opened {len(server.opened)} connections, not {len(CLOSES) + 1}")
        sys.exit(1)
    waits = [round(server.opened[i + 1] - server.closed[i], 3) for i in range(len(CLOSES))]
    print(json.dumps({"waits": waits}))
    if waits[-1] >= 1.5:
        print(f"MISMATCH: the page waited {waits[-1]} s after 1012")
        sys.exit(1)
    if waits[-2] < 1.5:
        print(f"MISMATCH: the page waited only {waits[-2]} s after its fourth 1001: no backoff to skip")
        sys.exit(1)


if __name__ == "__main__":
    main()
