//! Exact-span tests for the reader (just's `analysis_error!` spirit).
//!
//! Every expected value below was checked against `CPython` 3.11's
//! `configparser.RawConfigParser(inline_comment_prefixes=(';', '#'), strict=False)`
//! reading the same text from a file (universal newlines, UTF-8). Byte offsets
//! are written out by hand: a span that is off by one must fail here.

use super::*;
use crate::diag::{Code, Diagnostics};
use crate::source::{FileId, Span};

const FILE: FileId = FileId(7);

/// One parsed input, with the checks every case shares already done.
struct Case<'t> {
    text: &'t str,
    parsed: Parsed,
    diags: Vec<crate::diag::Diagnostic>,
}

fn case(text: &str) -> Case<'_> {
    let mut diags = Diagnostics::new();
    let parsed = parse(FILE, text, &mut diags);
    // lossless, tiled, on char boundaries: for every case, not only the property tests
    assert_eq!(parsed.cst.reprint(text), text, "reprint differs");
    assert_eq!(parsed.cst.file, FILE);
    let mut at = 0;
    for l in &parsed.cst.lines {
        assert_eq!(l.start, at, "lines do not tile: {l:?}");
        assert!(
            l.start <= l.end && l.end <= l.next && l.next <= text.len(),
            "{l:?}"
        );
        assert!(
            text.is_char_boundary(l.start) && text.is_char_boundary(l.end),
            "{l:?}"
        );
        at = l.next;
    }
    assert_eq!(at, text.len(), "lines do not reach the end");
    for b in &parsed.blocks {
        assert_eq!(b.header.file, FILE);
        assert_eq!(
            &text[b.header.start as usize..b.header.end as usize],
            b.name
        );
        for e in &b.entries {
            assert_eq!(e.key_span.file, FILE);
            assert_eq!(e.value_span.file, FILE);
        }
    }
    // the include stage's form: the same sections, findings and verdict, without lines;
    // a borrowed value is exactly the file's text at its span
    let mut raw_diags = Diagnostics::new();
    let raw = parse_raw(FILE, text, false, &mut raw_diags);
    assert!(raw.cst.lines.is_empty());
    assert_eq!(raw.rejected, parsed.rejected);
    assert_eq!(
        raw_diags.into_vec(),
        diags.iter().cloned().collect::<Vec<_>>()
    );
    assert_eq!(raw.blocks.len(), parsed.blocks.len());
    for (rb, b) in raw.blocks.iter().zip(&parsed.blocks) {
        assert_eq!((&rb.name, rb.header), (&b.name, b.header));
        assert_eq!(rb.entries.len(), b.entries.len());
        for (re, e) in rb.entries.iter().zip(&b.entries) {
            assert_eq!(&Entry::from(re.clone()), e);
            if let Cow::Borrowed(v) = re.value {
                let span = re.value_span;
                assert_eq!(&text[span.start as usize..span.end as usize], v);
                assert!(re.pieces.is_empty());
            }
        }
    }
    Case {
        text,
        parsed,
        diags: diags.into_vec(),
    }
}

/// `(start, end)` of a span.
fn r(s: Span) -> (u32, u32) {
    (s.start, s.end)
}

