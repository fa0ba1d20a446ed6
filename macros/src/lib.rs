//! `#[turtles::main]` and `#[turtles::test]`: an `async fn` run inside a fresh runtime.
//!
//! Lesson: `main` cannot be `async`, because something has to poll the future it
//! would return. These attributes are that something, written for you: they take the
//! body of your `async fn`, make it an `async` block, and hand it to
//! `Runtime::block_on`. An attribute macro is just a function from tokens to tokens;
//! this crate does its work with `proc_macro`'s own token trees (no `syn`, no
//! `quote`), so the whole transformation fits on a screen:
//!
//! ```text
//! #[turtles::main(worker_threads = 2)]      fn main() -> R {
//! async fn main() -> R {               =>       let body = async move { BODY };
//!     BODY                                      ::turtles::Runtime::builder()
//! }                                                 .worker_threads(2).build()
//!                                                   .expect("...").block_on(body)
//!                                           }
//! ```
//!
//! `#[turtles::test]` is the same with `#[test]` in front, so each test gets a
//! runtime of its own, and a panic in the body fails the test. The facade crate
//! `turtles` re-exports both; use them as `turtles::main` and `turtles::test`.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

use proc_macro::{Delimiter, Group, Span, TokenStream, TokenTree};

/// Runs `async fn main` on a multi-threaded turtles runtime (one worker per CPU).
///
/// Options: `worker_threads = N` (N ≥ 1), or `flavor = "current_thread"` for the
/// current-thread runtime (every task on the main thread); `flavor = "multi_thread"`
/// is the default. `main` may return a `Result`, as a plain `main` can.
///
/// # Examples
///
/// ```
/// #[turtles::main(worker_threads = 2)]
/// async fn main() {
///     let answer = turtles::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, Kind::Main).unwrap_or_else(|e| e.into_compile_error())
}

/// Runs an `async fn` test on a fresh turtles runtime; a panic in it fails the test.
///
/// As in tokio, the default is the current-thread runtime: the test's thread runs
/// every task, so a test is as deterministic as its code allows. `worker_threads = N`
/// (or `flavor = "multi_thread"`, one worker per CPU) gives a multi-threaded runtime,
/// for tests about many workers.
///
/// # Examples
///
/// (Doc examples are not compiled as tests, so the `#[test]` functions below only
/// show the syntax; `tests/macros.rs` runs the same ones.)
///
/// ```
/// # fn main() {}
/// #[turtles::test]
/// async fn spawned_tasks_run() {
///     assert_eq!(turtles::spawn(async { 1 + 1 }).await.unwrap(), 2);
/// }
///
/// #[turtles::test] // the current-thread runtime
/// async fn on_one_thread() {
///     let here = std::thread::current().id();
///     let there = turtles::spawn(async { std::thread::current().id() }).await.unwrap();
///     assert_eq!(here, there);
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, Kind::Test).unwrap_or_else(|e| e.into_compile_error())
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[turtles::main]",
            Kind::Test => "#[turtles::test]",
        }
    }
}

/// What the options ask for.
enum Flavor {
    /// Nothing said: `main` gets a multi-threaded runtime, `test` a current-thread one.
    Default,
    /// One worker per CPU, or this many.
    MultiThread(Option<u64>),
    CurrentThread,
}

/// A message for the user, at the tokens it is about.
struct Error {
    span: Span,
    message: String,
}

impl Error {
    fn new(span: Span, message: impl Into<String>) -> Error {
        Error {
            span,
            message: message.into(),
        }
    }

    fn into_compile_error(self) -> TokenStream {
        let tokens: TokenStream = format!("::core::compile_error!({:?});", self.message)
            .parse()
            .expect("a compile_error! invocation is valid Rust");
        tokens
            .into_iter()
            .map(|mut token| {
                token.set_span(self.span);
                token
            })
            .collect()
    }
}

