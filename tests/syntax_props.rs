//! Property tests for the reader (`svconf::syntax::parse`).
//!
//! - it never panics, on any string and on INI-ish text built from fragments;
//! - the CST is lossless and its lines tile the input;
//! - every span (headers, keys, values, pieces, line ranges, diagnostics) is in
//!   bounds and on char boundaries;
//! - differential: on a few hundred random INI-ish documents, the sections, keys,
//!   values and errors equal those of `CPython`'s `configparser` (run once, in one
//!   `python3` process; skipped when `python3` is not installed).

use std::fmt::Write as _;
use std::process::Command;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use svconf::diag::{Code, Diagnostics};
use svconf::source::{FileId, Span};
use svconf::syntax::{LineKind, Parsed, parse};

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/// Characters that matter to the dialect, plus some that only look like they might.
const CHARS: &[&str] = &[
    "a", "b", "K", "z", "0", "_", "-", ".", "/", "%", "(", ")", " ", " ", "\t", "=", ":", ";", "#",
    "[", "]", "é", "ü", "Σ", "İ", "ẞ", "\u{212a}", "\u{a0}", "\u{3000}", "\u{85}", "\u{2028}",
    "\x0b", "\x0c", "\x1c", "\0", "\u{feff}", "日",
];

fn chars(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(CHARS), 0..max).prop_map(|v| v.concat())
}

fn word(max: usize) -> impl Strategy<Value = String> {
    // mostly plain, sometimes anything
    prop_oneof![
        3 => "[a-zA-Z_][a-zA-Z0-9_.:-]{0,8}",
        1 => chars(max),
    ]
}

/// Option names: a small pool (so keys repeat, in different cases), or anything.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(&["command", "Command", "a", "B", "b", "ΑΣ", "ας"][..]).prop_map(str::to_string),
        3 => word(6),
    ]
}

fn blanks() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(&[" ", " ", "\t", "\u{a0}", "\x0c"][..]),
        0..4,
    )
    .prop_map(|v| v.concat())
}

fn eol() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["\n", "\n", "\n", "\r\n", "\r"][..])
}

fn comment() -> impl Strategy<Value = String> {
    (prop::sample::select(&[";", "#"][..]), chars(6)).prop_map(|(p, t)| format!("{p}{t}"))
}

/// One line of an INI-ish document (without its terminator).
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        // [header] (sometimes with junk or a comment after it, sometimes indented)
        2 => (blanks(), prop_oneof![2 => word(6), 1 => Just("x".to_string())], prop_oneof![Just(String::new()), chars(5), comment().prop_map(|c| format!(" {c}"))])
            .prop_map(|(i, n, t)| format!("{i}[{n}]{t}")),
        // key <sep> value [comment]
        6 => (
            blanks(),
            key(),
            blanks(),
            prop::sample::select(&["=", ":", "=", "= ", " : "][..]),
            chars(10),
            prop_oneof![Just(String::new()), (blanks(), comment()).prop_map(|(b, c)| format!("{b} {c}"))],
        )
            .prop_map(|(i, k, b, s, v, c)| format!("{i}{k}{b}{s}{v}{c}")),
        // continuation-looking text
        3 => (blanks(), chars(10)).prop_map(|(i, t)| format!("  {i}{t}")),
        // comment lines
        2 => (blanks(), comment()).prop_map(|(i, c)| format!("{i}{c}")),
        // blank lines
        2 => blanks(),
        // anything
        1 => chars(12),
    ]
}

/// An INI-ish document: usually starting with a header, lines joined by mixed line ends.
fn document() -> impl Strategy<Value = String> {
    (
        prop_oneof![18 => Just(""), 1 => Just("\u{feff}"), 1 => Just("x\n")],
        prop::bool::weighted(0.95),
        prop_oneof![4 => "[a-z][a-z0-9:]{0,8}", 1 => word(6)],
        prop::collection::vec((line(), eol()), 0..14),
        prop::bool::ANY,
    )
        .prop_map(|(lead, header, name, lines, final_eol)| {
            let mut s = String::from(lead);
            if header {
                let _ = writeln!(s, "[{name}]");
            }
            let n = lines.len();
            for (i, (l, e)) in lines.into_iter().enumerate() {
                s.push_str(&l);
                if i + 1 < n || final_eol {
                    s.push_str(e);
                }
            }
            s
        })
}