impl Case<'_> {
    /// Sections and their entries: (name, [(key, value)]).
    fn blocks(&self) -> Vec<(&str, Vec<(&str, &str)>)> {
        self.parsed
            .blocks
            .iter()
            .map(|b| {
                let es = b
                    .entries
                    .iter()
                    .map(|e| (e.key.as_str(), e.value.as_str()))
                    .collect();
                (b.name.as_str(), es)
            })
            .collect()
    }

    fn headers(&self) -> Vec<(u32, u32)> {
        self.parsed.blocks.iter().map(|b| r(b.header)).collect()
    }

    /// (`key_span`, `value_span`) of every entry, in file order.
    fn entry_spans(&self) -> Vec<((u32, u32), (u32, u32))> {
        self.parsed
            .blocks
            .iter()
            .flat_map(|b| b.entries.iter().map(|e| (r(e.key_span), r(e.value_span))))
            .collect()
    }

    fn entry(&self, block: usize, entry: usize) -> &Entry {
        &self.parsed.blocks[block].entries[entry]
    }

    /// One letter per line: S section, O option, + continuation, B blank, C comment, X invalid.
    fn kinds(&self) -> String {
        self.parsed
            .cst
            .lines
            .iter()
            .map(|l| match l.kind {
                LineKind::Section { .. } => 'S',
                LineKind::Option { .. } => 'O',
                LineKind::Continuation { .. } => '+',
                LineKind::Blank => 'B',
                LineKind::Comment => 'C',
                LineKind::Invalid => 'X',
            })
            .collect()
    }

    /// `(start, end, next)` of every line.
    fn line_ranges(&self) -> Vec<(usize, usize, usize)> {
        self.parsed
            .cst
            .lines
            .iter()
            .map(|l| (l.start, l.end, l.next))
            .collect()
    }

    fn codes(&self) -> Vec<Code> {
        self.diags.iter().map(|d| d.code).collect()
    }

    /// Primary span of each diagnostic.
    fn diag_spans(&self) -> Vec<(u32, u32)> {
        self.diags
            .iter()
            .map(|d| {
                r(d.primary
                    .as_ref()
                    .expect("reader diagnostics have a place")
                    .span)
            })
            .collect()
    }

    fn slice(&self, s: Span) -> &str {
        &self.text[s.start as usize..s.end as usize]
    }

    fn pieces(&self, block: usize, entry: usize) -> Vec<(u32, (u32, u32))> {
        self.entry(block, entry)
            .pieces
            .iter()
            .map(|p| (p.at, r(p.span)))
            .collect()
    }
}

#[test]
fn separators_first_one_wins_and_whitespace_is_stripped() {
    let c = case("[s]\na:b=c\nd = e : f\nK\t=  v  \n");
    assert_eq!(
        c.blocks(),
        vec![("s", vec![("a", "b=c"), ("d", "e : f"), ("k", "v")])]
    );
    assert_eq!(c.headers(), vec![(1, 2)]);
    assert_eq!(
        c.entry_spans(),
        vec![((4, 5), (6, 9)), ((10, 11), (14, 19)), ((20, 21), (25, 26))]
    );
    assert_eq!(
        c.slice(c.entry(0, 2).key_span),
        "K",
        "key span is the key as written"
    );
    assert_eq!(c.kinds(), "SOOO");
    assert_eq!(
        c.line_ranges(),
        vec![(0, 3, 4), (4, 9, 10), (10, 19, 20), (20, 28, 29)]
    );
    assert!(c.codes().is_empty());
    assert!(!c.parsed.rejected);
    // the CST ranges agree with the entries
    assert_eq!(
        c.parsed.cst.lines[3].kind,
        LineKind::Option {
            key: (20, 21),
            value: (25, 26)
        }
    );
    assert_eq!(
        c.parsed.cst.lines[0].kind,
        LineKind::Section { name: (1, 2) }
    );
}

#[test]
fn empty_values_and_keys_with_inner_spaces() {
    // python: {'s': {'k': '', 'my key': '', 'j': ''}}
    let c = case("[s]\nk:\nmy Key :\nj = \n");
    assert_eq!(
        c.blocks(),
        vec![("s", vec![("k", ""), ("my key", ""), ("j", "")])]
    );
    // an empty value is an empty span right after the separator (after the stripped blanks)
    assert_eq!(
        c.entry_spans(),
        vec![((4, 5), (6, 6)), ((7, 13), (15, 15)), ((16, 17), (19, 19))]
    );
    assert_eq!(c.kinds(), "SOOO");
    assert!(c.codes().is_empty());
}

#[test]
fn section_names_are_case_sensitive_and_not_stripped() {
    // python: {' program:x ': {'a': '1'}, 'Program:X': {'b': '2'}}
    let c = case("[ program:x ]\nA=1\n[Program:X]\nB = 2\n");
    assert_eq!(
        c.blocks(),
        vec![
            (" program:x ", vec![("a", "1")]),
            ("Program:X", vec![("b", "2")])
        ]
    );
    assert_eq!(c.headers(), vec![(1, 12), (19, 28)]);
    assert_eq!(
        c.entry_spans(),
        vec![((14, 15), (16, 17)), ((30, 31), (34, 35))]
    );
    assert_eq!(c.kinds(), "SOSO");
}

