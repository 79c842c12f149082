"""Opens N idle WebSocket connections (handshake by hand, then silence) to measure the
server's memory per idle connection. Prints `ready N` once all are open; exits on stdin EOF."""
import asyncio
import sys


async def open_one(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head[:40]
    return reader, writer


async def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    connections = []
    for start in range(0, count, 100):
        connections += await asyncio.gather(*(open_one(port) for _ in range(min(100, count - start))))
    print(f"ready {len(connections)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
