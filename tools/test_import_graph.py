#!/usr/bin/env python3
"""Tests of tools/import_graph.py on small synthetic crates built in a temp dir.

Lesson: a dependency checker is only trusted if it is shown the awkward forms on
purpose: grouped and nested `use` trees across lines, `super` that climbs out of a
directory module, inline and macro paths, and look-alike paths in comments, strings
and char literals that must not count. Run: python3 tools/test_import_graph.py
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "import_graph.py")

# Edges this crate must yield: a -> b c d, b -> g, c -> e, d -> f, f -> a.
# Everything else in it is a decoy that must not turn into an edge.
TRICKY = {
    "lib.rs": """
        mod a; mod b; mod c; mod d; mod e; mod f; mod g;
        pub use g::Gee;
        pub use crate::e::{Eee as Renamed};
    """,
    "a.rs": """
        //! Links to [`e`](crate::e) and [`f`](crate::f::F) are prose, not imports.
        /* crate::e::x /* nested: crate::f::y */
           still a comment: crate::e::z */
        use crate::{
            b::{X,
                Y},
            c::{self,
                inner::{Z}},
        };
        use std::collections::HashMap;
        fn run<'a>(s: &'a str) -> char {
            let _ = "crate::e::in_a_string \\" crate::f::still";
            let _ = r#"crate::e::raw "quoted" crate::f::raw"#;
            let _ = b"crate::e::bytes";
            let quote = '"';
            crate::d::go(); // an inline path, after a char literal that looks like a string
            '\\''
        }
    """,
    "b.rs": """
        use crate::Gee; // a root re-export of g
    """,
    "c/mod.rs": """
        mod inner;
        pub use self::inner::Z; // inside c itself
    """,
    "c/inner.rs": """
        use super::super::e::E; // climbs out of c: a use of e
        use super::Z; // c itself
        pub struct Z;
    """,
    "d.rs": """
        pub fn go() {}
        macro_rules! call_f { () => { $crate::f::go() }; }
        #[cfg(test)]
        mod tests {
            use super::*; // d itself
            mod deeper { use super::super::go; }
        }
    """,
    "e.rs": """
        pub struct E;
        pub struct Eee;
        pub(in crate::e) fn hidden() {}
        use ::core::fmt;
    """,
    "f.rs": """
        pub fn go() {}
        pub(crate) use crate::a::*;
    """,
    "g.rs": """
        pub struct Gee;
    """,
}

ACYCLIC = {
    "lib.rs": "mod low; mod high;\n",
    "low.rs": "pub fn f() {}\n",
    "high.rs": "use crate::{\n    low,\n};\n",
}


def build(tree, root):
    for rel, text in tree.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text))


def run(*args):
    done = subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True)
    return done.returncode, done.stdout


class ImportGraph(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def crate(self, tree):
        src = os.path.join(self.tmp.name, "src")
        build(tree, src)
        return src

    def test_every_use_form_and_no_decoy(self):
        src = self.crate(TRICKY)
        rc, out = run(src)
        self.assertEqual(rc, 1, out)
        listing = [line.strip() for line in out.splitlines()[1:] if line.startswith("  ")]
        listing = [line for line in listing if "[" not in line]  # the cycle loops
        self.assertEqual(
            listing,
            [
                "e",
                "c  -> e",
                "g",
                "b  -> g",
                "a* -> b c d",
                "d* -> f",
                "f* -> a",
            ],
            out,
        )

    def test_the_cycle_is_reported_with_its_imports(self):
        src = self.crate(TRICKY)
        rc, out = run("--quiet", src)
        self.assertEqual(rc, 1)
        self.assertEqual(
            out.splitlines(),
            [
                f"{src}: cycle among a, d, f",
                "  a -> d -> f -> a   [a.rs:17, d.rs:3, f.rs:3]",
            ],
        )

    def test_an_acyclic_crate_exits_zero_and_quiet_says_nothing(self):
        src = self.crate(ACYCLIC)
        self.assertEqual(run(src), (0, f"{src}: 2 modules, 1 edge, 0 cycles\n"
                                       "  low\n  high  -> low\n\n"))
        self.assertEqual(run("--quiet", src), (0, ""))

    def test_a_missing_directory_is_a_usage_error(self):
        rc, _ = run(os.path.join(self.tmp.name, "nowhere"))
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    unittest.main()
