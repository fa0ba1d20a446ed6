#!/usr/bin/env python3
"""import_graph.py: which module of a turtles crate uses which, printed bottom-up,
and every import cycle between them.

Lesson: a crate whose modules form a DAG can be read (and taught) one layer at a
time, starting from the modules that use nothing else. A cycle means two modules
can only be understood together; this tool finds them so they can be broken.

A module is a top-level file (`foo.rs`) or directory (`foo/mod.rs` and the files
under `foo/` count as one module `foo`). The crate root (`lib.rs`) is no node: it
only declares and re-exports modules. An edge `a -> b` means a file of `a` names
`b` through `use crate::b...`, a grouped `use crate::{b::X, ...}`, a `super::`
path that climbs out of `a`, or an inline path such as `crate::b::f()`. Comments
and string literals are skipped, so doc links do not count.

Usage: tools/import_graph.py [--quiet] [SRC_DIR ...]
  SRC_DIR   crate source directories (default: executor/src reactor/src src)
  --quiet   print only the cycles
The crate root's `mod` declarations are also checked to be in reading order: each
module may use only modules declared above it, so `lib.rs` can say "read the files
in the order they are declared" and stay true.

Exit status: 0 without cycles or misordered declarations, 1 with any, 2 on a usage
error. Python 3 stdlib only.
"""

import argparse
import heapq
import os
import re
import sys
from collections import deque

DEFAULT_CRATES = ["executor/src", "reactor/src", "src"]
CRATE_ROOTS = {"lib.rs", "main.rs"}
PATH_HEADS = {"crate", "super", "self"}


# ---------------------------------------------------------------- lexing


def lex(text):
    """The identifiers and punctuation of Rust source, as (token, line) pairs.

    Comments, string/char/byte literals, lifetimes and numbers produce nothing:
    paths inside them are prose or data, not dependencies.
    """
    out = []
    i, n, line = 0, len(text), 1

    def skip_quoted(j, quote):
        # j is just past the opening quote; returns the index just past the closing one.
        nonlocal line
        while j < n:
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == "\n":
                line += 1
            if c == quote:
                return j + 1
            j += 1
        return n

    def skip_raw(j):
        # j is at the first '#' or the '"' of a raw string; returns the index past its end.
        nonlocal line
        hashes = 0
        while j < n and text[j] == "#":
            hashes += 1
            j += 1
        end = '"' + "#" * hashes
        k = text.find(end, j + 1)
        k = n if k < 0 else k + len(end)
        line += text.count("\n", j, k)
        return k

    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            # Block comments nest in Rust.
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    if text[j] == "\n":
                        line += 1
                    j += 1
            i = j
        elif c == '"':
            i = skip_quoted(i + 1, '"')
        elif c == "'":
            if i + 1 < n and text[i + 1] == "\\":
                i = skip_quoted(i + 1, "'")  # '\n', '\'', '\u{..}'
            elif i + 2 < n and text[i + 2] == "'":
                i += 3  # 'x'
            else:
                i += 1  # a lifetime or label: its name lexes as an ident, harmlessly
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word, nxt = text[i:j], text[j] if j < n else ""
            if word in ("b", "c") and nxt == '"':
                i = skip_quoted(j + 1, '"')
            elif word == "b" and nxt == "'":
                i = skip_quoted(j + 1, "'")
            elif word in ("r", "br", "cr") and nxt in ('"', "#"):
                k = j
                while k < n and text[k] == "#":
                    k += 1
                if k < n and text[k] == '"':
                    i = skip_raw(j)
                else:  # r#ident: a raw identifier
                    m = k
                    while m < n and (text[m].isalnum() or text[m] == "_"):
                        m += 1
                    out.append((text[k:m], line))
                    i = m
            else:
                out.append((word, line))
                i = j
        elif c.isdigit():
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            i = j
        elif text.startswith("::", i):
            out.append(("::", line))
            i += 2
        else:
            out.append((c, line))
            i += 1
    return out


def is_ident(tok):
    return tok[:1].isalpha() or tok[:1] == "_"


# ---------------------------------------------------------------- parsing


def parse_use_tree(toks, i, prefix):
    """Expands the use tree at toks[i] into (segments, bound_name, line) leaves.

    Handles `a::b::C`, `a::*`, `a as b`, `{...}` groups nested to any depth, a
    leading `::`, and `self` inside a group. Returns (leaves, index after the tree).
    """
    segs = list(prefix)
    if i < len(toks) and toks[i][0] == "::":
        segs.append("::")  # an extern-crate path: never a sibling module
        i += 1
    while i < len(toks):
        tok = toks[i][0]
        if tok == "{":
            i += 1
            leaves = []
            while i < len(toks) and toks[i][0] != "}":
                sub, i = parse_use_tree(toks, i, segs)
                leaves += sub
                if i < len(toks) and toks[i][0] == ",":
                    i += 1
            return leaves, i + 1
        if tok == "*":
            return [(segs + ["*"], None, toks[i][1])], i + 1
        if not is_ident(tok):
            return [], i  # not a path we understand; the caller skips to ';'
        segs.append(tok)
        line = toks[i][1]
        i += 1
        if i < len(toks) and toks[i][0] == "::":
            i += 1
            continue
        name = tok if tok != "self" else (segs[-2] if len(segs) > 1 else None)
        if i + 1 < len(toks) and toks[i][0] == "as":
            name = toks[i + 1][0]
            i += 2
        return [(segs, name, line)], i
    return [], i