/// Text made of arbitrary fragments, with no structure at all.
fn fragments() -> impl Strategy<Value = String> {
    let frag = prop_oneof![
        prop::sample::select(
            &[
                "[", "]", "[x]", "[ a ]", "[]", "key", "KEY", "=", ":", ";", "#", " ;", " #", " ",
                "\t", "\r\n", "\r", "\n", "\n  ", "\n\t", "é", "ΑΣ", "İ", "\u{feff}", "\u{a0}",
                "\u{3000}", "\u{2028}", "\u{85}", "\x0c",
            ][..]
        )
        .prop_map(str::to_string),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(frag, 0..40).prop_map(|v| v.concat())
}

// ---------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------

fn run(text: &str) -> (Parsed, Diagnostics) {
    let mut diags = Diagnostics::new();
    let parsed = parse(FileId(3), text, &mut diags);
    (parsed, diags)
}

fn check_range(text: &str, what: &str, start: usize, end: usize) -> Result<(), TestCaseError> {
    prop_assert!(
        start <= end && end <= text.len(),
        "{what}: {start}..{end} out of 0..{}",
        text.len()
    );
    prop_assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{what}: {start}..{end} not on char boundaries"
    );
    Ok(())
}

fn check_span(text: &str, what: &str, s: Span) -> Result<(), TestCaseError> {
    prop_assert_eq!(s.file, FileId(3), "{} has the wrong file", what);
    check_range(text, what, s.start as usize, s.end as usize)
}

/// Lossless, tiled, every span in bounds; also the key and piece texts agree with the file.
fn check_all(text: &str) -> Result<(), TestCaseError> {
    let (parsed, diags) = run(text);
    prop_assert_eq!(parsed.cst.reprint(text), text);

    let mut at = 0;
    for l in &parsed.cst.lines {
        prop_assert_eq!(l.start, at, "lines do not tile at {:?}", l);
        prop_assert!(l.start <= l.end && l.end <= l.next, "{:?}", l);
        check_range(text, "line text", l.start, l.end)?;
        check_range(text, "line", l.start, l.next)?;
        // the terminator is a line end, and no line end is inside the text
        let term = &text[l.end..l.next];
        prop_assert!(
            matches!(term, "" | "\n" | "\r" | "\r\n"),
            "terminator {:?}",
            term
        );
        if term.is_empty() {
            // only the last line (or the byte order mark's own pseudo-line) lacks a line end
            let bom_line = l.start == 0 && l.end == 3 && text.starts_with('\u{feff}');
            prop_assert!(
                l.next == text.len() || bom_line,
                "unterminated line {:?} not at the end",
                l
            );
        }
        prop_assert!(!text[l.start..l.end].contains(['\n', '\r']), "{:?}", l);
        let inside = |(s, e): (usize, usize)| l.start <= s && s <= e && e <= l.end;
        match &l.kind {
            LineKind::Section { name } => {
                check_range(text, "section name", name.0, name.1)?;
                prop_assert!(inside(*name), "{:?}", l);
            }
            LineKind::Option { key, value } => {
                check_range(text, "option key", key.0, key.1)?;
                check_range(text, "option value", value.0, value.1)?;
                prop_assert!(
                    inside(*key) && inside(*value) && key.1 <= value.0,
                    "{:?}",
                    l
                );
            }
            LineKind::Continuation { value } => {
                check_range(text, "continuation", value.0, value.1)?;
                prop_assert!(inside(*value), "{:?}", l);
            }
            LineKind::Blank | LineKind::Comment | LineKind::Invalid => {}
        }
        at = l.next;
    }
    prop_assert_eq!(at, text.len(), "lines stop before the end");

    for b in &parsed.blocks {
        check_span(text, "header", b.header)?;
        prop_assert_eq!(
            &text[b.header.start as usize..b.header.end as usize],
            b.name.as_str()
        );
        for e in &b.entries {
            check_span(text, "key", e.key_span)?;
            check_span(text, "value", e.value_span)?;
            let key_text = &text[e.key_span.start as usize..e.key_span.end as usize];
            prop_assert_eq!(svconf::python::lower(key_text), e.key.clone());
            prop_assert!(!e.key.is_empty());
            for p in &e.pieces {
                check_span(text, "piece", p.span)?;
                let piece = &text[p.span.start as usize..p.span.end as usize];
                let at = p.at as usize;
                prop_assert_eq!(
                    e.value.get(at..at + piece.len()),
                    Some(piece),
                    "piece {:?} of {:?}",
                    p,
                    e
                );
                prop_assert!(e.value_span.start <= p.span.start && p.span.end <= e.value_span.end);
            }
            // span_of always lands in the file, on char boundaries
            // (value offsets given to span_of are on the value's char boundaries)
            let mut mid = e.value.len() / 2;
            while !e.value.is_char_boundary(mid) {
                mid -= 1;
            }
            for (s, t) in [(0, e.value.len()), (mid, e.value.len()), (0, mid)] {
                check_span(text, "span_of", e.span_of(s, t))?;
            }
        }
    }
    for d in diags.iter() {
        for label in d.primary.iter().chain(d.secondary.iter()) {
            check_span(text, "diagnostic label", label.span)?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 512, failure_persistence: None, ..Config::default() })]

    #[test]
    fn any_string(text in any::<String>()) {
        check_all(&text)?;
    }

    #[test]
    fn fragment_soup(text in fragments()) {
        check_all(&text)?;
    }

    #[test]
    fn ini_like_documents(text in document()) {
        check_all(&text)?;
    }
}

