"""Child processes that cannot outlive the soak: each gets SIGKILL when the soak dies
(PR_SET_PDEATHSIG), starts with no signal blocked (a blocked SIGTERM is inherited otherwise), and
is stopped with SIGTERM, then SIGKILL after a grace period."""
import asyncio
import ctypes
import signal

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _prepare_child():
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


async def start(arguments, log_path, env=None, cwd=None):
    """Starts a child with stdout piped (to read its first line) and stderr into `log_path`."""
    log = open(log_path, "ab")
    try:
        return await asyncio.create_subprocess_exec(
            *arguments, stdout=asyncio.subprocess.PIPE, stderr=log, env=env, cwd=cwd, preexec_fn=_prepare_child
        )
    finally:
        log.close()


async def line_starting(process, prefix, timeout):
    """Reads the child's stdout until a line starts with `prefix`; returns the rest of that line.

    The rest of its stdout is then read and dropped in the background, so the pipe never fills.
    """

    async def find():
        while True:
            line = await process.stdout.readline()
            if not line:
                raise RuntimeError(f"the child exited (status {await process.wait()}) before printing {prefix!r}")
            text = line.decode(errors="replace").strip()
            if text.startswith(prefix):
                return text[len(prefix):].strip()

    found = await asyncio.wait_for(find(), timeout)
    asyncio.get_running_loop().create_task(drain(process.stdout))
    return found


async def drain(stream):
    while await stream.read(65536):
        pass


async def stop(process, grace):
    """SIGTERM, then SIGKILL if it has not exited after `grace` seconds. Returns how it ended."""
    if process.returncode is not None:
        return f"exited {process.returncode}"
    process.terminate()
    try:
        status = await asyncio.wait_for(process.wait(), grace)
        return f"exited {status} after SIGTERM"
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        return f"killed after {grace:g} s"
