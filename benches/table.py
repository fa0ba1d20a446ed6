#!/usr/bin/env python3
"""Prints BENCHMARKS.md's tables from the last criterion run (target/criterion).

Run after `cargo bench -p turtles-benches --bench runtime`. Each cell is criterion's
median time for one iteration of the workload.

1. Every runtime: the median and, in brackets, its ratio to tokio's multi-threaded
   runtime (below 1.00: faster than tokio).
2. Multi-threaded: turtles ÷ tokio per workload, and the geometric mean.
3. Single-threaded: turtles' current-thread runtime and its block_on + spawn_local
   path, each divided by the fastest single-threaded peer (tokio current-thread,
   async-executor LocalExecutor, futures LocalPool), with the geometric mean over the
   workloads all five single-threaded runtimes ran.

Reads target/criterion at the repository root: with CARGO_TARGET_DIR set elsewhere,
point ROOT below at it.

    python3 benches/table.py --runs DIR DIR DIR

prints instead the ratios of several runs side by side (each DIR a copy of
target/criterion taken after one run) and their median per workload: the targets
are stated as the median of three runs, each a ratio within one run.
"""
import json, math, pathlib, statistics, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
MT = ["turtles", "tokio", "smol", "futures-pool"]
ST = ["turtles-current", "turtles-local", "tokio-current", "smol-local", "futures-local"]
ST_PEERS = ["tokio-current", "smol-local", "futures-local"]
WORKLOADS = [
    "tokio/spawn_many_local", "tokio/spawn_many_in_task", "tokio/spawn_many_remote_idle",
    "tokio/spawn_many_remote_busy1", "tokio/yield_many", "tokio/ping_pong",
    "tokio/chained_spawn",
    "smol/spawn_one", "smol/spawn_batch", "smol/spawn_many", "smol/spawn_recursively",
    "smol/yield_now", "smol/channels", "smol/web_server",
    "timers/sleep_many", "timers/timeouts_early",
]


def median(workload, runtime, root=ROOT):
    f = root / workload.replace("/", "_") / runtime / "new" / "estimates.json"
    if not f.exists():
        return None
    return json.loads(f.read_text())["median"]["point_estimate"]


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def fastest_peer(w, times):
    """The fastest single-threaded peer that ran `w`, and its time; None if none did."""
    peers = {rt: times[w][rt] for rt in ST_PEERS if times[w][rt]}
    return min(peers.items(), key=lambda p: p[1]) if peers else None


def all_five_ran(w, times):
    """Whether every single-threaded runtime ran `w`: the geometric means cover only
    those workloads, so that the two turtles columns are comparable."""
    return all(times[w][rt] for rt in ST)


def several_runs(roots):
    """Per workload: the ratio in each run and the median of them; the geometric mean
    of the medians over the workloads every column ran (as in the one-run tables)."""
    runs = [{w: {rt: median(w, rt, r) for rt in MT + ST} for w in WORKLOADS} for r in roots]
    columns = [  # title, ratio of one run (None: not run), workloads the mean covers
        ("Multi-threaded: turtles ÷ tokio",
         lambda t, w: t[w]["turtles"] / t[w]["tokio"] if t[w]["turtles"] and t[w]["tokio"] else None),
    ] + [
        (f"Single-threaded: {rt} ÷ the fastest single-threaded peer",
         lambda t, w, rt=rt: t[w][rt] / fastest_peer(w, t)[1] if t[w][rt] and fastest_peer(w, t) else None)
        for rt in ("turtles-current", "turtles-local")
    ]
    all_five = {w for w in WORKLOADS if all(all_five_ran(w, t) for t in runs)}
    head = " | ".join(f"run {i + 1}" for i in range(len(runs)))
    for n, (title, ratio) in enumerate(columns):
        print(f"### {title}, {len(runs)} runs\n")
        print(f"| workload | {head} | median |")
        print("|---|" + "---|" * (len(runs) + 1))
        medians = []
        for w in WORKLOADS:
            rs = [ratio(t, w) for t in runs]
            if all(rs):
                m = statistics.median(rs)
                if n == 0 or w in all_five:
                    medians.append(m)
                print(f"| {w} | " + " | ".join(f"{r:.2f}" for r in rs) + f" | {m:.2f} |")
        print(f"| **geometric mean of the medians** ({len(medians)} workloads) |"
              + " |" * len(runs) + f" **{geomean(medians):.2f}** |\n")


if sys.argv[1:2] == ["--runs"]:
    several_runs([pathlib.Path(d) for d in sys.argv[2:]])
    sys.exit(0)

times = {w: {rt: median(w, rt) for rt in MT + ST} for w in WORKLOADS}

print("### Every runtime (median; in brackets: ÷ tokio multi-threaded)\n")
print("| workload | " + " | ".join(MT + ST) + " |")
print("|---|" + "---|" * len(MT + ST))
for w in WORKLOADS:
    base = times[w]["tokio"]
    cells = []
    for rt in MT + ST:
        t = times[w][rt]
        if t is None:
            cells.append("–")
        elif base:
            cells.append(f"{fmt(t)} ({t / base:.2f})")
        else:
            cells.append(fmt(t))
    print(f"| {w} | " + " | ".join(cells) + " |")

print("\n### Multi-threaded: turtles ÷ tokio\n")
print("| workload | turtles | tokio | turtles ÷ tokio |")
print("|---|---|---|---|")
ratios = []
for w in WORKLOADS:
    a, b = times[w]["turtles"], times[w]["tokio"]
    if a and b:
        ratios.append(a / b)
        print(f"| {w} | {fmt(a)} | {fmt(b)} | {a / b:.2f} |")
print(f"| **geometric mean** | | | **{geomean(ratios):.2f}** |")

print("\n### Single-threaded: ÷ the fastest single-threaded peer\n")
print("| workload | fastest peer | turtles-current | turtles-local |")
print("|---|---|---|---|")
cur, loc = [], []
for w in WORKLOADS:
    peer = fastest_peer(w, times)
    if not peer:
        continue
    best, best_time = peer
    row = [f"{best} {fmt(best_time)}"]
    for rt, acc in (("turtles-current", cur), ("turtles-local", loc)):
        t = times[w][rt]
        if t:
            row.append(f"{fmt(t)} ({t / best_time:.2f})")
            if all_five_ran(w, times):
                acc.append(t / best_time)
        else:
            row.append("–")
    print(f"| {w} | " + " | ".join(row) + " |")
print(f"| **geometric mean** (the {len(cur)} workloads all five ran) | | **{geomean(cur):.2f}** | **{geomean(loc):.2f}** |")