def resolve(segs, here, root_names):
    """The absolute module path (from the crate root) that `segs` names, seen from
    the module `here`; None for extern crates and names that are no path of ours."""
    if not segs or segs[0] == "::":
        return None
    head = segs[0]
    if head == "crate":
        base, k = [], 1
    elif head in ("super", "self"):
        base, k = list(here), 0
        while k < len(segs) and segs[k] in ("super", "self"):
            if segs[k] == "super":
                if not base:
                    return None  # climbs above the crate root: not valid Rust
                base.pop()
            k += 1
    elif not here and head in root_names:
        base, k = [], 0  # in the crate root, a bare name is a root item or module
    else:
        # Elsewhere a bare first segment is an extern crate, a child module or a
        # name already imported; the import that brought it in is what counts.
        return None
    return base + [s for s in segs[k:] if s not in ("self", "*")]


def scan_file(text, here, root_names):
    """Every path in `text` that starts at crate/super/self (or a root name, in the
    crate root): use declarations and inline paths, with the line it is on.
    `here` is the file's module path; inline `mod x { ... }` blocks extend it."""
    toks = lex(text)
    found = []  # (absolute path, bound name or None, line)
    mods = list(here)
    opened = []  # per open brace: did it open an inline module?
    i = 0
    while i < len(toks):
        tok, line = toks[i]
        nxt = toks[i + 1][0] if i + 1 < len(toks) else ""
        if tok == "mod" and is_ident(nxt) and i + 2 < len(toks) and toks[i + 2][0] == "{":
            mods.append(nxt)
            opened.append(True)
            i += 3
            continue
        if tok == "{":
            opened.append(False)
        elif tok == "}":
            if opened and opened.pop():
                mods.pop()
        elif tok == "use":
            leaves, j = parse_use_tree(toks, i + 1, [])
            for segs, name, at in leaves:
                path = resolve(segs, mods, root_names)
                if path is not None:
                    found.append((path, name, at))
            while j < len(toks) and toks[j][0] != ";":
                j += 1
            i = j + 1
            continue
        elif tok in PATH_HEADS and nxt == "::" and (i == 0 or toks[i - 1][0] != "::"):
            # An inline path: `crate::a::f()`, `super::x`, `$crate::a` in a macro.
            segs, j = [tok], i + 1
            while j + 1 < len(toks) and toks[j][0] == "::" and is_ident(toks[j + 1][0]):
                segs.append(toks[j + 1][0])
                j += 2
            path = resolve(segs, mods, root_names)
            if path is not None:
                found.append((path, None, line))
            i = j
            continue
        i += 1
    return found


# ---------------------------------------------------------------- the graph


def module_of(rel):
    """('lib.rs') -> None (the root); ('foo.rs' | 'foo/mod.rs' | 'foo/bar.rs') ->
    'foo'; plus the file's own module path, for resolving `super`."""
    parts = rel.split(os.sep)
    parts[-1] = parts[-1][: -len(".rs")]
    if len(parts) == 1 and parts[0] + ".rs" in CRATE_ROOTS:
        return None, []
    if parts[-1] == "mod":
        parts.pop()
    return parts[0], parts


def crate_graph(src):
    """(nodes, edges, where) for the crate in `src`: edges[a] is the set of modules
    `a` uses; where[(a, b)] is the first file:line that made the edge."""
    files = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if not (dirpath == src and d == "bin"))
        for name in sorted(filenames):
            if name.endswith(".rs"):
                files.append(os.path.relpath(os.path.join(dirpath, name), src))
    nodes = sorted({module_of(f)[0] for f in files} - {None})
    node_set = set(nodes)

    # Names the root brings into scope (`pub use runtime::Runtime`) lead to a module
    # too: `use crate::Runtime` depends on `runtime`, not on lib.rs.
    reexport = {}
    for root in CRATE_ROOTS & set(files):
        with open(os.path.join(src, root), encoding="utf-8") as f:
            for path, name, _ in scan_file(f.read(), [], node_set):
                if name and len(path) > 1 and path[0] in node_set:
                    reexport.setdefault(name, path[0])

    edges = {n: set() for n in nodes}
    where = {}
    for rel in files:
        node, here = module_of(rel)
        if node is None:
            continue
        with open(os.path.join(src, rel), encoding="utf-8") as f:
            found = scan_file(f.read(), here, node_set)
        for path, _, line in found:
            if not path:
                continue  # the crate root itself, e.g. `use super::*` in a top file
            target = path[0] if path[0] in node_set else reexport.get(path[0])
            if target and target != node:
                edges[node].add(target)
                where.setdefault((node, target), f"{rel}:{line}")
    return nodes, edges, where


