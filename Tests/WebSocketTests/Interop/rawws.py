"""A tiny WebSocket client written from RFC 6455 by hand, on asyncio streams.

`websockets` is a well-behaved client: it will not send an unmasked frame, invalid UTF-8 or
a stray continuation, and it answers pings by itself. This one does exactly what it is told,
so the scenarios can break the protocol on purpose, stop answering pings, or stop reading.
"""
import asyncio
import base64
import hashlib
import json
import os
import socket
import struct
import zlib
from urllib.parse import urlsplit

from common import Mismatch, expect

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

SYNC_FLUSH_TAIL = b"\x00\x00\xff\xff"


class HandshakeRefused(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


class RawWebSocket:
    def __init__(self, reader, writer, response_headers):
        self.reader = reader
        self.writer = writer
        self.headers = response_headers
        self.compressed = "permessage-deflate" in response_headers.get("sec-websocket-extensions", "")

    @classmethod
    async def connect(cls, url, headers=None, deflate=False, receive_buffer=None, timeout=15):
        """Opens the TCP connection and does the upgrade; raises HandshakeRefused on a non-101."""
        parts = urlsplit(url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            # Set before connecting, so the window the kernel advertises stays this small.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
        # A small stream buffer: when the scenario stops reading, asyncio stops reading too.
        reader, writer = await asyncio.open_connection(sock=sock, limit=16 * 1024)
        key = base64.b64encode(os.urandom(16)).decode()
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [
            f"GET {target} HTTP/1.1",
            f"Host: {parts.hostname}:{parts.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if deflate:
            lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ")[1])
        response_headers = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                response_headers[name.strip().lower()] = value.strip()
        if status != 101:
            length = int(response_headers.get("content-length", "0"))
            body = await asyncio.wait_for(reader.readexactly(length), timeout) if length else b""
            writer.close()
            raise HandshakeRefused(status, json.loads(body) if body else None)
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        expect(response_headers.get("sec-websocket-accept") == accept, f"bad Sec-WebSocket-Accept in {response_headers}")
        return cls(reader, writer, response_headers)

    # Sending

    def frame(self, opcode, payload, fin=True, mask=True, rsv1=False, length=None):
        """The bytes of one frame; `length` overrides the payload length in the header."""
        length = len(payload) if length is None else length
        first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
        mask_bit = 0x80 if mask else 0
        if length < 126:
            header = struct.pack("!BB", first, mask_bit | length)
        elif length <= 0xFFFF:
            header = struct.pack("!BBH", first, mask_bit | 126, length)
        else:
            header = struct.pack("!BBQ", first, mask_bit | 127, length)
        if not mask:
            return header + payload
        key = os.urandom(4)
        masked = bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))
        return header + key + masked

    async def send_frame(self, opcode, payload=b"", **options):
        self.writer.write(self.frame(opcode, payload, **options))
        await self.writer.drain()

    async def send_json(self, message):
        payload = json.dumps(message).encode()
        if self.compressed:
            await self.send_frame(TEXT, deflate(payload), rsv1=True)
        else:
            await self.send_frame(TEXT, payload)

    async def close(self, code=1000):
        await self.send_frame(CLOSE, struct.pack("!H", code))

    def abort(self):
        """Drops the TCP connection at once: no close frame, a reset if data is pending."""
        self.writer.transport.abort()

    def reset(self):
        """Vanishes: no close frame, and SO_LINGER 0 makes the close a TCP reset (RST) even when
        nothing is pending, as when a client's machine or network goes away."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    # Receiving

    async def recv_frame(self, timeout=15):
        """The next frame as (fin, rsv1, opcode, payload); server frames are never masked."""
        first, second = await asyncio.wait_for(self.reader.readexactly(2), timeout)
        expect(not second & 0x80, "the server masked a frame")
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await asyncio.wait_for(self.reader.readexactly(2), timeout))
        elif length == 127:
            (length,) = struct.unpack("!Q", await asyncio.wait_for(self.reader.readexactly(8), timeout))
        payload = await asyncio.wait_for(self.reader.readexactly(length), timeout)
        return bool(first & 0x80), bool(first & 0x40), first & 0x0F, payload

    async def recv_event(self, timeout=15):
        """The next message or control frame: ("text", dict), ("ping", b""), ("close", (code, reason))..."""
        fin, rsv1, opcode, payload = await self.recv_frame(timeout)
        expect(fin, "the server fragmented a message")
        if opcode == TEXT:
            if rsv1:
                expect(self.compressed, "RSV1 set without permessage-deflate")
                payload = inflate(payload)
            return "text", json.loads(payload.decode("utf-8"))
        if opcode == CLOSE:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            return "close", (code, payload[2:].decode("utf-8"))
        if opcode == PING:
            return "ping", payload
        if opcode == PONG:
            return "pong", payload
        raise Mismatch(f"unexpected opcode {opcode}")

    async def recv_json(self, timeout=15):
        """The next text message; pings are skipped (not answered)."""
        while True:
            kind, value = await self.recv_event(timeout)
            if kind == "text":
                return value
            expect(kind == "ping", f"expected a text message, got {kind} {value}")

    async def until_close(self, timeout=15):
        """Reads to the server's close frame: the text messages before it, and (code, reason).

        Then checks that the server really ends the TCP connection.
        """
        messages = []
        while True:
            kind, value = await self.recv_event(timeout)
            if kind == "text":
                messages.append(value)
            elif kind == "close":
                rest = await asyncio.wait_for(self.reader.read(), timeout)
                expect(rest == b"", f"bytes after the close frame: {rest[:40]!r}")
                self.writer.close()
                return messages, value


def deflate(payload):
    """One message compressed as permessage-deflate sends it (raw deflate, sync flush tail cut)."""
    compressor = zlib.compressobj(wbits=-15)
    data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    expect(data.endswith(SYNC_FLUSH_TAIL), "zlib did not end with a sync flush")
    return data[: -len(SYNC_FLUSH_TAIL)]


def inflate(payload):
    return zlib.decompressobj(wbits=-15).decompress(payload + SYNC_FLUSH_TAIL)
