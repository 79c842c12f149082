"""Pass or fail, from the samples and the clients' tallies, and the summary tables.

- Memory: the mean RSS of the three samples after the warm-up against the mean of the last three
  samples under load; it may grow by at most 5%.
- Descriptors: once the clients have stopped and the server's retention and heartbeat windows
  have passed, as many as before the first client came (the first sample).
- Streams: at least one verified, and no failure of any kind in any client.
- Drained: no connection, no running and no retained stream at the end."""
from statistics import mean

import tally as tallies

RSS_GROWTH_LIMIT = 0.05
AVERAGED = 3


def mb(kb):
    return kb / 1024


def decide(rows, worker_tallies, warmup_s):
    load = [row for row in rows if row["phase"] in ("warmup", "load")]
    after_warmup = [row for row in load if row["t_s"] >= warmup_s]
    final = rows[-1]
    counts, failures, examples = tallies.merge(worker_tallies)
    verified = sum(value for name, value in counts.items() if name.endswith(".streams_verified"))
    result = {
        "samples": len(rows),
        "rss_warm_kb": round(mean(row["rss_kb"] for row in after_warmup[:AVERAGED])) if after_warmup else None,
        "rss_end_kb": round(mean(row["rss_kb"] for row in load[-AVERAGED:])),
        "rss_peak_kb": max(row["rss_kb"] for row in load),
        "anon_warm_kb": round(mean(row["rss_anon_kb"] for row in after_warmup[:AVERAGED])) if after_warmup else None,
        "anon_end_kb": round(mean(row["rss_anon_kb"] for row in load[-AVERAGED:])),
        "file_warm_kb": round(mean(row["rss_file_kb"] for row in after_warmup[:AVERAGED])) if after_warmup else None,
        "file_end_kb": round(mean(row["rss_file_kb"] for row in load[-AVERAGED:])),
        "rss_final_kb": final["rss_kb"],
        "fd_baseline": rows[0]["fds"],
        "fd_peak": max(row["fds"] for row in rows),
        "fd_end": final["fds"],
        "connections_peak": max(row["connections"] for row in rows),
        "accepted": final.get("accepted"),
        "final": {name: final[name] for name in ("connections", "active_streams", "retained_streams")},
        "streams_verified": verified,
        "failures": sum(failures.values()),
        "failures_by_kind": dict(failures),
        "examples": examples,
        "counts": dict(counts),
    }
    growth = None
    if result["rss_warm_kb"]:
        growth = result["rss_end_kb"] / result["rss_warm_kb"] - 1
    result["rss_growth"] = growth
    result["checks"] = {
        "rss": growth is not None and growth <= RSS_GROWTH_LIMIT,
        "fds": result["fd_end"] <= result["fd_baseline"],
        "streams": verified > 0 and result["failures"] == 0,
        "drained": all(value == 0 for value in result["final"].values()),
    }
    result["passed"] = all(result["checks"].values())
    return result


def signed_mb(kb):
    return f"{mb(kb):+.1f} MB"


def mark(ok):
    return "pass" if ok else "**FAIL**"


def table(result):
    """The verdict as a Markdown table."""
    checks = result["checks"]
    growth = result["rss_growth"]
    final = result["final"]
    lines = [
        "| check | measured | limit | result |",
        "| --- | --- | --- | --- |",
        f"| RSS after the warm-up minute → end of load | {mb(result['rss_warm_kb'] or 0):.1f} MB → {mb(result['rss_end_kb']):.1f} MB "
        f"({'n/a' if growth is None else f'{growth:+.1%}'}) | at most +5% | {mark(checks['rss'])} |",
        f"| … of which anonymous (heap, stacks) / file-backed (code and libraries touched so far) | "
        f"{mb(result['anon_warm_kb'] or 0):.1f} → {mb(result['anon_end_kb']):.1f} MB "
        f"({signed_mb(result['anon_end_kb'] - (result['anon_warm_kb'] or 0))}) / {mb(result['file_warm_kb'] or 0):.1f} → "
        f"{mb(result['file_end_kb']):.1f} MB ({signed_mb(result['file_end_kb'] - (result['file_warm_kb'] or 0))}) | | |",
        f"| open descriptors: baseline → end (peak) | {result['fd_baseline']} → {result['fd_end']} ({result['fd_peak']}) "
        f"| back to baseline | {mark(checks['fds'])} |",
        f"| streams followed to the end and verified / failures | {result['streams_verified']:,} / {result['failures']} "
        f"| no failure | {mark(checks['streams'])} |",
        f"| left at the end: connections, active, retained streams | {final['connections']}, {final['active_streams']}, "
        f"{final['retained_streams']} | 0, 0, 0 | {mark(checks['drained'])} |",
    ]
    return "\n".join(lines)


TRAFFIC = [
    ("WebSocket connections opened by the churn", ["churn.opened"]),
    ("… closed cleanly / reset / dropped (FIN) / silent, reaped by the heartbeat", ["churn.clean", "churn.reset", "churn.drop", "churn.silent_reaped"]),
    ("channel messages: steady publisher → delivered to steady subscribers", ["pubsub.published", "pubsub.delivered"]),
    ("WebSocket agent streams verified (of them: resumed after a cut, followers)", ["agent_streams.streams_verified", "agent_streams.resumed", "agent_streams.followers"]),
    ("SSE streams verified (resumed with Last-Event-ID, followers dropped mid-stream, replays)", ["sse.streams_verified", "sse.resumed", "sse.followers_dropped", "sse.replays"]),
    ("chat: questions, answers verified by members, joins (mid-answer)", ["chat.questions", "chat.streams_verified", "chat.joins", "chat.joined_mid_answer"]),
]


def traffic_table(result, model_counts=None):
    counts = result["counts"]
    lines = ["| traffic | count |", "| --- | --- |"]
    for label, names in TRAFFIC:
        lines.append(f"| {label} | {' / '.join(f'{counts.get(name, 0):,}' for name in names)} |")
    if counts.get("churn.silent_reaped"):
        seconds = counts.get("churn.silent_seconds_total", 0) / counts["churn.silent_reaped"]
        lines.append(f"| silent clients: seconds from connecting to the heartbeat's close, on average | {seconds:.1f} |")
    if model_counts:
        lines.append(
            f"| paced model: answers completed / abandoned by the server, tokens | {model_counts.get('completed', 0):,} / "
            f"{model_counts.get('aborted', 0):,}, {model_counts.get('tokens', 0):,} |"
        )
    lines.append(f"| WebSocket connections accepted by the server in all (`/stats` `accepted`) | {result.get('accepted') or 0:,} |")
    lines.append(f"| peak WebSocket connections at a sample | {result['connections_peak']} |")
    return "\n".join(lines)


def failures_text(result):
    if not result["failures"]:
        return "no failures"
    lines = [f"{kind}: {count}" for kind, count in sorted(result["failures_by_kind"].items())]
    lines += [f"  e.g. [{example['worker']}] {example['kind']}: {example['detail']}" for example in result["examples"][:10]]
    return "\n".join(lines)
