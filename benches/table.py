#!/usr/bin/env python3
"""Prints BENCHMARKS.md's table from the last criterion run (target/criterion).

Run after `cargo bench -p turtles-benches --bench runtime`. Each cell is criterion's
mean estimate for one iteration, with its 95% confidence interval; the last two columns
are turtles' time divided by tokio's and by the fastest peer's (below 1.0: turtles is faster).
"""
import json, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
RUNTIMES = ["turtles", "tokio", "smol", "futures-executor"]
SHAPES = ["spawn_many", "yield_many", "ping_pong", "chained_spawn"]

def fmt(ns):
    return f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.0f} µs"

print("| benchmark | " + " | ".join(RUNTIMES) + " | turtles ÷ tokio | turtles ÷ best peer |")
print("|---|" + "---|" * (len(RUNTIMES) + 2))
for shape in SHAPES:
    cells, means = [], {}
    for rt in RUNTIMES:
        f = ROOT / shape / rt / "new" / "estimates.json"
        if not f.exists():
            cells.append("–")
            continue
        m = json.loads(f.read_text())["mean"]
        means[rt] = m["point_estimate"]
        ci = m["confidence_interval"]
        cells.append(f"{fmt(m['point_estimate'])} ({fmt(ci['lower_bound'])}–{fmt(ci['upper_bound'])})")
    peers = [v for k, v in means.items() if k != "turtles"]
    ratio = f"{means['turtles'] / min(peers):.2f}" if "turtles" in means and peers else "–"
    vs_tokio = f"{means['turtles'] / means['tokio']:.2f}" if "turtles" in means and "tokio" in means else "–"
    print(f"| {shape} | " + " | ".join(cells) + f" | {vs_tokio} | {ratio} |")
