"""The WebSocket side of the soak clients: the interop tests' own helpers (Python `websockets`,
the raw RFC 6455 client, the agent-stream checker), and the ways a connection can end."""
import os
import socket
import struct
import sys

INTEROP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "WebSocketTests", "Interop")
# Appended: a module of this folder wins over an interop module of the same name.
sys.path.append(os.path.normpath(INTEROP))

from common import Mismatch, connect, expect, receive, send  # noqa: E402
from rawws import RawWebSocket  # noqa: E402
from streams import StreamLog  # noqa: E402

__all__ = ["Mismatch", "connect", "expect", "receive", "send", "RawWebSocket", "StreamLog", "cut", "ws_url"]


def ws_url(base):
    """`ws://HOST:PORT/ws` for the server at `http://HOST:PORT`."""
    return "ws" + base[len("http"):] + "/ws"


def reset(transport):
    """Drops a TCP connection with a reset (RST): no close frame, no FIN, as a pulled cable or a
    killed process looks to the server."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def cut(connection):
    """Cuts a `websockets` connection or a RawWebSocket without a close frame."""
    transport = connection.writer.transport if isinstance(connection, RawWebSocket) else connection.transport
    reset(transport)
