"""The server's figures at one moment: resident memory and open descriptors from /proc, and the
connection and stream counts of its /stats endpoint."""
import csv
import os

import sse_client

COLUMNS = ["t_s", "phase", "rss_kb", "rss_anon_kb", "rss_file_kb", "fds", "connections", "active_streams", "retained_streams", "accepted", "frames_out", "dropped"]


def memory_kb(pid):
    """VmRSS, and its parts: RssAnon (the heap, stacks: what a leak grows) and RssFile (the
    pages of the executable and libraries the process has touched so far)."""
    figures = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                figures[name] = int(value.split()[0])
    return figures["VmRSS"], figures["RssAnon"], figures["RssFile"]


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def list_fds(pid, path):
    """Writes what each open descriptor is (a socket, a file, an eventfd...), to tell a leak's kind."""
    lines = []
    for name in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
        try:
            lines.append(f"{name} -> {os.readlink(f'/proc/{pid}/fd/{name}')}")
        except OSError:
            pass  # closed in between
    with open(path, "w") as file:
        file.write("\n".join(lines) + "\n")


async def stats(base_url):
    response = await sse_client.request(base_url, "GET", "/stats", timeout=10)
    body = await response.body_json(timeout=10)
    response.close()
    return body


async def sample(pid, base_url, t, phase):
    # /proc first: the /stats request is a connection of its own.
    rss, anon, file = memory_kb(pid)
    row = {"t_s": round(t, 1), "phase": phase, "rss_kb": rss, "rss_anon_kb": anon, "rss_file_kb": file, "fds": open_fds(pid)}
    figures = await stats(base_url)
    for name in COLUMNS[6:]:
        row[name] = figures.get(name)
    return row


class SampleLog:
    """The CSV file of samples, written as they come, and the rows kept for the verdict."""

    def __init__(self, path):
        self.rows = []
        self.file = open(path, "w", newline="")
        self.writer = csv.DictWriter(self.file, COLUMNS)
        self.writer.writeheader()

    def add(self, row):
        self.rows.append(row)
        self.writer.writerow(row)
        self.file.flush()

    def close(self):
        self.file.close()


def read_csv(path):
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        for name in COLUMNS:
            if name != "phase" and row.get(name) not in (None, ""):
                row[name] = float(row[name]) if name == "t_s" else int(row[name])
    return rows
