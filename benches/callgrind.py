#!/usr/bin/env python3
"""Instructions per operation, counted by valgrind's callgrind: noise-free, so that a
change can be judged on a shared, noisy machine (BENCHMARKS.md).

Run from the repository root, after
`cargo build --release -p turtles-benches --example profile`:

    python3 benches/callgrind.py [RUNTIME...]

For each runtime it runs `profile WORKLOAD RUNTIME R` under callgrind at two round
counts and divides the difference in instructions by the operations in the extra
rounds, so that start-up and shutdown cancel out:

* spawn + complete: `spawn_many_in_task` (10,000 empty tasks spawned from a task);
* wake + poll: `yield_many` (200 tasks yielding 1,000 times: each yield is one wake of
  the task by itself and one poll).

The count includes the benchmark harness's own dispatch (the same for every runtime).
"""
import re, subprocess, sys

PROFILE = "target/release/examples/profile"
RUNTIMES = ["turtles", "tokio", "smol", "futures-pool", "turtles-current",
            "turtles-local", "tokio-current", "smol-local", "futures-local"]
# workload, ops per round, (fewer rounds, more rounds)
MEASURES = [("spawn + complete", "spawn_many_in_task", 10_000, (5, 15)),
            ("wake + poll", "yield_many", 200_000, (2, 6))]


def instructions(workload, runtime, rounds):
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         PROFILE, workload, runtime, str(rounds)],
        capture_output=True, text=True, check=True).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


runtimes = sys.argv[1:] or RUNTIMES
print("| runtime | " + " | ".join(m[0] for m in MEASURES) + " |")
print("|---|" + "---|" * len(MEASURES))
for rt in runtimes:
    cells = []
    for _, workload, ops, (few, many) in MEASURES:
        diff = instructions(workload, rt, many) - instructions(workload, rt, few)
        cells.append(f"{diff / ((many - few) * ops):.0f}")
    print(f"| {rt} | " + " | ".join(cells) + " |", flush=True)