#[test]
fn text_after_the_last_bracket_is_ignored() {
    // python: {'x': {'a': '1'}, 'a]b': {'c': '1'}}
    let c = case("[x] junk\na=1\n[a]b] ;c\nc=1\n");
    assert_eq!(
        c.blocks(),
        vec![("x", vec![("a", "1")]), ("a]b", vec![("c", "1")])]
    );
    assert_eq!(c.headers(), vec![(1, 2), (14, 17)]);
    assert_eq!(
        c.entry_spans(),
        vec![((9, 10), (11, 12)), ((22, 23), (24, 25))]
    );
    assert_eq!(c.kinds(), "SOSO");
    assert!(c.codes().is_empty());
}

#[test]
fn header_detection_edge_cases() {
    // python: {'a=b': {'k': 'v'}, ']': {'x': 'y'}, 'c': {'[]': 'z'}}
    let c = case("[a=b]\nk=v\n[]]\nx=y\n[c]=d\n[]=z\n");
    assert_eq!(
        c.blocks(),
        vec![
            ("a=b", vec![("k", "v")]),
            ("]", vec![("x", "y")]),
            ("c", vec![("[]", "z")])
        ]
    );
    assert_eq!(c.headers(), vec![(1, 4), (11, 12), (19, 20)]);
    assert_eq!(c.kinds(), "SOSOSO");
    assert!(c.codes().is_empty());
}

#[test]
fn empty_header_before_any_section_is_missing_header() {
    // python: MissingSectionHeaderError at line 1
    let c = case("[]\na=1\n");
    assert!(c.parsed.rejected);
    assert_eq!(c.codes(), vec![Code::NoSectionHeader]);
    assert_eq!(c.diag_spans(), vec![(0, 2)]);
    assert_eq!(c.kinds(), "XX", "both lines are outside any section");
    assert!(c.blocks().is_empty());
}

#[test]
fn empty_header_inside_the_file_is_a_parsing_error() {
    // python: ParsingError [line 3]; sections {'s': {'a': '1', 'b': '2'}}
    let c = case("[s]\na=1\n[]\nb=2\n");
    assert!(c.parsed.rejected);
    assert_eq!(c.codes(), vec![Code::InvalidLine]);
    assert_eq!(c.diag_spans(), vec![(8, 10)]);
    assert_eq!(c.kinds(), "SOXO");
    assert_eq!(c.blocks(), vec![("s", vec![("a", "1"), ("b", "2")])]);
}

#[test]
fn inline_comments_only_after_whitespace() {
    // python: {'s': {'a': '/x;y', 'b': 'x', 'c': 'b#c #d', 'd': 'x', 'e': 'a#b'}}
    let c = case("[s]\na=/x;y\nb=x ;c\nc=b#c #d ;e\nd=x\t;t\ne=a#b\n");
    assert_eq!(
        c.blocks(),
        vec![(
            "s",
            vec![
                ("a", "/x;y"),
                ("b", "x"),
                ("c", "b#c #d"),
                ("d", "x"),
                ("e", "a#b")
            ]
        )]
    );
    assert_eq!(
        c.entry_spans(),
        vec![
            ((4, 5), (6, 10)),
            ((11, 12), (13, 14)),
            ((18, 19), (20, 26)),
            ((30, 31), (32, 33)),
            ((37, 38), (39, 42)),
        ]
    );
    assert_eq!(c.kinds(), "SOOOOO");
    assert!(c.codes().is_empty());
}

#[test]
fn inline_comment_rounds_of_cpython_3_11() {
    // python 3.11: {'s': {'x': 'a#b;c', 'y': '', 'z': ';c'}}
    // `x`: round 1 sees `#`@3 and `;`@5 (neither after a blank), round 2 finds ` #`.
    // `y`: ` ;` right after the separator leaves an empty value.
    // `z`: `;` right after `=` is not a comment.
    let c = case("[s]\nx=a#b;c #d\ny= ;c\nz=;c\n");
    assert_eq!(
        c.blocks(),
        vec![("s", vec![("x", "a#b;c"), ("y", ""), ("z", ";c")])]
    );
    assert_eq!(
        c.entry_spans(),
        vec![
            ((4, 5), (6, 11)),
            ((15, 16), (17, 17)),
            ((21, 22), (23, 25))
        ]
    );
}

