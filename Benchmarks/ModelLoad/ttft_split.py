"""Splits a burst's time to first token into its three legs, from the traces that
`ttft_clients.py` and `paced_model.py` write with TTFT_TRACE=PATH.

Usage: ttft_split.py PATH. Per stream: "in" from the client's send to the model server's read
of the request (client send, serve's frame, run and HTTP request, the model's read), "model"
from that read to the first chunk written, "out" from there to the client's read of its first
`response_chunk` (serve's parse and frame write, the client's read). Prints p50, p99 and max
of each, in milliseconds, as one JSON line.
"""
import glob
import json
import sys


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    path = sys.argv[1]
    model = {}
    for name in glob.glob(path + ".[0-9]*"):
        with open(name) as trace:
            for line in trace:
                tag, received, written = line.split()
                model[tag] = (float(received), float(written))
    legs = {"in": [], "model": [], "out": [], "total": []}
    with open(path + ".clients") as trace:
        for line in trace:
            tag, sent, first = line.split()
            if tag not in model:
                continue
            received, written = model[tag]
            sent, first = float(sent), float(first)
            legs["in"].append(received - sent)
            legs["model"].append(written - received)
            legs["out"].append(first - written)
            legs["total"].append(first - sent)
    summary = {"streams": len(legs["total"])}
    for leg, values in legs.items():
        if values:
            summary[leg] = {
                "p50_ms": round(percentile(values, 50) * 1000, 1),
                "p99_ms": round(percentile(values, 99) * 1000, 1),
                "max_ms": round(max(values) * 1000, 1),
            }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
