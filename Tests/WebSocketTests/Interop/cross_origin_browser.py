#!/usr/bin/env python3
"""A browser app on another origin streams an agent's answer: headless Chromium, Selenium.

    python3 cross_origin_browser.py --api http://127.0.0.1:SERVE --allowed-port P --denied-port Q \
        --control FILE --tokens N

`raaf-streaming serve` runs at --api with WEBSOCKET_ALLOWED_ORIGINS=http://127.0.0.1:P and a
gated model (Tests/Support/Fixtures/gated_model.py) that sends token k once FILE holds k.
This script serves Tests/WebSocketTests/Browser/cross_origin.html on two origins of its own
(ports P and Q) and puts a TCP relay between the browser and `serve`, which notes every
request (method, path, Origin, Last-Event-ID) and can cut the connections of
GET /v1/streams/ID: the server's side of the connection goes away mid-stream.

1. The page on the allowed origin starts the answer with fetch (POST, a CORS preflight
   first), reads X-Stream-ID and the first chunk from the POST, then follows with
   EventSource on GET /v1/streams/ID.
2. With two tokens shown, the relay cuts the EventSource connection; two more tokens are
   sent while the page is away. EventSource reconnects by itself, with Last-Event-ID, and
   gets exactly the frames after it. The rest of the answer follows; the page must show
   the whole text once, and end on `complete`.
3. The same page on the denied origin is refused by the browser: the preflight gets no
   Access-Control-Allow-Origin, and no POST reaches the server.

Every wait has a deadline; nothing sleeps blindly. Exit status: 0 when all of it was seen;
1 with the reason on stderr otherwise; 77 with the reason when Selenium, Chromium or
chromedriver are not available here.
"""
import argparse
import functools
import http.server
import os
import re
import socket
import sys
import tempfile
import threading

from chat_page import Browser, Failure, load_selenium, say, start_browser

SKIPPED = 77
PAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Browser")


def skip(reason):
    print(f"cross_origin_browser: skipped: {reason}", file=sys.stderr)
    sys.exit(SKIPPED)


class Relay:
    """A TCP relay on 127.0.0.1 that records the requests passing through it."""

    HEAD = re.compile(rb"(GET|POST|OPTIONS|HEAD) (\S+) HTTP/1\.1\r\n(.*?)\r\n\r\n", re.S)

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.requests = []
        self.connections = []  # (client socket, upstream socket, [latest path])
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            latest = [None]
            with self.lock:
                self.connections.append((client, upstream, latest))
            threading.Thread(target=self.pipe, args=(client, upstream, latest), daemon=True).start()
            threading.Thread(target=self.pipe, args=(upstream, client, None), daemon=True).start()

    def pipe(self, source, target, latest):
        pending = b""
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if latest is not None:
                    pending += data
                    while (match := self.HEAD.search(pending)):
                        headers = {}
                        for line in match.group(3).split(b"\r\n"):
                            name, _, value = line.partition(b":")
                            headers[name.strip().lower().decode()] = value.strip().decode()
                        latest[0] = match.group(2).decode()
                        with self.lock:
                            self.requests.append({"method": match.group(1).decode(), "path": latest[0],
                                                  "origin": headers.get("origin"), "last_event_id": headers.get("last-event-id")})
                        pending = pending[match.end():]
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut_streams(self):
        """Closes every connection whose latest request follows a stream; returns how many."""
        cut = 0
        with self.lock:
            for client, upstream, latest in self.connections:
                if latest[0] and latest[0].startswith("/v1/streams/"):
                    for sock in (client, upstream):
                        try:
                            sock.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                    latest[0] = None
                    cut += 1
        return cut

    def seen(self, method=None, prefix="", origin=None):
        with self.lock:
            return [r for r in self.requests if (method is None or r["method"] == method) and r["path"].startswith(prefix)
                    and (origin is None or r["origin"] == origin)]