#[test]
fn full_line_comments_indented_or_not() {
    // python: {'s': {'a': '1', 'b': '2'}}
    let c = case("[s]\n;c\n  #c2\na=1\n\t;x\nb=2\n");
    assert_eq!(c.blocks(), vec![("s", vec![("a", "1"), ("b", "2")])]);
    assert_eq!(c.kinds(), "SCCOCO");
    assert_eq!(
        c.entry_spans(),
        vec![((13, 14), (15, 16)), ((21, 22), (23, 24))]
    );
    assert!(c.codes().is_empty());
}

#[test]
fn continuation_lines() {
    // python: {'x': {'k': 'v', 'k2': 'v2\ndeep', 'k3': 'x\nc1\n\nc2\n\n\nc3', 'k4': 'y'}}
    let text = "[x]\n  k=v\n  k2=v2\n    deep\nk3=x\n  c1\n\n  c2\n\n\n  # com\n  c3\n\n\nk4=y\n\n";
    let c = case(text);
    assert_eq!(
        c.blocks(),
        vec![(
            "x",
            vec![
                ("k", "v"),
                ("k2", "v2\ndeep"),
                ("k3", "x\nc1\n\nc2\n\n\nc3"),
                ("k4", "y")
            ]
        )]
    );
    // `  k=v` right after the header is a key (never a continuation), and its
    // indentation (2) becomes the reference: `  k2=v2` is a key too.
    assert_eq!(c.kinds(), "SOO+O+B+BBC+BBOB");
    assert_eq!(
        c.entry_spans(),
        vec![
            ((6, 7), (8, 9)),
            ((12, 14), (15, 26)),
            ((27, 29), (30, 57)),
            ((60, 62), (63, 64))
        ]
    );
    assert_eq!(c.pieces(0, 1), vec![(0, (15, 17)), (3, (22, 26))]);
    // blank lines add no piece but shift the offsets; the comment line adds nothing
    assert_eq!(
        c.pieces(0, 2),
        vec![(0, (30, 31)), (2, (34, 36)), (6, (40, 42)), (11, (55, 57))]
    );
    assert_eq!(
        c.parsed.cst.lines[3].kind,
        LineKind::Continuation { value: (22, 26) }
    );
    assert!(c.codes().is_empty());
}

#[test]
fn tab_indentation_continues_deeper_lines_only() {
    // python: {'a': {'k': 'v\nc', 'j': 'w'}}
    let c = case("[a]\n\tk=v\n\t\tc\n\tj=w");
    assert_eq!(c.blocks(), vec![("a", vec![("k", "v\nc"), ("j", "w")])]);
    assert_eq!(c.kinds(), "SO+O");
    assert_eq!(
        c.entry_spans(),
        vec![((5, 6), (7, 12)), ((14, 15), (16, 17))]
    );
}

#[test]
fn indented_section_is_swallowed_and_empty_first_line_is_kept() {
    // python: {'x': {'a': '1\n[y]\nb=2', 'command': '\n/bin/x'}} (no final newline)
    let c = case("[x]\na=1\n  [y]\n  b=2\ncommand=\n  /bin/x");
    assert_eq!(
        c.blocks(),
        vec![("x", vec![("a", "1\n[y]\nb=2"), ("command", "\n/bin/x")])]
    );
    assert_eq!(c.kinds(), "SO++O+");
    assert_eq!(
        c.entry_spans(),
        vec![((4, 5), (6, 19)), ((20, 27), (28, 37))]
    );
    assert_eq!(
        c.pieces(0, 0),
        vec![(0, (6, 7)), (2, (10, 13)), (6, (16, 19))]
    );
    assert_eq!(c.pieces(0, 1), vec![(0, (28, 28)), (1, (31, 37))]);
    assert_eq!(
        c.line_ranges().last(),
        Some(&(29, 37, 37)),
        "last line has no terminator"
    );
}

