"""The soak run: a release `raaf-streaming serve` under mixed, realistic traffic for a while, and
whether it gives back what it takes. See docs/PERFORMANCE.md ("Soak run") and `make soak`.

It starts the paced model (paced_model.py) and `serve` on free loopback ports, a sample of the
server every --interval seconds into samples.csv, and the clients, each its own process: churn_clients.py,
pubsub.py, agent_streams.py, sse.py, chat_rooms.py. After --minutes the clients stop by themselves;
the soak then waits, with a deadline, until the server holds no connection and no stream and its
descriptors are back to where they began, stops everything, and prints the verdict (verdict.py).
Exits 1 when a check fails. Everything it wrote is in --out.
"""
import argparse
import asyncio
import json
import os
import shutil
import sys
import time

import processes
import sampler
import verdict

HERE = os.path.dirname(os.path.abspath(__file__))
WORKERS = ["churn_clients", "pubsub", "agent_streams", "sse", "chat_rooms"]
# AsyncHTTPClient keeps an idle connection to the model for 60 s before closing it.
MODEL_POOL_IDLE_S = 60


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="the release raaf-streaming executable")
    parser.add_argument("--minutes", type=float, default=10, help="how long the clients run, warm-up included")
    parser.add_argument("--out", required=True, help="the folder of the run's files (emptied first)")
    parser.add_argument("--warmup", type=float, default=60, help="seconds before RSS is compared")
    parser.add_argument("--interval", type=float, default=10, help="seconds between samples")
    parser.add_argument("--heartbeat", type=float, default=5, help="the server's heartbeat interval, s")
    parser.add_argument("--retention", type=float, default=30, help="how long finished streams stay resumable, s")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--chat-store", default="sqlite", help="sqlite (a file in --out) or memory")
    parser.add_argument(
        "--malloc-stats", action="store_true",
        help="with gdb: the server's malloc_stats() (bytes in use against bytes held) at the baseline and the end, in serve.log",
    )
    return parser.parse_args()


def server_environment(options, model_port):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OPENAI_", "WEBSOCKET_", "STREAMING_", "CHAT_"))}
    env.update(
        {
            "OPENAI_BASE_URL": f"http://127.0.0.1:{model_port}/v1",
            "OPENAI_API_KEY": "soak-dummy-key",
            "RAAF_MODEL": "soak-paced",
            "WEBSOCKET_HOST": "127.0.0.1",
            "WEBSOCKET_HEARTBEAT_INTERVAL": f"{options.heartbeat:g}",
            "STREAMING_REPLAY_RETENTION": f"{options.retention:g}",
            "CHAT_STORE": "memory" if options.chat_store == "memory" else f"sqlite:{os.path.join(options.out, 'chat.sqlite')}",
            # One speaker per room asks a question whenever the last answer ends.
            "CHAT_RATE_LIMIT": "120",
            "RAAF_LOG_LEVEL": "warning",
        }
    )
    return env


