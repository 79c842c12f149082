"""A small HTTP/1.1 client for Server-Sent Events on asyncio streams (stdlib only): one request per
connection, chunked or plain bodies, events parsed as they arrive, and two ways to hang up."""
import asyncio
import json
from urllib.parse import urlsplit

from wire import reset


class SSEResponse:
    def __init__(self, reader, writer, status, headers):
        self.reader = reader
        self.writer = writer
        self.status = status
        self.headers = headers
        self.chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        self.buffer = b""
        self.body_done = False

    async def _more(self, timeout):
        """Appends the next piece of the body to the buffer; False at its end."""
        if self.body_done:
            return False
        if self.chunked:
            size = int((await asyncio.wait_for(self.reader.readuntil(b"\r\n"), timeout)).split(b";")[0], 16)
            data = await asyncio.wait_for(self.reader.readexactly(size + 2), timeout)
            if size == 0:
                self.body_done = True
                return False
            self.buffer += data[:-2]
        else:
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not data:
                self.body_done = True
                return False
            self.buffer += data
        return True

    async def next_event(self, timeout=30):
        """The next event as {"id", "event", "data"} (data parsed as JSON), or None at the end."""
        while True:
            # Events end with a blank line; lines may end with \n or \r\n.
            normalized = self.buffer.replace(b"\r\n", b"\n")
            end = normalized.find(b"\n\n")
            if end >= 0:
                block, self.buffer = normalized[:end], normalized[end + 2 :]
                event = {"data": []}
                for line in block.decode("utf-8").split("\n"):
                    if not line or line.startswith(":"):
                        continue
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "data":
                        event["data"].append(value)
                    elif name in ("id", "event", "retry"):
                        event[name] = value
                if not event["data"]:
                    continue
                event["data"] = json.loads("\n".join(event["data"]))
                return event
            if not await self._more(timeout):
                return None

    async def body_json(self, timeout=30):
        while await self._more(timeout):
            pass
        return json.loads(self.buffer or b"null")

    def close(self):
        """Hangs up with a FIN, as a browser tab that closes does."""
        self.writer.close()

    def reset(self):
        """Hangs up with a reset, as a lost network does."""
        reset(self.writer.transport)


async def request(base, method, path, body=None, headers=None, timeout=30):
    """Sends one request and reads the status line and headers; the body is read from the result."""
    parts = urlsplit(base)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port), timeout)
    data = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", "Accept: text/event-stream", "Connection: close"]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    response_headers = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            response_headers[name.strip().lower()] = value.strip()
    return SSEResponse(reader, writer, int(status_line.split(" ")[1]), response_headers)