def tarjan(nodes, edges):
    """Strongly connected components, each sorted; a component is emitted only
    after every component it reaches."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        # Iterative, so a long chain of modules cannot hit Python's recursion limit.
        work = [(v, iter(sorted(edges[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            u, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    advanced = True
                    break
                if w in on_stack:
                    low[u] = min(low[u], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[u])
            if low[u] == index[u]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == u:
                        break
                comps.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return comps


def bottom_up(nodes, edges, comps):
    """Components in dependency order, dependencies first; among those ready at
    the same time, alphabetical, so the listing is stable and easy to scan."""
    comp_of = {v: k for k, comp in enumerate(comps) for v in comp}
    deps = [set() for _ in comps]
    users = [set() for _ in comps]
    for v in nodes:
        for w in edges[v]:
            a, b = comp_of[v], comp_of[w]
            if a != b:
                deps[a].add(b)
                users[b].add(a)
    waiting = [len(d) for d in deps]
    ready = [(comps[k][0], k) for k in range(len(comps)) if not waiting[k]]
    heapq.heapify(ready)
    order = []
    while ready:
        _, k = heapq.heappop(ready)
        order.append(k)
        for user in users[k]:
            waiting[user] -= 1
            if not waiting[user]:
                heapq.heappush(ready, (comps[user][0], user))
    return [comps[k] for k in order]


def shortest_cycle(start, edges, members):
    """The shortest loop from `start` back to itself inside one component."""
    parent = {start: None}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for w in sorted(edges[u]):
            if w == start:
                path = [u]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return list(reversed(path)) + [start]
            if w in members and w not in parent:
                parent[w] = u
                queue.append(w)
    return [start]


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def declaration_order(src):
    """The modules in the order the crate root declares them (`mod x;`, `pub mod x;`)."""
    for root in sorted(CRATE_ROOTS):
        path = os.path.join(src, root)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", f.read(), re.M)
    return []


def misordered(src, edges, where):
    """Uses of a module declared below the user in the crate root, as printable lines."""
    order = declaration_order(src)
    rank = {m: i for i, m in enumerate(order)}
    bad = []
    for a in order:
        for b in sorted(edges.get(a, ())):
            if b in rank and rank[b] > rank[a]:
                bad.append(f"  {a} uses {b}, declared below it   [{where[(a, b)]}]")
    return bad


def report(src, quiet):
    """Prints one crate's graph (or, quiet, only its problems); True if it has any."""
    nodes, edges, where = crate_graph(src)
    late = misordered(src, edges, where)
    if late:
        print(f"{src}: the crate root does not declare its modules in reading order")
        print("\n".join(late))
    comps = tarjan(nodes, edges)
    cycles = [c for c in comps if len(c) > 1]
    in_cycle = {v for c in cycles for v in c}
    if not quiet:
        n_edges = sum(len(e) for e in edges.values())
        print(f"{src}: {plural(len(nodes), 'module')}, {plural(n_edges, 'edge')}, "
              f"{plural(len(cycles), 'cycle')}")
        width = max((len(v) for v in nodes), default=0) + 1
        for comp in bottom_up(nodes, edges, comps):
            for v in comp:
                mark = "*" if v in in_cycle else " "
                uses = " ".join(sorted(edges[v]))
                print(f"  {v + mark:<{width}} {'-> ' + uses if uses else ''}".rstrip())
    for comp in cycles:
        members = set(comp)
        print(f"{src}: cycle among {', '.join(comp)}")
        # Shortest loops until every member has been in one, each hop with the
        # import that makes it: those imports are what to cut.
        shown = set()
        for v in comp:
            if v in shown:
                continue
            loop = shortest_cycle(v, edges, members)
            shown.update(loop)
            hops = ", ".join(where[(a, b)] for a, b in zip(loop, loop[1:]))
            print(f"  {' -> '.join(loop)}   [{hops}]")
    if not quiet:
        print()
    return bool(cycles) or bool(late)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        description="Module dependency graph of each crate, bottom-up, with its cycles.")
    parser.add_argument("src", nargs="*", help="crate source directories "
                        "(default: executor/src reactor/src src, from the repository root)")
    parser.add_argument("--quiet", action="store_true", help="print only the cycles")
    args = parser.parse_args()
    if args.src:
        crates = args.src
    else:
        os.chdir(os.path.dirname(here))
        crates = DEFAULT_CRATES
    for src in crates:
        if not os.path.isdir(src):
            parser.error(f"{src}: no such directory")
    found = False
    for src in crates:
        found |= report(src.rstrip(os.sep), args.quiet)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