#[test]
fn blank_lines_in_values_and_comment_lines_skipped() {
    // python: {'s': {'k': 'v\nx', 'j': '1\ny', 'z': 'v'}}
    // a whitespace-only line is a blank line; trailing ones are trimmed; NBSP is whitespace
    let c = case("[s]\nk=v\n# c\n  x\nj=1\n  ;c\n  y\n\t\nz=v\u{a0}\n");
    assert_eq!(
        c.blocks(),
        vec![("s", vec![("k", "v\nx"), ("j", "1\ny"), ("z", "v")])]
    );
    assert_eq!(c.kinds(), "SOC+OC+BO");
    let z = c.entry(0, 2);
    assert_eq!(
        r(z.value_span),
        (33, 34),
        "NBSP is not part of the value span"
    );
    assert_eq!(r(c.entry(0, 1).value_span), (18, 28));
}

#[test]
fn blank_lines_keep_the_value_open_across_them() {
    // python: {'a': {}, 'b': {'k': '\n\nx'}}
    let c = case("[a]\n[b]\nk=\n\n  x\n");
    assert_eq!(c.blocks(), vec![("a", vec![]), ("b", vec![("k", "\n\nx")])]);
    assert_eq!(c.kinds(), "SSOB+");
    assert_eq!(c.entry_spans(), vec![((8, 9), (10, 15))]);
    assert_eq!(c.pieces(1, 0), vec![(0, (10, 10)), (2, (14, 15))]);
}

#[test]
fn unicode_whitespace_indents_and_strips() {
    // python: {'a': {'k': 'v\nc\nd'}}
    let c = case("[a]\nk=v\n\u{3000}c\n\u{a0}d\n");
    assert_eq!(c.blocks(), vec![("a", vec![("k", "v\nc\nd")])]);
    assert_eq!(c.kinds(), "SO++");
    assert_eq!(
        c.pieces(0, 0),
        vec![(0, (6, 7)), (2, (11, 12)), (4, (15, 16))]
    );
}

#[test]
fn crlf_and_lone_cr_line_endings() {
    // python: {'a': {'k': 'v\nmore'}, 'b': {'x': '1', 'y': '2'}}
    let text = "[a]\r\nk = v\r\n  more\r\n[b]\rx=1\ry: 2 \r";
    let c = case(text);
    assert_eq!(
        c.blocks(),
        vec![
            ("a", vec![("k", "v\nmore")]),
            ("b", vec![("x", "1"), ("y", "2")])
        ]
    );
    assert_eq!(
        c.line_ranges(),
        vec![
            (0, 3, 5),
            (5, 10, 12),
            (12, 18, 20),
            (20, 23, 24),
            (24, 27, 28),
            (28, 33, 34)
        ]
    );
    assert_eq!(c.headers(), vec![(1, 2), (21, 22)]);
    assert_eq!(
        c.entry_spans(),
        vec![
            ((5, 6), (9, 18)),
            ((24, 25), (26, 27)),
            ((28, 29), (31, 32))
        ]
    );
    assert_eq!(c.slice(c.entry(0, 0).value_span), "v\r\n  more");
    assert_eq!(c.pieces(0, 0), vec![(0, (9, 10)), (2, (14, 18))]);
    assert_eq!(c.kinds(), "SO+SOO");
}

#[test]
fn cr_then_crlf_is_two_line_ends() {
    // python: {'a': {'b': '1\n\nc'}}
    let c = case("[a]\r\r\nb=1\r\r\n  c\r\n");
    assert_eq!(c.blocks(), vec![("a", vec![("b", "1\n\nc")])]);
    assert_eq!(c.kinds(), "SBOB+");
    assert_eq!(
        c.line_ranges(),
        vec![(0, 3, 4), (4, 4, 6), (6, 9, 10), (10, 10, 12), (12, 15, 17)]
    );
}

#[test]
fn byte_order_mark() {
    // python: MissingSectionHeaderError (U+FEFF is not whitespace, line 1 is not a header)
    let c = case("\u{feff}[a]\nk=v");
    assert!(c.parsed.rejected);
    assert_eq!(c.codes(), vec![Code::ByteOrderMark]);
    assert_eq!(c.diag_spans(), vec![(0, 3)]);
    // the rest is still read, at the right offsets
    assert_eq!(c.blocks(), vec![("a", vec![("k", "v")])]);
    assert_eq!(c.headers(), vec![(4, 5)]);
    assert_eq!(c.entry_spans(), vec![((7, 8), (9, 10))]);
    assert_eq!(c.line_ranges(), vec![(0, 3, 3), (3, 6, 7), (7, 10, 10)]);
    assert_eq!(c.kinds(), "CSO");
}

