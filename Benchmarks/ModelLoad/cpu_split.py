"""Where the machine's CPU went during a burst: `perf record -a -k CLOCK_MONOTONIC` samples
between the first client's send and the last client's first token (from the TTFT_TRACE of
`ttft_clients.py`), by process: the server, the paced model, the load clients, the rest.

Usage: perf script -i perf.data -F comm,pid,tid,time > samples.txt
       cpu_split.py samples.txt TRACE SERVE_PID MODEL_PID[,MODEL_PID...]
"""
import collections
import sys


def main():
    samples, trace, serve = sys.argv[1], sys.argv[2], int(sys.argv[3])
    model = {int(pid) for pid in sys.argv[4].split(",")}
    with open(trace + ".clients") as lines:
        streams = [line.split() for line in lines]
    start = min(float(stream[1]) for stream in streams)
    end = max(float(stream[2]) for stream in streams)
    counts = collections.Counter()
    for line in open(samples):
        parts = line.split()
        time = float(parts[-1].rstrip(":"))
        if not start <= time <= end:
            continue
        pid = int(parts[-2].split("/")[0])
        command = " ".join(parts[:-2])
        if pid == serve:
            owner = "server (raaf-streaming serve)"
        elif pid in model:
            owner = "paced model (Python)"
        elif command.startswith("python3"):
            owner = "load clients (Python)"
        elif command.startswith("swapper"):
            owner = "idle"
        else:
            owner = "other: " + command
        counts[owner] += 1
    total = sum(counts.values())
    print(f"window {1000 * (end - start):.0f} ms, {total} samples")
    for owner, count in counts.most_common(8):
        print(f"{count:6d} {100 * count / total:5.1f} %  {owner}")


if __name__ == "__main__":
    main()
