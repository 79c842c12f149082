"""The frame of every soak client process: N session slots that loop until the load ends.

Each slot runs one session at a time (a connection's life, a stream followed, an answer watched)
and starts the next until `--seconds` have passed; the sessions in flight then finish, each
bounded by its own timeouts. A session's unexpected exception is a failure of its kind, never a
crash of the process. At the end the process writes its Tally as JSON to `--out`.
"""
import argparse
import asyncio
import random
import time

import websockets.exceptions

from tally import Tally
from wire import Mismatch


class Context:
    """What a session gets: the server, the load's deadline, its random source and the tally."""

    def __init__(self, options, tally, rng):
        self.options = options
        self.url = options.url
        self.heartbeat = options.heartbeat
        self.deadline = time.monotonic() + options.seconds
        self.tally = tally
        self.rng = rng

    @property
    def running(self):
        return time.monotonic() < self.deadline


async def guarded(context, session, slot):
    try:
        await session(context, slot)
    except Mismatch as error:
        context.tally.fail("mismatch", error)
    except (asyncio.TimeoutError, TimeoutError) as error:
        context.tally.fail("timeout", f"{session.__name__}: {error!r}")
    except websockets.exceptions.ConnectionClosed as error:
        context.tally.fail("unexpected_close", f"{session.__name__}: {error}")
    except (OSError, asyncio.IncompleteReadError, websockets.exceptions.InvalidHandshake) as error:
        context.tally.fail("connection", f"{session.__name__}: {error!r}")
    except Exception as error:  # a bug in the client or a server answer it cannot read
        context.tally.fail("client_error", f"{session.__name__}: {error!r}")


async def slot_loop(context, session, slot, ramp):
    # Slots start spread over `ramp` seconds, so the load does not arrive in one burst.
    await asyncio.sleep(context.rng.uniform(0, ramp))
    while context.running:
        await guarded(context, session, slot)


async def run(options, session, setup, teardown):
    tally = Tally(options.name)
    context = Context(options, tally, random.Random(options.seed))
    try:
        if setup:
            await setup(context)
        await asyncio.gather(*(slot_loop(context, session, slot, options.ramp) for slot in range(options.concurrency)))
        if teardown:
            await teardown(context)
    except Exception as error:
        tally.fail("worker", repr(error))
    return tally


def main(name, session, concurrency, setup=None, teardown=None, extra=None):
    parser = argparse.ArgumentParser(description=f"soak client: {name}")
    parser.add_argument("--url", required=True, help="the server, http://HOST:PORT")
    parser.add_argument("--seconds", type=float, required=True, help="how long to start new sessions")
    parser.add_argument("--out", required=True, help="the JSON file of counts and failures")
    parser.add_argument("--concurrency", type=int, default=concurrency)
    parser.add_argument("--heartbeat", type=float, default=5, help="the server's heartbeat interval, s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ramp", type=float, default=5, help="seconds over which the slots start")
    if extra:
        extra(parser)
    options = parser.parse_args()
    options.name = name
    tally = asyncio.run(run(options, session, setup, teardown))
    tally.write(options.out)