class Soak:
    def __init__(self, options):
        self.options = options
        self.started = None
        self.log = sampler.SampleLog(os.path.join(options.out, "samples.csv"))
        self.children = []

    def elapsed(self):
        return time.monotonic() - self.started

    async def take(self, phase):
        row = await sampler.sample(self.server.pid, self.url, self.elapsed(), phase)
        self.record(row)
        return row

    def record(self, row):
        self.log.add(row)
        print(
            f"[soak] {row['t_s']:6.0f} s {row['phase']:7} RSS {row['rss_kb'] / 1024:6.1f} MB (anon {row['rss_anon_kb'] / 1024:5.1f})  fds {row['fds']:4}  "
            f"connections {row['connections']:4}  streams {row['active_streams']:3} active {row['retained_streams']:4} retained",
            flush=True,
        )

    async def start_servers(self):
        out = self.options.out
        self.model = await processes.start(
            [sys.executable, os.path.join(HERE, "paced_model.py"), "--counts", os.path.join(out, "model.json")],
            os.path.join(out, "model.log"),
        )
        self.children.append(self.model)
        model_port = int(await processes.line_starting(self.model, "listening on", 30))
        self.server = await processes.start(
            [self.options.binary, "serve", "--port", "0"], os.path.join(out, "serve.log"), env=server_environment(self.options, model_port), cwd=out
        )
        self.children.append(self.server)
        self.url = (await processes.line_starting(self.server, "listening on", 60)).rstrip("/")
        print(f"[soak] serve {self.url} (pid {self.server.pid}), paced model on port {model_port}", flush=True)

    async def start_workers(self, seconds):
        self.workers = {}
        for index, name in enumerate(WORKERS):
            arguments = [
                sys.executable, os.path.join(HERE, f"{name}.py"), "--url", self.url, "--seconds", f"{seconds:g}",
                "--out", os.path.join(self.options.out, f"{name}.json"), "--heartbeat", f"{self.options.heartbeat:g}",
                "--seed", str(self.options.seed + index),
            ]
            process = await processes.start(arguments, os.path.join(self.options.out, f"{name}.log"))
            asyncio.get_running_loop().create_task(processes.drain(process.stdout))
            self.workers[name] = process
            self.children.append(process)

    async def run_load(self, seconds):
        """Samples every interval while the clients run; then waits for them, with a deadline."""
        waiting = asyncio.gather(*(process.wait() for process in self.workers.values()))
        next_sample = self.started + self.options.interval
        # A client's last sessions end within their own timeouts (60 s at most) after `seconds`.
        deadline = self.started + seconds + 120
        while not waiting.done() and time.monotonic() < deadline:
            await asyncio.wait([waiting], timeout=max(0, next_sample - time.monotonic()))
            if time.monotonic() >= next_sample and not waiting.done():
                await self.take("warmup" if self.elapsed() < self.options.warmup else "load")
                next_sample += self.options.interval
        stuck = [name for name, process in self.workers.items() if process.returncode is None]
        for name in stuck:
            print(f"[soak] client {name} did not stop by itself: killed", flush=True)
            await processes.stop(self.workers[name], 1)
        return stuck

    async def drain(self, baseline_fds):
        """Waits until nothing is left on the server, or the deadline passes; returns the last sample."""
        window = self.options.retention + 3 * self.options.heartbeat + 5 + MODEL_POOL_IDLE_S + 30
        deadline = time.monotonic() + window
        next_sample = time.monotonic() + self.options.interval
        while True:
            row = await sampler.sample(self.server.pid, self.url, self.elapsed(), "drain")
            done = row["connections"] == 0 and row["active_streams"] == 0 and row["retained_streams"] == 0 and row["fds"] <= baseline_fds
            if done or time.monotonic() >= deadline:
                row["phase"] = "end"
                self.record(row)
                return row, done, window
            if time.monotonic() >= next_sample:
                self.record(row)
                next_sample += self.options.interval
            await asyncio.sleep(1)

    async def run(self):
        options = self.options
        load_seconds = options.minutes * 60
        try:
            await self.start_servers()
            self.started = time.monotonic()
            baseline = await self.take("warmup")
            sampler.list_fds(self.server.pid, os.path.join(options.out, "fds-baseline.txt"))
            if options.malloc_stats:
                await malloc_stats(self.server.pid, "baseline")
            await self.start_workers(load_seconds)
            stuck = await self.run_load(load_seconds)
            _, drained, window = await self.drain(baseline["fds"])
            sampler.list_fds(self.server.pid, os.path.join(options.out, "fds-end.txt"))
            if options.malloc_stats:
                await malloc_stats(self.server.pid, "end")
        finally:
            self.log.close()
            stops = {}
            for name, process in [("serve", getattr(self, "server", None)), ("model", getattr(self, "model", None))]:
                if process is not None:
                    stops[name] = await processes.stop(process, 15)
            for process in self.children:
                if process.returncode is None:
                    await processes.stop(process, 1)
        return stuck, drained, window, stops


async def malloc_stats(pid, moment):
    """Makes the server print glibc's malloc_stats() on its stderr (serve.log), through gdb: the
    bytes in live allocations against the bytes the allocator holds, which RSS cannot tell apart."""
    gdb = shutil.which("gdb")
    if not gdb:
        print("[soak] --malloc-stats needs gdb", flush=True)
        return
    print(f"[soak] malloc_stats at the {moment} (gdb)", flush=True)
    process = await asyncio.create_subprocess_exec(
        gdb, "-p", str(pid), "-batch", "-nx", "-ex", "call (void)malloc_stats()",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await asyncio.wait_for(process.wait(), 120)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()


def load_json(path):
    try:
        with open(path) as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


def main():
    options = parse()
    shutil.rmtree(options.out, ignore_errors=True)
    os.makedirs(options.out)
    options.out = os.path.abspath(options.out)
    soak = Soak(options)
    stuck, drained, window, stops = asyncio.run(soak.run())
    worker_tallies = []
    for name in WORKERS:
        tally = load_json(os.path.join(options.out, f"{name}.json"))
        worker_tallies.append(tally or {"worker": name, "counts": {}, "failures": {"no_result": 1}, "examples": []})
    for name in stuck:
        worker_tallies.append({"worker": name, "counts": {}, "failures": {"did_not_stop": 1}, "examples": []})
    result = verdict.decide(soak.log.rows, worker_tallies, options.warmup)
    result.update(
        minutes=options.minutes, warmup_s=options.warmup, heartbeat_s=options.heartbeat, retention_s=options.retention,
        drained_in_window=drained, drain_window_s=window, stops=stops, model=load_json(os.path.join(options.out, "model.json")),
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )
    with open(os.path.join(options.out, "summary.json"), "w") as file:
        json.dump(result, file, indent=1, ensure_ascii=False)
    print()
    print(verdict.table(result))
    print()
    print(verdict.traffic_table(result, result["model"]))
    print()
    print(verdict.failures_text(result))
    print(f"\nserve: {stops.get('serve')}; files in {options.out}")
    print("SOAK PASSED" if result["passed"] else "SOAK FAILED")
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
