//! Minifies `script/tracker.js` into `$OUT_DIR/tracker.min.js` (and the automatic-event script
//! `script/auto.js` into `auto.min.js`) so the served scripts stay small while the committed
//! sources stay readable.
//!
//! Two passes: the `minifier` crate drops comments and whitespace, then our own pass renames
//! the scripts' local identifiers (by convention those starting with `_`, see the header of
//! tracker.js) to single letters, writes `true`/`false` as `!0`/`!1` and drops semicolons
//! before `}`. The renaming is safe because the tracker reserves the `_` prefix for its own
//! names, and a name that would collide with any other identifier in the source is never
//! handed out. `src/script.rs` tests run the result through `node --check` and a fake browser.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::path::PathBuf;

use minifier::js::{clean_tokens, tokenize, Keyword, ReservedChar, Token};

/// JavaScript keywords and literals of one or two letters; never used as replacement names.
const RESERVED: &[&str] = &["do", "if", "in", "of", "as"];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    for name in ["tracker", "auto"] {
        let path = format!("script/{name}.js");
        println!("cargo:rerun-if-changed={path}");
        let source = std::fs::read_to_string(&path)?;
        let minified = minify(&source)?;
        let out = PathBuf::from(std::env::var("OUT_DIR")?).join(format!("{name}.min.js"));
        std::fs::write(out, minified)?;
    }
    Ok(())
}

/// Whether a token text is one of the tracker's own renamable names.
fn is_local(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next() == Some('_')
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && !name.starts_with("__")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn minify(source: &str) -> Result<String, Box<dyn Error>> {
    let tokens = tokenize(source)?.apply(clean_tokens);

    // Every identifier-like token that is not ours: replacement names must avoid them.
    let mut taken: HashSet<&str> = RESERVED.iter().copied().collect();
    for t in tokens.0.iter() {
        if let Token::Other(s) = t {
            if !is_local(s) {
                taken.insert(s);
            }
        }
    }

    // Candidate names, one letter first.
    let letters: Vec<char> = ('a'..='z').chain('A'..='Z').collect();
    let mut candidates = letters.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    for a in &letters {
        for b in letters
            .iter()
            .chain(&['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
        {
            candidates.push(format!("{a}{b}"));
        }
    }
    let mut free = candidates
        .into_iter()
        .filter(|c| !taken.contains(c.as_str()));

    // Most frequent local first, so the shortest names go where they save the most.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for t in tokens.0.iter() {
        if let Token::Other(s) = t {
            if is_local(s) {
                let n = counts.entry(s).or_insert(0);
                if *n == 0 {
                    order.push(s);
                }
                *n += 1;
            }
        }
    }
    order.sort_by_key(|s| std::cmp::Reverse(counts.get(s).copied().unwrap_or(0)));
    let mut renames: HashMap<&str, String> = HashMap::new();
    for name in order {
        let new = free
            .next()
            .ok_or("tracker.js: ran out of short identifier names")?;
        renames.insert(name, new);
    }

    let mut out: Vec<Token<'_>> = Vec::with_capacity(tokens.0.len());
    let mut it = tokens.0.into_iter().peekable();
    while let Some(t) = it.next() {
        match t {
            // Still `Other` tokens, so the writer keeps the spaces they need (`var a`, `a in b`).
            Token::Other(s) => out.push(Token::Other(renames.get(s).map_or(s, String::as_str))),
            // `true` / `false` as `!0` / `!1`.
            Token::Keyword(k @ (Keyword::True | Keyword::False)) => {
                out.push(Token::Char(ReservedChar::ExclamationMark));
                out.push(Token::Number(usize::from(k == Keyword::False)));
            }
            // A semicolon right before `}` is redundant. (An empty statement such as `if (x);`
            // would break here; tracker.js must not contain one, and a test runs the result
            // through `node --check`.)
            Token::Char(ReservedChar::SemiColon)
                if it.peek() == Some(&Token::Char(ReservedChar::CloseCurlyBrace)) => {}
            other => out.push(other),
        }
    }
    Ok(minifier::js::Tokens(out).to_string())
}