#[test]
fn text_before_the_first_header() {
    // python: MissingSectionHeaderError at line 1
    let c = case("k=v\nmore\n[a]\nx=1\n");
    assert!(c.parsed.rejected);
    assert_eq!(c.codes(), vec![Code::NoSectionHeader], "reported once");
    assert_eq!(c.diag_spans(), vec![(0, 3)]);
    assert_eq!(c.kinds(), "XXSO");
    assert_eq!(c.blocks(), vec![("a", vec![("x", "1")])]);
    assert_eq!(c.entry_spans(), vec![((13, 14), (15, 16))]);
}

#[test]
fn comments_and_blanks_before_the_first_header_are_fine() {
    // python: {'a': {'x': '1'}}
    let c = case("; c\n\n  # d\n[a]\nx=1");
    assert!(!c.parsed.rejected);
    assert!(c.codes().is_empty());
    assert_eq!(c.kinds(), "CBCSO");
    assert_eq!(c.blocks(), vec![("a", vec![("x", "1")])]);
    assert_eq!(c.headers(), vec![(12, 13)]);
    assert_eq!(c.line_ranges().last(), Some(&(15, 18, 18)));
}

#[test]
fn empty_file_and_lone_newline() {
    // python: {} for both
    let c = case("");
    assert!(c.parsed.cst.lines.is_empty());
    assert!(c.blocks().is_empty());
    assert!(!c.parsed.rejected);
    assert!(c.codes().is_empty());

    let c = case("\n");
    assert_eq!(c.line_ranges(), vec![(0, 0, 1)]);
    assert_eq!(c.kinds(), "B");
    assert!(!c.parsed.rejected);
}

#[test]
fn non_ascii_keys_and_values() {
    // python: {'ü': {'äb': '1', 'ας': '2', 'i̇': '3', 'key': 'é', 'ß': 'x'}}
    let c = case("[ü]\nÄB=1\nΑΣ=2\nİ=3\nkey=é ;ü\nß=x\n");
    assert_eq!(
        c.blocks(),
        vec![(
            "ü",
            vec![
                ("äb", "1"),
                ("ας", "2"),
                ("i\u{307}", "3"),
                ("key", "é"),
                ("ß", "x")
            ]
        )]
    );
    assert_eq!(c.headers(), vec![(1, 3)]);
    assert_eq!(
        c.entry_spans(),
        vec![
            ((5, 8), (9, 10)),
            ((11, 15), (16, 17)),
            ((18, 20), (21, 22)),
            ((23, 26), (27, 29)),
            ((34, 36), (37, 38)),
        ]
    );
    assert_eq!(c.slice(c.entry(0, 1).key_span), "ΑΣ");
    assert_eq!(c.slice(c.entry(0, 3).value_span), "é");
    assert_eq!(c.kinds(), "SOOOOO");
}

#[test]
fn bad_lines_in_the_middle_do_not_stop_reading() {
    // python: ParsingError at lines 4, 6 and 7;
    // sections {'a': {'k': 'v\nbad\ncont', '': 'empty'}, 'b': {'y': '2'}}
    // (the `''` option is configparser's; svconf keeps no entry for an empty key)
    let c = case("[a]\nk=v\n  bad\nnot an option\n  cont\n=empty\n  after\n[b]\ny=2");
    assert!(c.parsed.rejected);
    assert_eq!(
        c.codes(),
        vec![Code::InvalidLine, Code::EmptyKey, Code::InvalidLine]
    );
    assert_eq!(c.diag_spans(), vec![(14, 27), (35, 36), (44, 49)]);
    assert_eq!(c.kinds(), "SO+X+XXSO");
    assert_eq!(
        c.blocks(),
        vec![("a", vec![("k", "v\nbad\ncont")]), ("b", vec![("y", "2")])]
    );
    assert_eq!(c.headers(), vec![(1, 2), (51, 52)]);
    assert_eq!(
        c.entry_spans(),
        vec![((4, 5), (6, 34)), ((54, 55), (56, 57))]
    );
    assert_eq!(
        c.pieces(0, 0),
        vec![(0, (6, 7)), (2, (10, 13)), (6, (30, 34))]
    );
}

