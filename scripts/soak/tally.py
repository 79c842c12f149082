"""What one client process saw: counts of what went right, failures by kind with a few examples."""
import json
from collections import Counter

EXAMPLES_KEPT = 20


class Tally:
    def __init__(self, worker):
        self.worker = worker
        self.counts = Counter()
        self.failures = Counter()
        self.examples = []

    def count(self, name, amount=1):
        self.counts[name] += amount

    def fail(self, kind, detail):
        self.failures[kind] += 1
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append({"kind": kind, "detail": str(detail)[:500]})

    def as_json(self):
        return {
            "worker": self.worker,
            "counts": dict(self.counts),
            "failures": dict(self.failures),
            "examples": self.examples,
        }

    def write(self, path):
        with open(path, "w") as file:
            json.dump(self.as_json(), file, indent=1, ensure_ascii=False)


def merge(tallies):
    """Counts and failures of several workers' JSON, each name prefixed with its worker."""
    counts, failures, examples = Counter(), Counter(), []
    for tally in tallies:
        for name, value in tally["counts"].items():
            counts[f"{tally['worker']}.{name}"] += value
        for name, value in tally["failures"].items():
            failures[f"{tally['worker']}.{name}"] += value
        examples += [dict(example, worker=tally["worker"]) for example in tally["examples"]]
    return counts, failures, examples