def serve_pages(port):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=os.path.abspath(PAGES))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def scenario(args, browser, relay):
    driver = browser.driver
    def release(count):
        with open(args.control, "w") as control:
            control.write(str(count))

    def page():
        return driver.execute_script("return window.crossOrigin || null")

    def shown():
        return driver.execute_script("return document.getElementById('answer').textContent")

    text = lambda count: "".join(f"t{k} " for k in range(1, count + 1))
    api = f"http://127.0.0.1:{relay.port}"
    allowed = f"http://127.0.0.1:{args.allowed_port}"
    denied = f"http://127.0.0.1:{args.denied_port}"

    # 1. fetch (POST) on the allowed origin, then EventSource.
    driver.get(f"{allowed}/cross_origin.html?api={api}")
    browser.wait("POST of the page", lambda _: relay.seen("POST", "/v1/agents/", allowed))
    if not relay.seen("OPTIONS", "/v1/agents/", allowed):
        raise Failure("the browser sent no CORS preflight before its JSON POST")
    release(1)
    state = browser.wait("first chunk shown and EventSource open", lambda _: (p := page()) and p["opens"] >= 1 and p)
    if not state["streamId"] or not state["streamId"].startswith("s-"):
        raise Failure(f"the page could not read X-Stream-ID: {state['streamId']!r}")
    if not state["fetched"] or shown() != text(1):
        raise Failure(f"the first chunk did not come through fetch: {state}")
    say(f"the page POSTed from {allowed}, read stream {state['streamId']} and its first chunk, and follows it with EventSource")
    release(2)
    browser.wait("second token through EventSource", lambda _: shown() == text(2))
    at_cut = page()["lastSeq"]

    # 2. The connection is cut mid-stream; tokens come while the page is away.
    if relay.cut_streams() != 1:
        raise Failure(f"expected one EventSource connection to cut, requests: {relay.requests}")
    release(4)
    state = browser.wait("EventSource to reconnect", lambda _: (p := page()) and p["opens"] >= 2 and p)
    follows = relay.seen("GET", "/v1/streams/")
    if len(follows) < 2 or follows[0]["last_event_id"] is not None or follows[-1]["last_event_id"] != str(at_cut):
        raise Failure(f"EventSource did not resume with Last-Event-ID {at_cut}: {follows}")
    release(args.tokens)
    state = browser.wait("the whole answer and complete", lambda _: (p := page()) and (p["done"] or p["error"]) and p)
    after_cut = [f["seq"] for f in state["received"] if f["open"] == 2]
    if state["error"] or shown() != text(args.tokens):
        raise Failure(f"the page shows {shown()!r}, expected {text(args.tokens)!r} once (error {state['error']})")
    if not after_cut or after_cut[0] != at_cut + 1 or after_cut != list(range(at_cut + 1, at_cut + 1 + len(after_cut))):
        raise Failure(f"after the reconnect the frames were {after_cut}, expected {at_cut + 1}, {at_cut + 2}, ...")
    say(f"cut after seq {at_cut}: EventSource came back with Last-Event-ID {at_cut}, got seq {after_cut[0]}..{after_cut[-1]}, "
        f"and the page shows {shown()!r} once")

    # 3. A disallowed origin.
    driver.get(f"{denied}/cross_origin.html?api={api}")
    state = browser.wait("the page on the denied origin to finish", lambda _: (p := page()) and p["phase"] in ("refused", "error", "streaming", "complete") and p)
    if state["phase"] != "refused":
        raise Failure(f"the page on {denied} was not refused: {state}")
    if relay.seen("POST", origin=denied) or not relay.seen("OPTIONS", origin=denied):
        raise Failure(f"expected only a refused preflight from {denied}: {relay.seen(origin=denied)}")
    say(f"the page on {denied} was refused by the browser ({state['error']}); no POST reached the server")


def main():
    parser = argparse.ArgumentParser(description="A page on another origin streams with fetch and EventSource.")
    parser.add_argument("--api", required=True, help="raaf-streaming serve, e.g. http://127.0.0.1:8080")
    parser.add_argument("--allowed-port", type=int, required=True)
    parser.add_argument("--denied-port", type=int, required=True)
    parser.add_argument("--control", required=True, help="the gated model's control file")
    parser.add_argument("--tokens", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()
    selenium, chromium, chromedriver = load_selenium(skip)

    relay = Relay(int(args.api.rsplit(":", 1)[1]))
    servers = [serve_pages(args.allowed_port), serve_pages(args.denied_port)]
    workdir = tempfile.mkdtemp(prefix="cross-origin-")
    try:
        driver = start_browser(selenium, chromium, chromedriver, os.path.join(workdir, "profile"), os.path.join(workdir, "chromedriver.log"))
    except selenium["WebDriverException"] as error:
        skip(f"Chromium could not be started: {str(error.msg or error).splitlines()[0]}")
    try:
        scenario(args, Browser("the page", driver, args.timeout, selenium), relay)
    except Failure as failure:
        print(f"cross_origin_browser: {failure}", file=sys.stderr)
        for entry in driver.get_log("browser")[-20:]:
            print(f"cross_origin_browser: console: {entry.get('message')}", file=sys.stderr)
        print(f"cross_origin_browser: requests: {relay.requests}", file=sys.stderr)
        return 1
    finally:
        driver.quit()
        for server in servers:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