#[test]
fn a_bad_line_keeps_the_option_open() {
    // python: ParsingError at line 3; sections {'a': {'k': 'v\nmore'}}
    let c = case("[a]\nk=v\nbad\n  more\n");
    assert_eq!(c.codes(), vec![Code::InvalidLine]);
    assert_eq!(c.kinds(), "SOX+");
    assert_eq!(c.blocks(), vec![("a", vec![("k", "v\nmore")])]);
}

#[test]
fn duplicate_keys_and_sections_stay_in_file_order() {
    // python merges to {'a': {'k': '3'}}; blocks keep every occurrence for the later stages
    let c = case("[a]\nk=1\nK=2\n[a]\nk=3");
    assert_eq!(
        c.blocks(),
        vec![("a", vec![("k", "1"), ("k", "2")]), ("a", vec![("k", "3")])]
    );
    assert_eq!(c.headers(), vec![(1, 2), (13, 14)]);
    assert!(c.codes().is_empty());
}

#[test]
fn span_of_maps_value_ranges_back_to_the_file() {
    let c = case("[a]\nk=v\n  bad\nnot an option\n  cont\n=empty\n  after\n[b]\ny=2");
    let k = c.entry(0, 0);
    assert_eq!(k.value, "v\nbad\ncont");
    assert_eq!(r(k.span_of(0, 1)), (6, 7));
    assert_eq!(r(k.span_of(2, 5)), (10, 13));
    assert_eq!(c.slice(k.span_of(7, 9)), "on");
    assert_eq!(r(k.span_of(7, 9)), (31, 33));
    // a range running past its piece is clamped to that piece
    assert_eq!(r(k.span_of(8, 40)), (32, 34));

    let text = "[x]\n  k=v\n  k2=v2\n    deep\nk3=x\n  c1\n\n  c2\n\n\n  # com\n  c3\n\n\nk4=y\n\n";
    let c = case(text);
    let k3 = c.entry(0, 2);
    assert_eq!(&k3.value[11..13], "c3");
    assert_eq!(r(k3.span_of(11, 13)), (55, 57));
    assert_eq!(r(k3.span_of(6, 7)), (40, 41));
    assert_eq!(c.slice(k3.span_of(3, 4)), "1");

    // a multi-byte value on a CRLF continuation line
    let c = case("[a]\r\nk=%(x)s\r\n  é%(ENV_Y)s\r\n");
    let k = c.entry(0, 0);
    assert_eq!(k.value, "%(x)s\né%(ENV_Y)s");
    let at = k.value.find("%(ENV_Y)s").expect("token");
    let s = k.span_of(at, at + "%(ENV_Y)s".len());
    assert_eq!(r(s), (18, 27));
    assert_eq!(c.slice(s), "%(ENV_Y)s");
}

#[test]
fn diagnostics_point_at_the_stripped_line() {
    // an indented bad line right after a header is not a continuation
    let c = case("[a]\n   autostart  \n");
    assert_eq!(c.codes(), vec![Code::InvalidLine]);
    assert_eq!(c.diag_spans(), vec![(7, 16)]);
    assert_eq!(c.kinds(), "SX");
    // `: value` has an empty key; the label covers the separator
    let c = case("[a]\n  : v\n");
    assert_eq!(c.codes(), vec![Code::EmptyKey]);
    assert_eq!(c.diag_spans(), vec![(6, 7)]);
}

#[test]
fn too_many_bad_lines_are_summarised() {
    let mut text = String::from("[a]\n");
    for _ in 0..150 {
        text.push_str("junk\n");
    }
    let c = case(&text);
    let codes = c.codes();
    assert_eq!(
        codes.iter().filter(|c| **c == Code::InvalidLine).count(),
        100
    );
    assert_eq!(codes.last(), Some(&Code::TooManySyntaxErrors));
    assert_eq!(codes.len(), 101);
}