// ---------------------------------------------------------------------------
// Differential test against CPython's configparser
// ---------------------------------------------------------------------------

const ORACLE: &str = r#"
import configparser, json, sys

def read(path):
    cp = configparser.RawConfigParser(inline_comment_prefixes=(';', '#'), strict=False)
    try:
        # like supervisord: text mode (universal newlines), no BOM skipping
        with open(path, encoding='utf-8') as f:
            cp.read_file(f, path)
    except configparser.MissingSectionHeaderError as e:
        return {"error": "missing_header", "lines": [e.lineno]}
    except configparser.ParsingError as e:
        return {"error": "parsing", "lines": [n for n, _ in e.errors],
                "sections": sections(cp)}
    return {"sections": sections(cp)}

def sections(cp):
    # the `''` option of an empty key is configparser's; svconf keeps no entry for it
    return [[name, [[k, v] for k, v in opts.items() if k != '']]
            for name, opts in cp._sections.items()]

out = [read(p) for p in sys.argv[1:]]
sys.stdout.write(json.dumps(out))
"#;

fn python3() -> Option<String> {
    Command::new("python3")
        .arg("-c")
        .arg(
            "import sys; print(sys.version_info[:2] >= (3, 11) and sys.version_info[:2] < (3, 13))",
        )
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// 1-based line number of a byte offset (universal newlines).
fn line_number(text: &str, offset: usize) -> u64 {
    let before = &text.as_bytes()[..offset];
    let mut n = 1;
    let mut i = 0;
    while i < before.len() {
        match before[i] {
            b'\n' => n += 1,
            b'\r' if text.as_bytes().get(i + 1) != Some(&b'\n') => n += 1,
            _ => {}
        }
        i += 1;
    }
    n
}

/// What python would print for this document, computed from our reader.
fn ours(text: &str) -> Value {
    let (parsed, diags) = run(text);
    let mut merged: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for b in &parsed.blocks {
        let idx = if let Some(i) = merged.iter().position(|(n, _)| *n == b.name) {
            i
        } else {
            merged.push((b.name.clone(), Vec::new()));
            merged.len() - 1
        };
        let opts = &mut merged[idx].1;
        for e in &b.entries {
            match opts.iter_mut().find(|(k, _)| *k == e.key) {
                Some(slot) => slot.1.clone_from(&e.value),
                None => opts.push((e.key.clone(), e.value.clone())),
            }
        }
    }
    let sections: Value = merged
        .into_iter()
        .map(|(n, opts)| {
            let opts: Vec<Value> = opts
                .into_iter()
                .map(|(k, v)| serde_json::json!([k, v]))
                .collect();
            serde_json::json!([n, opts])
        })
        .collect();
    let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
    let lines = |wanted: &[Code]| -> Vec<u64> {
        diags
            .iter()
            .filter(|d| wanted.contains(&d.code))
            .map(|d| {
                let start = d.primary.as_ref().map_or(0, |l| l.span.start as usize);
                line_number(text, start)
            })
            .collect()
    };
    if codes.contains(&Code::ByteOrderMark) {
        assert!(parsed.rejected);
        serde_json::json!({"error": "missing_header", "lines": [1]})
    } else if codes.contains(&Code::NoSectionHeader) {
        assert!(parsed.rejected);
        serde_json::json!({"error": "missing_header", "lines": lines(&[Code::NoSectionHeader])})
    } else if parsed.rejected {
        let mut l = lines(&[Code::InvalidLine, Code::EmptyKey]);
        l.sort_unstable();
        serde_json::json!({"error": "parsing", "lines": l, "sections": sections})
    } else {
        serde_json::json!({"sections": sections})
    }
}

#[test]
fn same_as_configparser() {
    let Some(ok) = python3() else {
        eprintln!("python3 not found: skipping the differential test");
        return;
    };
    if ok != "True" {
        // 3.13 changed inline comments; the reader follows 3.11
        eprintln!("python3 is not CPython 3.11/3.12: skipping the differential test");
        return;
    }
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = document();
    let mut docs = Vec::new();
    while docs.len() < 300 {
        let doc = strategy.new_tree(&mut runner).expect("generate").current();
        // `[DEFAULT]` merges into every section in configparser; that is the include stage's job
        if !doc.contains("DEFAULT") {
            docs.push(doc);
        }
    }
    // a few fixed ones, so the test means something even on an unlucky draw
    docs.extend(
        [
            "[s]\nc=b#c #d ;e\n",
            "[a]\r\nk=v\r\n  more\r\n[b]\rx=1\r",
            "\u{feff}[a]\nk=v",
            "[a]\nk=v\n  bad\nnot an option\n  cont\n=empty\n  after\n[b]\ny=2",
            "k=v\n[a]\n",
            "[a]\ncommand=\n  /bin/x\n\n",
        ]
        .map(String::from),
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("oracle.py");
    std::fs::write(&script, ORACLE).expect("write oracle");
    let mut paths = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let p = dir.path().join(format!("{i:03}.ini"));
        std::fs::write(&p, d).expect("write doc");
        paths.push(p);
    }
    let out = Command::new("python3")
        .arg(&script)
        .args(&paths)
        .env("PYTHONIOENCODING", "utf-8")
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<Value> = serde_json::from_slice(&out.stdout).expect("oracle JSON");
    assert_eq!(theirs.len(), docs.len());

    // the draw must exercise the interesting parts, or the comparison says little
    let kind = |v: &Value| {
        v.get("error")
            .and_then(Value::as_str)
            .unwrap_or("ok")
            .to_string()
    };
    let count = |k: &str| theirs.iter().filter(|v| kind(v) == k).count();
    let multiline = theirs
        .iter()
        .filter(|v| v.to_string().contains("\\n"))
        .count();
    eprintln!(
        "configparser: {} accepted, {} parsing errors, {} missing headers, {} with multi-line values",
        count("ok"),
        count("parsing"),
        count("missing_header"),
        multiline
    );
    assert!(
        count("ok") >= 30
            && count("parsing") >= 30
            && count("missing_header") >= 5
            && multiline >= 30
    );

    let mut failures = Vec::new();
    for (doc, want) in docs.iter().zip(&theirs) {
        let got = ours(doc);
        if &got != want {
            failures.push(format!("input: {doc:?}\n  python: {want}\n  svconf: {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} documents differ from configparser:\n{}",
        failures.len(),
        docs.len(),
        failures.join("\n")
    );
}
