"""The soak run's report: a plot (PNG) and the section "Soak run (issue 12)" of docs/PERFORMANCE.md,
made from the files of a run (samples.csv, summary.json).

Usage: report.py RUN_FOLDER [--docs docs]. Installs matplotlib from PyPI if it is missing.
The section sits between two HTML comments in PERFORMANCE.md and is replaced on every report;
the text around the tables is here, so a report never loses it.
"""
import argparse
import importlib
import json
import os
import subprocess
import sys

import sampler
import verdict

BEGIN = "<!-- soak:begin (made by scripts/soak/report.py; edit there) -->"
END = "<!-- soak:end -->"


def pyplot():
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "matplotlib"]
        if subprocess.run(pip).returncode != 0:
            subprocess.run(pip + ["--user"], check=True)
        importlib.invalidate_caches()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot(rows, summary, path):
    plt = pyplot()
    minutes = [row["t_s"] / 60 for row in rows]
    load_end = max((row["t_s"] for row in rows if row["phase"] in ("warmup", "load")), default=0) / 60
    figure, (memory, descriptors, traffic) = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    rss = [row["rss_kb"] / 1024 for row in rows]
    memory.plot(minutes, rss, color="tab:blue", marker=".", label="RSS")
    memory.plot(minutes, [row["rss_anon_kb"] / 1024 for row in rows], color="tab:cyan", marker=".", label="anonymous (heap, stacks)")
    memory.plot(minutes, [row["rss_file_kb"] / 1024 for row in rows], color="tab:gray", marker=".", label="file-backed (code)")
    top = max(rss)
    if summary["rss_warm_kb"]:
        limit = summary["rss_warm_kb"] * (1 + verdict.RSS_GROWTH_LIMIT) / 1024
        memory.axhline(limit, color="tab:red", linestyle="--", linewidth=1, label="+5% over the RSS after warm-up")
        top = max(top, limit)
    memory.legend(loc="center right", fontsize=8, ncol=2)
    memory.set_ylabel("memory (MB)")
    memory.set_ylim(0, top * 1.1)
    descriptors.plot(minutes, [row["fds"] for row in rows], color="tab:green", marker=".")
    descriptors.axhline(summary["fd_baseline"], color="gray", linestyle=":", linewidth=1, label="baseline (before the first client)")
    descriptors.legend(loc="upper right", fontsize=8)
    descriptors.set_ylabel("open descriptors")
    for name, color in [("connections", "tab:purple"), ("active_streams", "tab:orange"), ("retained_streams", "tab:brown")]:
        traffic.plot(minutes, [row[name] for row in rows], label=name.replace("_", " "), color=color, marker=".")
    traffic.legend(loc="upper right", fontsize=8)
    traffic.set_ylabel("count (/stats)")
    traffic.set_xlabel("minutes")
    for axis in (memory, descriptors, traffic):
        axis.axvspan(0, summary["warmup_s"] / 60, color="gray", alpha=0.12)
        axis.axvspan(load_end, minutes[-1], color="tab:green", alpha=0.08)
        axis.grid(alpha=0.3)
    memory.set_title(
        f"raaf-streaming serve, {summary['minutes']:g}-minute soak ({summary['date']}): "
        "grey = warm-up, green = after the clients stopped",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def section(summary, image):
    model = summary.get("model") or {}
    verdict_word = "passed" if summary["passed"] else "**failed**"
    return f"""{BEGIN}
## Soak run (issue 12)

`make soak` (`SOAK_MINUTES`, default 10) builds a release `raaf-streaming` and runs `serve` on a
loopback port under mixed traffic from separate client processes (`scripts/soak/`, Python
`websockets` and asyncio), while a paced OpenAI-compatible model of its own
(`scripts/soak/paced_model.py`: 40 to 120 tokens 25 ms apart, text fixed by the question) answers
every agent stream:

- **churn**: 40 connections at a time, each living 2 to 10 s with 1 to 3 subscriptions, publishes
  and pings, then ending cleanly (55%), by a TCP reset (15%), by a FIN without a close frame (15%),
  or going silent: a raw client that never answers a ping, which the heartbeat must close with 1002;
- **pub/sub**: a steady publisher (8 messages/s round 8 channels) and 4 long-lived subscribers that
  must receive every message in order;
- **WebSocket agent streams**: 12 at a time, followed to the end, cut and resumed from a new
  connection after the last `seq`, or joined mid-stream by a follower that resumes after a `seq`;
- **SSE**: 4 at a time, `POST /v1/agents/assistant/stream` followed to the end, hung up and
  resumed with `GET /v1/streams/{{id}}` and `Last-Event-ID`, or with a `GET` follower that hangs up
  mid-stream; now and then a late `GET` replays a finished stream;
- **chat**: 4 rooms (SQLite store), one speaker each asking the room's agent, 12 members coming
  and going (mid-answer too) and leaving by `leave_room`, by closing or by a reset.

The server runs with `WEBSOCKET_HEARTBEAT_INTERVAL={summary['heartbeat_s']:g}` and
`STREAMING_REPLAY_RETENTION={summary['retention_s']:g}`, so a silent client is reaped within 3 intervals
and a finished stream is forgotten within the run. Every 10 s the soak records the server's RSS
(`/proc/PID/status`), open descriptors (`/proc/PID/fd`) and `/stats`. It passes when RSS (the mean
of 3 samples) grows by at most 5% from just after the warm-up minute to the end of the load;
the descriptors come back to the count before the first client, and no connection or stream is
left, within {summary['drain_window_s']:g} s after the clients stop (retention, heartbeat, and the
60 s for which the HTTP client keeps an idle connection to the model); and every stream followed
to its end, on every path, carried exactly the model's text: the chunks joined, and the final
`complete` or chat message, equal to the answer the client computes from its own question.

Last run: {summary['date']}, {summary['minutes']:g} minutes, on this 2-core machine shared with
other builds; the soak {verdict_word}.

{verdict.table(summary)}

Most of the RSS is file-backed (`RssFile`): the pages of the executable and its libraries that
the process has touched, which stop growing once every code path has run. A leak shows in the
anonymous part (`RssAnon`: heap and stacks), so the table and the plot show both.

{verdict.traffic_table(summary, model)}

![RSS, descriptors, connections and streams over the soak run]({image})

Make the report from a run with `make soak-report` (`scripts/soak/report.py`); the run's files
(samples, client tallies, server log) are in `.build-soak/soak/`.
{END}"""


def update_performance(path, text):
    with open(path) as file:
        current = file.read()
    if BEGIN in current and END in current:
        start, rest = current.split(BEGIN, 1)
        _, after = rest.split(END, 1)
        updated = start + text + after
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    with open(path, "w") as file:
        file.write(updated)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the folder of a soak run (soak.py --out)")
    parser.add_argument("--docs", default="docs")
    options = parser.parse_args()
    with open(os.path.join(options.run, "summary.json")) as file:
        summary = json.load(file)
    rows = sampler.read_csv(os.path.join(options.run, "samples.csv"))
    image = os.path.join(options.docs, "soak.png")
    plot(rows, summary, image)
    update_performance(os.path.join(options.docs, "PERFORMANCE.md"), section(summary, "soak.png"))
    print(f"wrote {image} and the soak section of {os.path.join(options.docs, 'PERFORMANCE.md')}")


if __name__ == "__main__":
    main()