fn expand(args: TokenStream, item: TokenStream, kind: Kind) -> Result<TokenStream, Error> {
    let flavor = parse_options(args, kind)?;
    // tokio's defaults: a test runs on one thread, a program on every CPU.
    let flavor = match flavor {
        Flavor::Default if kind == Kind::Test => Flavor::CurrentThread,
        Flavor::Default => Flavor::MultiThread(None),
        chosen => chosen,
    };
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();

    // The body: the last token of a function is its `{ ... }` block.
    let body = match tokens.pop() {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => group,
        other => {
            let span = other.map_or_else(Span::call_site, |t| t.span());
            return Err(Error::new(
                span,
                format!("{} goes on an `async fn` with a body", kind.attribute()),
            ));
        }
    };

    // `async` goes: the function becomes an ordinary one that blocks on the body.
    let fn_at = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "fn"))
        .ok_or_else(|| {
            Error::new(
                body.span(),
                format!("{} goes on an `async fn`", kind.attribute()),
            )
        })?;
    let async_at = tokens[..fn_at]
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "async"))
        .ok_or_else(|| {
            Error::new(
                tokens[fn_at].span(),
                format!(
                    "{} goes on an `async fn`; add `async` before `fn` (for a plain \
                     function, leave the attribute out)",
                    kind.attribute()
                ),
            )
        })?;
    tokens.remove(async_at);

    // No parameters: nobody would pass them. The parameter list is the first
    // parenthesised group after `fn` (before it: `pub(crate)` and attributes).
    let fn_at = fn_at - 1; // `async` was removed before it
    if let Some(TokenTree::Group(params)) = tokens[fn_at..]
        .iter()
        .find(|t| matches!(t, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis))
    {
        if !params.stream().is_empty() {
            return Err(Error::new(
                params.span(),
                format!("a function under {} takes no parameters", kind.attribute()),
            ));
        }
    }

    let builder = match flavor {
        Flavor::Default => unreachable!("resolved above"),
        Flavor::MultiThread(None) => String::new(),
        Flavor::MultiThread(Some(n)) => format!(".worker_threads({n})"),
        Flavor::CurrentThread => ".current_thread()".to_owned(),
    };
    let wrapper: TokenStream = format!(
        "{{ let body = async move BODY; \
           ::turtles::Runtime::builder(){builder}.build() \
           .expect(\"{}: the runtime could not start\") \
           .block_on(body) }}",
        kind.attribute()
    )
    .parse()
    .expect("the wrapper is valid Rust");
    let wrapper = Group::new(Delimiter::Brace, replace_body(wrapper, &body));

    let mut out = TokenStream::new();
    if kind == Kind::Test {
        out.extend("#[::core::prelude::v1::test]".parse::<TokenStream>());
    }
    out.extend(tokens);
    out.extend([TokenTree::Group(wrapper)]);
    Ok(out)
}

/// The wrapper's inside with the placeholder `BODY` replaced by the user's block
/// (kept as it was, spans and all, so errors in it point at the user's code).
fn replace_body(wrapper: TokenStream, body: &Group) -> TokenStream {
    let inner = match wrapper.into_iter().next() {
        Some(TokenTree::Group(group)) => group.stream(),
        _ => unreachable!("the wrapper is one block"),
    };
    inner
        .into_iter()
        .map(|token| match token {
            TokenTree::Ident(ident) if ident.to_string() == "BODY" => {
                TokenTree::Group(body.clone())
            }
            other => other,
        })
        .collect()
}

/// Reads `key = value, ...`.
fn parse_options(args: TokenStream, kind: Kind) -> Result<Flavor, Error> {
    let mut worker_threads = None;
    let mut current_thread = None;
    let mut tokens = args.into_iter().peekable();
    while let Some(token) = tokens.next() {
        let TokenTree::Ident(key) = token else {
            return Err(Error::new(token.span(), usage(kind)));
        };
        match tokens.next() {
            Some(TokenTree::Punct(eq)) if eq.as_char() == '=' => {}
            other => {
                let span = other.map_or(key.span(), |t| t.span());
                return Err(Error::new(span, usage(kind)));
            }
        }
        let Some(TokenTree::Literal(value)) = tokens.next() else {
            return Err(Error::new(key.span(), usage(kind)));
        };
        let repeated = match key.to_string().as_str() {
            "worker_threads" => worker_threads.is_some(),
            "flavor" => current_thread.is_some(),
            _ => false,
        };
        if repeated {
            return Err(Error::new(key.span(), format!("`{key}` is given twice")));
        }
        match key.to_string().as_str() {
            "worker_threads" => {
                let n: u64 = value.to_string().parse().map_err(|_| {
                    Error::new(value.span(), "worker_threads takes a whole number, e.g. 2")
                })?;
                if n == 0 {
                    return Err(Error::new(
                        value.span(),
                        "worker_threads must be at least 1 (for no worker threads at all, \
                         use flavor = \"current_thread\")",
                    ));
                }
                worker_threads = Some((n, value.span()));
            }
            "flavor" => match value.to_string().as_str() {
                "\"current_thread\"" => current_thread = Some(true),
                "\"multi_thread\"" => current_thread = Some(false),
                _ => {
                    return Err(Error::new(
                        value.span(),
                        "flavor is \"multi_thread\" (the default) or \"current_thread\"",
                    ))
                }
            },
            _ => return Err(Error::new(key.span(), usage(kind))),
        }
        match tokens.next() {
            None => break,
            Some(TokenTree::Punct(comma)) if comma.as_char() == ',' => {}
            Some(other) => return Err(Error::new(other.span(), usage(kind))),
        }
    }
    match (current_thread, worker_threads) {
        (Some(true), Some((_, span))) => Err(Error::new(
            span,
            "a current_thread runtime has no worker threads; drop worker_threads or the \
             flavor",
        )),
        (Some(true), None) => Ok(Flavor::CurrentThread),
        (None, None) => Ok(Flavor::Default),
        // worker_threads alone means a multi-threaded runtime, for `test` too.
        (_, n) => Ok(Flavor::MultiThread(n.map(|(n, _)| n))),
    }
}

fn usage(kind: Kind) -> String {
    let name = &kind.attribute()[2..kind.attribute().len() - 1];
    format!(
        "unknown option for #[{name}]: the options are `worker_threads = N` and \
         `flavor = \"current_thread\"` (or \"multi_thread\"), separated by commas"
    )
}
