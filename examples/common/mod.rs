//! Small helpers the lesson examples share: printing milliseconds, and wrapping long
//! text (a panic message, a watchdog report) for an 80-column terminal.
//!
//! Each example includes this file with `#[path = "common/mod.rs"] mod common;` (the
//! path keeps working when the tour includes the example as a module of its own).

// Every example uses only some of these.
#![allow(dead_code)]

use std::time::Duration;

/// The width text is wrapped to: fits an 80-column terminal with room for an indent.
pub const WIDTH: usize = 76;

/// A duration in milliseconds, for printing with `{:.0}` or `{:.1}`.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `text` re-flowed into lines of at most [`WIDTH`] characters (a longer word gets a
/// line of its own), each starting with `indent`.
pub fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > WIDTH {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(indent);
    out.push_str(&line);
    out
}
