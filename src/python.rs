//! Python-compatible string, number, tokenizer and path primitives.
//!
//! supervisord 4.3.0 runs on Python, and its verdicts and error messages are
//! shaped by Python built-ins: what `str.strip()` treats as blank, what
//! `int()` accepts, how `repr()` quotes a value inside a message, how `shlex`
//! splits `command=` and `environment=`, and what `glob.glob()` returns for
//! `[include] files`.  Rust's standard library differs from Python in all of
//! these details (e.g. `char::is_whitespace` rejects `\x1c`, `str::parse`
//! rejects `1_000` and `+٣`), so this module re-implements the Python 3.11
//! behaviour that the config parser depends on.  Unicode tables were generated
//! from Python 3.11.7 (Unicode 14.0) so the answers match the interpreter
//! supervisord was checked against, not whatever Unicode version Rust ships.
//!
//! Nothing here reads environment variables; functions that need the user's
//! home directory take it as a parameter.

use std::borrow::Cow;
use std::ffi::OsString;
use std::fmt::{self, Write as _};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// Whitespace
// ---------------------------------------------------------------------------

/// Python's `str.isspace()` for a single character.
///
/// Unlike [`char::is_whitespace`], this includes the ASCII information
/// separators `\x1c`..`\x1f`, which Python classifies as whitespace because
/// of their bidirectional class.
#[must_use]
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\x1c'..='\x20'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Python's `str.strip()` without arguments: removes leading and trailing
/// characters for which [`is_space`] holds.
#[must_use]
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

// ---------------------------------------------------------------------------
// repr
// ---------------------------------------------------------------------------

/// Python's `repr()` of a `str`.
///
/// Picks `"` as the quote only when the text contains `'` but no `"`, escapes
/// the backslash, the chosen quote, `\t`, `\n`, `\r`, other ASCII control
/// characters as `\xhh`, and non-ASCII characters that Python 3.11 considers
/// non-printable (categories Cc, Cf, Co, Cn, Zl, Zp and Zs other than the
/// space) as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.  Every other character is
/// copied unchanged.
#[must_use]
pub fn repr(s: &str) -> String {
    quoted(s, false)
}

/// Python's `ascii()` of a `str`: [`repr`] with every non-ASCII character escaped.
#[must_use]
pub fn ascii(s: &str) -> String {
    quoted(s, true)
}

fn quoted(s: &str, ascii_only: bool) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c < ' ' || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_ascii() || (!ascii_only && is_printable(c)) => out.push(c),
            c => {
                let n = u32::from(c);
                let _ = if n <= 0xff {
                    write!(out, "\\x{n:02x}")
                } else if n <= 0xffff {
                    write!(out, "\\u{n:04x}")
                } else {
                    write!(out, "\\U{n:08x}")
                };
            }
        }
    }
    out.push(quote);
    out
}

/// Python's `Py_UNICODE_ISPRINTABLE` for non-ASCII characters.
fn is_printable(c: char) -> bool {
    let n = u32::from(c);
    NON_PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < n {
                std::cmp::Ordering::Less
            } else if lo > n {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_err()
}

/// `%.200R` in a Python format string: the repr cut to 200 characters
/// (the closing quote is lost when the cut happens).
fn repr_200(s: &str) -> String {
    let r = repr(s);
    match r.char_indices().nth(200) {
        Some((i, _)) => r[..i].to_string(),
        None => r,
    }
}

// ---------------------------------------------------------------------------
// int()
// ---------------------------------------------------------------------------

/// Python 3.11's default `sys.get_int_max_str_digits()`.
const INT_MAX_STR_DIGITS: usize = 4300;

/// An integer as Python's `int()` produced it, of any size.
///
/// supervisord keeps arbitrary-precision integers, and some of its messages
/// print them (`"99999999999999999999 is above upper bound (65535)"`), so the
/// exact decimal form is kept alongside the sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyInt {
    negative: bool,
    /// Decimal digits without leading zeros (`"0"` for zero).
    digits: String,
}

impl PyInt {
    /// The value as `i64`, or `None` when it does not fit.
    #[must_use]
    pub fn to_i64(&self) -> Option<i64> {
        let mut v: i128 = 0;
        for d in self.digits.bytes() {
            v = v.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
            if v > i128::from(i64::MAX) + 1 {
                return None;
            }
        }
        i64::try_from(if self.negative { -v } else { v }).ok()
    }

    /// Whether the value is below zero.
    #[must_use]
    pub fn is_negative(&self) -> bool {
        self.negative
    }
}

impl fmt::Display for PyInt {
    /// Python's `repr()`/`str()` of the integer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str(&self.digits)
    }
}

/// Why an `int()` conversion failed.
enum IntFail {
    /// `invalid literal for int() …`
    Invalid,
    /// More than 4300 decimal digits (the count is part of the message).
    TooManyDigits(usize),
}

/// Value of a non-ASCII Unicode decimal digit (category Nd), if `c` is one.
fn unicode_decimal(c: char) -> Option<u8> {
    let n = u32::from(c);
    let i = DECIMAL_ZEROS.partition_point(|&z| z <= n);
    let zero = *DECIMAL_ZEROS.get(i.checked_sub(1)?)?;
    u8::try_from(n - zero).ok().filter(|d| *d <= 9)
}

/// Core of Python's `int(str, base)` for base 10 and base 8.
///
/// Python first maps every non-ASCII character to ASCII (Unicode blanks to
/// a space, Unicode decimal digits to `0`-`9`, anything else to an invalid
/// byte) and then parses the ASCII text, so the same is done here.  Returns
/// the sign and the digit values (most significant first).
fn parse_int(s: &str, base: u8) -> Result<(bool, Vec<u8>), IntFail> {
    let t: Vec<u8> = s
        .chars()
        .map(|c| {
            if c.is_ascii() {
                // `c` is ASCII, so the cast is lossless.
                c as u8
            } else if is_space(c) {
                b' '
            } else if let Some(d) = unicode_decimal(c) {
                b'0' + d
            } else {
                b'?'
            }
        })
        .collect();
    // Only the ASCII blanks of C's isspace() are skipped at this stage; the
    // separators \x1c..\x1f make the literal invalid.
    let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let mut i = 0;
    while t.get(i).copied().is_some_and(blank) {
        i += 1;
    }
    let mut negative = false;
    match t.get(i) {
        Some(b'-') => {
            negative = true;
            i += 1;
        }
        Some(b'+') => i += 1,
        _ => {}
    }
    let mut after_prefix = false;
    if base == 8 && t.get(i) == Some(&b'0') && matches!(t.get(i + 1), Some(b'o' | b'O')) {
        i += 2;
        after_prefix = true;
    }
    let mut digits = Vec::new();
    let mut last_underscore = false;
    while let Some(&b) = t.get(i) {
        if b == b'_' {
            // One underscore between digits, or right after a 0o prefix.
            if last_underscore || (digits.is_empty() && !after_prefix) {
                return Err(IntFail::Invalid);
            }
            last_underscore = true;
        } else if b.is_ascii_digit() && b - b'0' < base {
            digits.push(b - b'0');
            last_underscore = false;
        } else {
            break;
        }
        i += 1;
    }
    if digits.is_empty() || last_underscore {
        return Err(IntFail::Invalid);
    }
    // Python checks the digit limit before looking at trailing garbage.
    if base == 10 && digits.len() > INT_MAX_STR_DIGITS {
        return Err(IntFail::TooManyDigits(digits.len()));
    }
    while t.get(i).copied().is_some_and(blank) {
        i += 1;
    }
    if i != t.len() {
        return Err(IntFail::Invalid);
    }
    Ok((negative, digits))
}

/// Python's `int(s)` (base 10) with the exact value kept at any size.
///
/// # Errors
///
/// Python's `ValueError` message: `invalid literal for int() with base 10: '…'`
/// (the repr of `s`, cut to 200 characters as Python does), or Python
/// 3.11's `Exceeds the limit (4300 digits) …` for longer digit strings.
pub fn int_exact(s: &str) -> Result<PyInt, String> {
    match parse_int(s, 10) {
        Ok((negative, digits)) => {
            let first = digits.iter().position(|&d| d != 0);
            let digits: String = match first {
                Some(p) => digits[p..].iter().map(|&d| char::from(b'0' + d)).collect(),
                None => "0".to_string(),
            };
            Ok(PyInt {
                negative: negative && first.is_some(),
                digits,
            })
        }
        Err(IntFail::Invalid) => Err(invalid_int_message(s)),
        Err(IntFail::TooManyDigits(n)) => Err(format!(
            "Exceeds the limit ({INT_MAX_STR_DIGITS} digits) for integer string conversion: \
             value has {n} digits; use sys.set_int_max_str_digits() to increase the limit"
        )),
    }
}

/// The message of Python's `int(s)` `ValueError` for an invalid literal.
fn invalid_int_message(s: &str) -> String {
    format!("invalid literal for int() with base 10: {}", repr_200(s))
}

/// Python's `int(s)` (base 10).
///
/// Accepts surrounding whitespace (ASCII blanks and Unicode spaces), a `+` or
/// `-` sign, single underscores between digits and Unicode decimal digits
/// (`"٣"` is 3).
///
/// # Errors
///
/// Exactly Python's message for invalid input (see [`int_exact`]).  A value
/// that Python accepts but that does not fit in `i64` also yields the
/// "invalid literal" message; use [`int_exact`] when such values matter.
pub fn int(s: &str) -> Result<i64, String> {
    if let Some(n) = int_fast(s) {
        return Ok(n);
    }
    int_exact(s)?.to_i64().ok_or_else(|| invalid_int_message(s))
}

/// Python's `int(s)` for the common case, a short run of ASCII digits with an optional
/// `-` (what `int()` gives for it); `None` for anything else, which the full parser
/// ([`int_exact`]) settles.
#[must_use]
pub fn int_fast(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok();
    }
    None
}

/// Python's `int(s, 8)`: like [`int`], plus an optional `0o`/`0O` prefix
/// after the sign (which may be followed by one underscore); no digit limit.
///
/// # Errors
///
/// `Err(())` when Python raises `ValueError`, and also when the value does
/// not fit in `i64` (Python would accept it).
// The unit error is the requested API: callers only need "not octal".
#[allow(clippy::result_unit_err)]
pub fn int_base8(s: &str) -> Result<i64, ()> {
    let (negative, digits) = parse_int(s, 8).map_err(|_| ())?;
    let mut v: i128 = 0;
    for d in digits {
        v = v
            .checked_mul(8)
            .and_then(|v| v.checked_add(i128::from(d)))
            .ok_or(())?;
        if v > i128::from(i64::MAX) + 1 {
            return Err(());
        }
    }
    i64::try_from(if negative { -v } else { v }).map_err(|_| ())
}

// ---------------------------------------------------------------------------
// Case mapping
// ---------------------------------------------------------------------------

/// Characters that Rust's (newer) Unicode tables lower-case but Python 3.11
/// (Unicode 14.0) leaves alone.
fn python_lower_is_identity(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1C89 | 0xA7CB | 0xA7CC | 0xA7CE | 0xA7D2 | 0xA7D4 | 0xA7DA | 0xA7DC
            | 0x10D50..=0x10D65
            | 0x16EA0..=0x16EB8
    )
}

/// Characters that Rust's (newer) Unicode tables upper-case but Python 3.11
/// (Unicode 14.0) leaves alone.
fn python_upper_is_identity(c: char) -> bool {
    matches!(
        u32::from(c),
        0x019B | 0x0264 | 0x1C8A | 0xA7CD | 0xA7CF | 0xA7D3 | 0xA7D5 | 0xA7DB
            | 0x10D70..=0x10D85
            | 0x16EBB..=0x16ED3
    )
}

/// Python's `str.lower()`: full Unicode lower-casing (`İ` becomes two
/// characters, a word-final `Σ` becomes `ς`) with Python 3.11's tables.
///
/// The final-sigma context is evaluated within runs of characters known to
/// both Unicode versions, which only matters for text mixing a capital sigma
/// with letters added after Unicode 14.
#[must_use]
pub fn lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(python_lower_is_identity) {
        out.push_str(&rest[..pos].to_lowercase());
        let c = rest[pos..].chars().next().unwrap_or_default();
        out.push(c);
        rest = &rest[pos + c.len_utf8()..];
    }
    out.push_str(&rest.to_lowercase());
    out
}

/// Python's `str.upper()` (full mapping: `ß` becomes `SS`, `ſ` becomes `S`)
/// with Python 3.11's tables.
#[must_use]
pub fn upper(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if python_upper_is_identity(c) {
            out.push(c);
        } else {
            out.extend(c.to_uppercase());
        }
    }
    out
}

// ---------------------------------------------------------------------------
// shlex
// ---------------------------------------------------------------------------

/// The characters `shlex` treats as blanks (its `whitespace` attribute); other
/// Unicode blanks are ordinary characters to it.
pub(crate) fn shlex_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Python's `shlex.split(s)`: POSIX mode, no comments, split on blanks only.
///
/// This is how supervisord turns `command=` into an argument vector: quotes
/// group and are removed, a backslash escapes the next character outside
/// quotes and only `\\`/`\"` inside double quotes, and `""` yields an empty
/// argument.
///
/// # Errors
///
/// `shlex`'s `ValueError` messages: `No closing quotation` for an unterminated
/// quote, `No escaped character` for a trailing backslash.
pub fn shlex_split_posix(s: &str) -> Result<Vec<String>, String> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Blank,
        Word,
        Quote(char),
        /// After a backslash; the state to return to.
        Escape(EscapedFrom),
    }
    #[derive(Clone, Copy, PartialEq)]
    enum EscapedFrom {
        Word,
        DoubleQuote,
    }
    let mut chars = s.chars();
    let mut tokens = Vec::new();
    let mut at_eof = false;
    while !at_eof {
        let mut token = String::new();
        let mut quoted = false;
        let mut state = State::Blank;
        loop {
            let next = chars.next();
            match state {
                State::Blank => match next {
                    None => {
                        at_eof = true;
                        break;
                    }
                    Some(c) if shlex_blank(c) => {}
                    Some('\\') => state = State::Escape(EscapedFrom::Word),
                    Some(q @ ('\'' | '"')) => state = State::Quote(q),
                    Some(c) => {
                        token.push(c);
                        state = State::Word;
                    }
                },
                State::Word => match next {
                    None => {
                        at_eof = true;
                        break;
                    }
                    Some(c) if shlex_blank(c) => break,
                    Some(q @ ('\'' | '"')) => state = State::Quote(q),
                    Some('\\') => state = State::Escape(EscapedFrom::Word),
                    Some(c) => token.push(c),
                },
                State::Quote(q) => {
                    quoted = true;
                    match next {
                        None => return Err("No closing quotation".to_string()),
                        Some(c) if c == q => state = State::Word,
                        Some('\\') if q == '"' => state = State::Escape(EscapedFrom::DoubleQuote),
                        Some(c) => token.push(c),
                    }
                }
                State::Escape(from) => {
                    let Some(c) = next else {
                        return Err("No escaped character".to_string());
                    };
                    // Inside double quotes only `\` and `"` can be escaped;
                    // otherwise the backslash stays.
                    if from == EscapedFrom::DoubleQuote && c != '\\' && c != '"' {
                        token.push('\\');
                    }
                    token.push(c);
                    state = match from {
                        EscapedFrom::Word => State::Word,
                        EscapedFrom::DoubleQuote => State::Quote('"'),
                    };
                }
            }
        }
        if quoted || !token.is_empty() {
            tokens.push(token);
        }
    }
    Ok(tokens)
}

/// `list(shlex.shlex(s))` in non-POSIX mode with `wordchars` extended by
/// `extra_wordchars`: supervisord's tokenizer for `environment=`.
///
/// Word characters are ASCII letters, digits, `_` and `extra_wordchars`
/// (non-ASCII letters are not word characters in this mode).  A quoted
/// string is one token that keeps its quotes and ends at the closing quote; a
/// quote inside a word is just part of the word.  Any other non-blank
/// character is a one-character token.  `#` discards the rest of the line
/// (up to and including `\n`); inside a word the word then continues on the
/// next line, as `shlex` does.
///
/// Tokens borrow from `s`, except a word that a `#` comment split, which is
/// the only token that is not one run of the input.
///
/// # Errors
///
/// `No closing quotation` when a quoted string is not terminated.
pub fn shlex_tokens_nonposix<'s>(
    s: &'s str,
    extra_wordchars: &str,
) -> Result<Vec<Cow<'s, str>>, String> {
    // the text is read byte by byte: every character shlex treats specially is ASCII, and
    // a set of ASCII bytes is one bit test
    let mut word = SHLEX_WORDCHARS;
    for b in extra_wordchars.bytes().filter(u8::is_ascii) {
        word |= 1 << b;
    }
    // blanks and `#` are looked at first: added as word characters, they stay what they are
    word &= !ascii_set(b" \t\r\n#");
    let word_or_quote = word | ascii_set(b"'\"");
    let is = |set: u128, b: u8| b.is_ascii() && set & (1 << b) != 0;
    let bytes = s.as_bytes();
    // the whole character at `i` (for a non-ASCII byte)
    let char_len = |i: usize| {
        s.get(i..)
            .and_then(|r| r.chars().next())
            .map(|c| (c, c.len_utf8()))
    };
    // just past the `\n` that ends the line at `i`, or the end of the text
    let after_line = |i: usize| {
        bytes
            .get(i..)
            .and_then(|rest| memchr::memchr(b'\n', rest))
            .map_or(s.len(), |n| i + n + 1)
    };
    let slice = |a: usize, b: usize| Cow::Borrowed(s.get(a..b).unwrap_or(""));
    let mut tokens = Vec::with_capacity(16);
    let mut i = 0;
    // every token starts in shlex's blank state
    while let Some(&b) = bytes.get(i) {
        let start = i;
        if b.is_ascii() {
            i += 1;
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => continue,
                b'#' => {
                    i = after_line(i);
                    continue;
                }
                _ if is(word, b) => {}
                b'\'' | b'"' => {
                    let close = bytes
                        .get(i..)
                        .and_then(|rest| memchr::memchr(b, rest))
                        .ok_or_else(|| "No closing quotation".to_string())?;
                    i += close + 1;
                    tokens.push(slice(start, i));
                    continue;
                }
                _ => {
                    tokens.push(slice(start, i));
                    continue;
                }
            }
        } else {
            let Some((c, n)) = char_len(i) else { break };
            i += n;
            if !extra_wordchars.contains(c) {
                tokens.push(slice(start, i));
                continue;
            }
        }
        // a word, to the next blank or other character that is neither word nor quote;
        // `joined` holds what came before a `#` comment that split it
        let mut joined: Option<String> = None;
        let mut piece = start;
        let word_end = |joined: Option<String>, piece: usize, end: usize| match joined {
            Some(mut w) => {
                w.push_str(s.get(piece..end).unwrap_or(""));
                Cow::Owned(w)
            }
            None => slice(piece, end),
        };
        loop {
            while bytes.get(i).is_some_and(|&b| is(word_or_quote, b)) {
                i += 1;
            }
            match bytes.get(i) {
                None => {
                    tokens.push(word_end(joined, piece, i));
                    return Ok(tokens);
                }
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    tokens.push(word_end(joined, piece, i));
                    i += 1;
                    break;
                }
                Some(b'#') => {
                    joined
                        .get_or_insert_with(String::new)
                        .push_str(s.get(piece..i).unwrap_or(""));
                    i = after_line(i);
                    piece = i;
                }
                Some(&next) => {
                    let len = if next.is_ascii() {
                        1
                    } else {
                        match char_len(i) {
                            Some((ch, len)) if extra_wordchars.contains(ch) => {
                                i += len;
                                continue;
                            }
                            Some((_, len)) => len,
                            None => 1,
                        }
                    };
                    // shlex pushes the character that ended the word back: a token of its own
                    tokens.push(word_end(joined, piece, i));
                    tokens.push(slice(i, i + len));
                    i += len;
                    break;
                }
            }
        }
    }
    Ok(tokens)
}

/// The word characters of `shlex` before any are added: ASCII letters, digits and `_`.
const SHLEX_WORDCHARS: u128 =
    ascii_set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

/// A set of ASCII bytes, bit `b` for byte `b`.
const fn ascii_set(bytes: &[u8]) -> u128 {
    let mut set = 0;
    let mut i = 0;
    while i < bytes.len() {
        set |= 1 << bytes[i];
        i += 1;
    }
    set
}

// ---------------------------------------------------------------------------
// glob
// ---------------------------------------------------------------------------

/// Python's `glob.glob(pattern)` (non-recursive, hidden files excluded),
/// returning matches in directory order, unsorted, as Python does.
///
/// Components without `*`, `?` or `[` are not listed but checked with
/// `lstat` (so broken symlinks match); a pattern ending in `/` matches
/// directories only.  Wildcard components follow `fnmatch`: case-sensitive,
/// `[…]`/`[!…]` classes with ranges, a `[` without closing `]` is literal,
/// `**` is the same as `*`, and a name starting with `.` only matches a
/// component that starts with `.`.  Unreadable directories contribute no
/// matches.  File names that are not UTF-8 are matched the way Python's
/// surrogate-escaped `str` names are (each bad byte is one character).
///
/// # Errors
///
/// Only when a directory to be listed has a NUL byte in its name (Python
/// raises `ValueError` there); every other file-system error means "no match".
pub fn glob(pattern: &str) -> std::io::Result<Vec<PathBuf>> {
    let found = iglob(pattern.as_bytes(), false)?;
    Ok(found
        .into_iter()
        .map(|b| PathBuf::from(OsString::from_vec(b)))
        .collect())
}

fn has_magic(s: &[u8]) -> bool {
    s.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// `posixpath.split` on bytes.
fn split_path(p: &[u8]) -> (&[u8], &[u8]) {
    let i = p.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let (mut head, tail) = p.split_at(i);
    if head.iter().any(|&b| b != b'/') {
        while let Some((&b'/', rest)) = head.split_last() {
            head = rest;
        }
    }
    (head, tail)
}

/// `posixpath.join(a, b)` on bytes.
fn join_path(a: &[u8], b: &[u8]) -> Vec<u8> {
    if b.first() == Some(&b'/') {
        return b.to_vec();
    }
    let mut out = a.to_vec();
    if !out.is_empty() && out.last() != Some(&b'/') {
        out.push(b'/');
    }
    out.extend_from_slice(b);
    out
}

fn os_path(p: &[u8]) -> &Path {
    Path::new(std::ffi::OsStr::from_bytes(p))
}

/// `os.path.lexists`: `lstat` succeeds.
fn lexists(p: &[u8]) -> bool {
    !p.is_empty() && std::fs::symlink_metadata(os_path(p)).is_ok()
}

/// `os.path.isdir`: `stat` (following links) says directory.
fn isdir(p: &[u8]) -> bool {
    !p.is_empty() && std::fs::metadata(os_path(p)).is_ok_and(|m| m.is_dir())
}

/// `glob._iglob`: returns whole (joined) paths.
fn iglob(path: &[u8], dironly: bool) -> std::io::Result<Vec<Vec<u8>>> {
    let (dirname, basename) = split_path(path);
    if !has_magic(path) {
        let hit = if basename.is_empty() {
            isdir(dirname)
        } else {
            lexists(path)
        };
        return Ok(if hit { vec![path.to_vec()] } else { Vec::new() });
    }
    if dirname.is_empty() {
        return glob1(dirname, basename, dironly);
    }
    // Recursion strictly shortens the pattern, so it always terminates, even
    // with symlink loops on disk.
    let dirs = if dirname != path && has_magic(dirname) {
        iglob(dirname, true)?
    } else {
        vec![dirname.to_vec()]
    };
    let mut out = Vec::new();
    for dir in dirs {
        let names = if has_magic(basename) {
            glob1(&dir, basename, dironly)?
        } else {
            glob0(&dir, basename)
        };
        out.extend(names.iter().map(|n| join_path(&dir, n)));
    }
    Ok(out)
}

/// `glob._glob0`: a literal component; `dironly` is deliberately ignored, as
/// in Python.
fn glob0(dir: &[u8], basename: &[u8]) -> Vec<Vec<u8>> {
    let hit = if basename.is_empty() {
        isdir(dir)
    } else {
        lexists(&join_path(dir, basename))
    };
    if hit {
        vec![basename.to_vec()]
    } else {
        Vec::new()
    }
}

/// `glob._glob1`: names in `dir` matching a wildcard component.
fn glob1(dir: &[u8], pattern: &[u8], dironly: bool) -> std::io::Result<Vec<Vec<u8>>> {
    if dir.contains(&0) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "embedded null byte",
        ));
    }
    let matcher = compile_fnmatch(&String::from_utf8_lossy(pattern));
    let hidden_ok = pattern.first() == Some(&b'.');
    let list_dir = if dir.is_empty() {
        Path::new(".")
    } else {
        os_path(dir)
    };
    let Ok(entries) = std::fs::read_dir(list_dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.as_bytes();
        if !hidden_ok && name.first() == Some(&b'.') {
            continue;
        }
        if dironly {
            // DirEntry.is_dir() follows symlinks; errors mean "not a dir".
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_symlink() => {
                    std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir())
                }
                Ok(t) => t.is_dir(),
                Err(_) => false,
            };
            if !is_dir {
                continue;
            }
        }
        if fnmatch_match(&matcher, &python_chars(name)) {
            out.push(name.to_vec());
        }
    }
    Ok(out)
}

/// A file name as the code points of Python's `os.fsdecode` (UTF-8 with
/// `surrogateescape`: every undecodable byte `b` becomes `U+DC00 + b`).
fn python_chars(mut bytes: &[u8]) -> Vec<u32> {
    let mut out = Vec::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.extend(s.chars().map(u32::from));
                return out;
            }
            Err(e) => {
                let (good, bad) = bytes.split_at(e.valid_up_to());
                out.extend(String::from_utf8_lossy(good).chars().map(u32::from));
                let n = e.error_len().unwrap_or(bad.len()).max(1).min(bad.len());
                out.extend(bad[..n].iter().map(|&b| 0xDC00 + u32::from(b)));
                bytes = &bad[n..];
            }
        }
    }
}

/// One element of a compiled `fnmatch` pattern.
#[derive(Debug, Clone, PartialEq)]
enum FnTok {
    /// `*` (runs of `*` are merged).
    Star,
    /// `?`, or a negated empty class.
    Any,
    /// A literal character.
    Lit(u32),
    /// `[…]`: inclusive code-point ranges, possibly negated.
    Class(bool, Vec<(u32, u32)>),
    /// A class that became empty after dropping reversed ranges.
    Never,
}

/// `fnmatch.translate`, producing tokens instead of a regular expression but
/// with the same class rules (including the removal of reversed ranges such
/// as `z-a`, which Python drops rather than rejects).
fn compile_fnmatch(pattern: &str) -> Vec<FnTok> {
    let pat: Vec<char> = pattern.chars().collect();
    let n = pat.len();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < n {
        let c = pat[i];
        i += 1;
        match c {
            '*' => {
                if toks.last() != Some(&FnTok::Star) {
                    toks.push(FnTok::Star);
                }
            }
            '?' => toks.push(FnTok::Any),
            '[' => {
                let mut j = i;
                if j < n && pat[j] == '!' {
                    j += 1;
                }
                if j < n && pat[j] == ']' {
                    j += 1;
                }
                while j < n && pat[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    toks.push(FnTok::Lit(u32::from('[')));
                } else {
                    toks.push(compile_class(&pat, i, j));
                    i = j + 1;
                }
            }
            c => toks.push(FnTok::Lit(u32::from(c))),
        }
    }
    toks
}

/// The class `pat[start..end]` (between `[` and `]`).
fn compile_class(pat: &[char], start: usize, end: usize) -> FnTok {
    let stuff = &pat[start..end];
    let chunks: Vec<Vec<char>> = if stuff.contains(&'-') {
        // Split at the hyphens that form ranges, as fnmatch does: the first
        // hyphen is searched after the first (non-`!`) character, and after
        // each range the search resumes past the range's end character.
        let mut chunks: Vec<Vec<char>> = Vec::new();
        let mut i = start;
        let mut k = if pat[start] == '!' {
            start + 2
        } else {
            start + 1
        };
        loop {
            let found = (k..end).find(|&x| pat[x] == '-');
            let Some(h) = found else { break };
            chunks.push(pat[i..h].to_vec());
            i = h + 1;
            k = h + 3;
        }
        let last = pat[i..end].to_vec();
        if last.is_empty() {
            if let Some(prev) = chunks.last_mut() {
                prev.push('-');
            }
        } else {
            chunks.push(last);
        }
        // Reversed ranges are removed by merging the two chunks around them.
        let mut k = chunks.len().saturating_sub(1);
        while k > 0 {
            let prev_last = chunks[k - 1].last().copied();
            let cur_first = chunks[k].first().copied();
            if let (Some(a), Some(b)) = (prev_last, cur_first) {
                if a > b {
                    let cur = chunks.remove(k);
                    let prev = &mut chunks[k - 1];
                    prev.pop();
                    prev.extend_from_slice(cur.get(1..).unwrap_or(&[]));
                }
            }
            k -= 1;
        }
        chunks
    } else {
        vec![stuff.to_vec()]
    };
    let total: usize = chunks.iter().map(Vec::len).sum::<usize>() + chunks.len().saturating_sub(1);
    if total == 0 {
        return FnTok::Never;
    }
    if chunks.len() == 1 && chunks[0] == ['!'] {
        return FnTok::Any;
    }
    let mut chunks = chunks;
    let negated = chunks.first().and_then(|c| c.first()) == Some(&'!');
    if negated {
        if let Some(first) = chunks.first_mut() {
            first.remove(0);
        }
    }
    let mut ranges = Vec::new();
    let count = chunks.len();
    for (ci, chunk) in chunks.iter().enumerate() {
        for (idx, &ch) in chunk.iter().enumerate() {
            if ci > 0 && idx == 0 {
                continue; // end of the range opened by the previous chunk
            }
            if ci + 1 < count && idx + 1 == chunk.len() {
                let hi = chunks[ci + 1].first().copied().unwrap_or(ch);
                ranges.push((u32::from(ch), u32::from(hi)));
            } else {
                ranges.push((u32::from(ch), u32::from(ch)));
            }
        }
    }
    FnTok::Class(negated, ranges)
}

/// Whether a whole name matches (`re.match` with `\Z`, DOTALL).
fn fnmatch_match(toks: &[FnTok], name: &[u32]) -> bool {
    let one = |t: &FnTok, c: u32| match t {
        FnTok::Any => true,
        FnTok::Lit(l) => *l == c,
        FnTok::Class(neg, ranges) => ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg,
        FnTok::Star | FnTok::Never => false,
    };
    let (mut t, mut n) = (0, 0);
    // Resume point after the last `*`: (token index, name index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(tok) = toks.get(t) {
            if *tok == FnTok::Star {
                star = Some((t + 1, n));
                t += 1;
                continue;
            }
            if let Some(&c) = name.get(n) {
                if one(tok, c) {
                    t += 1;
                    n += 1;
                    continue;
                }
            }
        } else if n == name.len() {
            return true;
        }
        // Let the last `*` swallow one more character and retry; earlier
        // stars never need to be revisited.
        match star {
            Some((st, sn)) if sn < name.len() => {
                star = Some((st, sn + 1));
                t = st;
                n = sn + 1;
            }
            _ => return false,
        }
    }
}

// ---------------------------------------------------------------------------
// os.path
// ---------------------------------------------------------------------------

/// Python's `os.path.normpath` on POSIX: collapses `//`, `.` and `dir/..`
/// textually (no file-system access), keeps a leading `..` in relative paths,
/// keeps exactly two leading slashes (POSIX allows them a special meaning)
/// but folds three or more into one, and turns `""` into `"."`.
#[must_use]
pub fn normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let initial_slashes = if p.starts_with("//") && !p.starts_with("///") {
        2
    } else {
        usize::from(p.starts_with('/'))
    };
    let mut comps: Vec<&str> = Vec::new();
    for comp in p.split('/') {
        if comp.is_empty() || comp == "." {
            continue;
        }
        if comp != ".." || (initial_slashes == 0 && comps.is_empty()) || comps.last() == Some(&"..")
        {
            comps.push(comp);
        } else {
            comps.pop();
        }
    }
    let out = "/".repeat(initial_slashes) + &comps.join("/");
    if out.is_empty() { ".".to_string() } else { out }
}

/// Python's `os.path.expanduser` on POSIX, with `$HOME` passed in as `home`.
///
/// `~` and `~/…` use `home`; when `home` is `None` (HOME unset) the current
/// user's entry in `/etc/passwd` is used, as Python falls back to
/// `pwd.getpwuid(os.getuid())`.  `~user/…` is looked up in `/etc/passwd`
/// only (no NSS such as LDAP).  Paths whose user is unknown, and names
/// containing NUL (for which Python raises `ValueError`), are returned
/// unchanged.  Trailing slashes of the home directory are dropped and an
/// empty result becomes `/`, as in Python.
#[must_use]
pub fn expanduser(p: &str, home: Option<&str>) -> String {
    if !p.starts_with('~') {
        return p.to_string();
    }
    let i = p[1..].find('/').map_or(p.len(), |x| x + 1);
    let userhome = if i == 1 {
        match home {
            Some(h) => h.to_string(),
            None => match current_uid().and_then(|uid| passwd_home(|_, u| u == uid)) {
                Some(h) => h,
                None => return p.to_string(),
            },
        }
    } else {
        let name = &p[1..i];
        if name.contains('\0') {
            return p.to_string();
        }
        match passwd_home(|n, _| n == name) {
            Some(h) => h,
            None => return p.to_string(),
        }
    };
    let out = format!("{}{}", userhome.trim_end_matches('/'), &p[i..]);
    if out.is_empty() { "/".to_string() } else { out }
}

/// The real uid of this process, from `/proc/self/status` (no libc).
fn current_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Home directory of the first `/etc/passwd` entry accepted by `pick(name, uid)`.
fn passwd_home(pick: impl Fn(&str, u32) -> bool) -> Option<String> {
    let data = std::fs::read(Path::new("/etc/passwd")).ok()?;
    let text = String::from_utf8_lossy(&data);
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        let uid = fields.get(2)?.parse().ok()?;
        if fields.len() >= 7 && pick(fields[0], uid) {
            fields.get(5).map(|s| (*s).to_string())
        } else {
            None
        }
    })
}

// Generated from Python 3.11.7 (Unicode 14.0) by unicodedata; see module docs.

/// First code point (digit zero) of every non-ASCII run of Unicode decimal digits.
const DECIMAL_ZEROS: [u32; 65] = [
    0x00660, 0x006F0, 0x007C0, 0x00966, 0x009E6, 0x00A66, 0x00AE6, 0x00B66, 0x00BE6, 0x00C66,
    0x00CE6, 0x00D66, 0x00DE6, 0x00E50, 0x00ED0, 0x00F20, 0x01040, 0x01090, 0x017E0, 0x01810,
    0x01946, 0x019D0, 0x01A80, 0x01A90, 0x01B50, 0x01BB0, 0x01C40, 0x01C50, 0x0A620, 0x0A8D0,
    0x0A900, 0x0A9D0, 0x0A9F0, 0x0AA50, 0x0ABF0, 0x0FF10, 0x104A0, 0x10D30, 0x11066, 0x110F0,
    0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950,
    0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC,
    0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// Inclusive code-point ranges for which Python's `str.isprintable()` is false.
#[allow(clippy::unreadable_literal)]
const NON_PRINTABLE: [(u32, u32); 701] = [
    (0x0, 0x1F),
    (0x7F, 0xA0),
    (0xAD, 0xAD),
    (0x378, 0x379),
    (0x380, 0x383),
    (0x38B, 0x38B),
    (0x38D, 0x38D),
    (0x3A2, 0x3A2),
    (0x530, 0x530),
    (0x557, 0x558),
    (0x58B, 0x58C),
    (0x590, 0x590),
    (0x5C8, 0x5CF),
    (0x5EB, 0x5EE),
    (0x5F5, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70E, 0x70F),
    (0x74B, 0x74C),
    (0x7B2, 0x7BF),
    (0x7FB, 0x7FC),
    (0x82E, 0x82F),
    (0x83F, 0x83F),
    (0x85C, 0x85D),
    (0x85F, 0x85F),
    (0x86B, 0x86F),
    (0x88F, 0x897),
    (0x8E2, 0x8E2),
    (0x984, 0x984),
    (0x98D, 0x98E),
    (0x991, 0x992),
    (0x9A9, 0x9A9),
    (0x9B1, 0x9B1),
    (0x9B3, 0x9B5),
    (0x9BA, 0x9BB),
    (0x9C5, 0x9C6),
    (0x9C9, 0x9CA),
    (0x9CF, 0x9D6),
    (0x9D8, 0x9DB),
    (0x9DE, 0x9DE),
    (0x9E4, 0x9E5),
    (0x9FF, 0xA00),
    (0xA04, 0xA04),
    (0xA0B, 0xA0E),
    (0xA11, 0xA12),
    (0xA29, 0xA29),
    (0xA31, 0xA31),
    (0xA34, 0xA34),
    (0xA37, 0xA37),
    (0xA3A, 0xA3B),
    (0xA3D, 0xA3D),
    (0xA43, 0xA46),
    (0xA49, 0xA4A),
    (0xA4E, 0xA50),
    (0xA52, 0xA58),
    (0xA5D, 0xA5D),
    (0xA5F, 0xA65),
    (0xA77, 0xA80),
    (0xA84, 0xA84),
    (0xA8E, 0xA8E),
    (0xA92, 0xA92),
    (0xAA9, 0xAA9),
    (0xAB1, 0xAB1),
    (0xAB4, 0xAB4),
    (0xABA, 0xABB),
    (0xAC6, 0xAC6),
    (0xACA, 0xACA),
    (0xACE, 0xACF),
    (0xAD1, 0xADF),
    (0xAE4, 0xAE5),
    (0xAF2, 0xAF8),
    (0xB00, 0xB00),
    (0xB04, 0xB04),
    (0xB0D, 0xB0E),
    (0xB11, 0xB12),
    (0xB29, 0xB29),
    (0xB31, 0xB31),
    (0xB34, 0xB34),
    (0xB3A, 0xB3B),
    (0xB45, 0xB46),
    (0xB49, 0xB4A),
    (0xB4E, 0xB54),
    (0xB58, 0xB5B),
    (0xB5E, 0xB5E),
    (0xB64, 0xB65),
    (0xB78, 0xB81),
    (0xB84, 0xB84),
    (0xB8B, 0xB8D),
    (0xB91, 0xB91),
    (0xB96, 0xB98),
    (0xB9B, 0xB9B),
    (0xB9D, 0xB9D),
    (0xBA0, 0xBA2),
    (0xBA5, 0xBA7),
    (0xBAB, 0xBAD),
    (0xBBA, 0xBBD),
    (0xBC3, 0xBC5),
    (0xBC9, 0xBC9),
    (0xBCE, 0xBCF),
    (0xBD1, 0xBD6),
    (0xBD8, 0xBE5),
    (0xBFB, 0xBFF),
    (0xC0D, 0xC0D),
    (0xC11, 0xC11),
    (0xC29, 0xC29),
    (0xC3A, 0xC3B),
    (0xC45, 0xC45),
    (0xC49, 0xC49),
    (0xC4E, 0xC54),
    (0xC57, 0xC57),
    (0xC5B, 0xC5C),
    (0xC5E, 0xC5F),
    (0xC64, 0xC65),
    (0xC70, 0xC76),
    (0xC8D, 0xC8D),
    (0xC91, 0xC91),
    (0xCA9, 0xCA9),
    (0xCB4, 0xCB4),
    (0xCBA, 0xCBB),
    (0xCC5, 0xCC5),
    (0xCC9, 0xCC9),
    (0xCCE, 0xCD4),
    (0xCD7, 0xCDC),
    (0xCDF, 0xCDF),
    (0xCE4, 0xCE5),
    (0xCF0, 0xCF0),
    (0xCF3, 0xCFF),
    (0xD0D, 0xD0D),
    (0xD11, 0xD11),
    (0xD45, 0xD45),
    (0xD49, 0xD49),
    (0xD50, 0xD53),
    (0xD64, 0xD65),
    (0xD80, 0xD80),
    (0xD84, 0xD84),
    (0xD97, 0xD99),
    (0xDB2, 0xDB2),
    (0xDBC, 0xDBC),
    (0xDBE, 0xDBF),
    (0xDC7, 0xDC9),
    (0xDCB, 0xDCE),
    (0xDD5, 0xDD5),
    (0xDD7, 0xDD7),
    (0xDE0, 0xDE5),
    (0xDF0, 0xDF1),
    (0xDF5, 0xE00),
    (0xE3B, 0xE3E),
    (0xE5C, 0xE80),
    (0xE83, 0xE83),
    (0xE85, 0xE85),
    (0xE8B, 0xE8B),
    (0xEA4, 0xEA4),
    (0xEA6, 0xEA6),
    (0xEBE, 0xEBF),
    (0xEC5, 0xEC5),
    (0xEC7, 0xEC7),
    (0xECE, 0xECF),
    (0xEDA, 0xEDB),
    (0xEE0, 0xEFF),
    (0xF48, 0xF48),
    (0xF6D, 0xF70),
    (0xF98, 0xF98),
    (0xFBD, 0xFBD),
    (0xFCD, 0xFCD),
    (0xFDB, 0xFFF),
    (0x10C6, 0x10C6),
    (0x10C8, 0x10CC),
    (0x10CE, 0x10CF),
    (0x1249, 0x1249),
    (0x124E, 0x124F),
    (0x1257, 0x1257),
    (0x1259, 0x1259),
    (0x125E, 0x125F),
    (0x1289, 0x1289),
    (0x128E, 0x128F),
    (0x12B1, 0x12B1),
    (0x12B6, 0x12B7),
    (0x12BF, 0x12BF),
    (0x12C1, 0x12C1),
    (0x12C6, 0x12C7),
    (0x12D7, 0x12D7),
    (0x1311, 0x1311),
    (0x1316, 0x1317),
    (0x135B, 0x135C),
    (0x137D, 0x137F),
    (0x139A, 0x139F),
    (0x13F6, 0x13F7),
    (0x13FE, 0x13FF),
    (0x1680, 0x1680),
    (0x169D, 0x169F),
    (0x16F9, 0x16FF),
    (0x1716, 0x171E),
    (0x1737, 0x173F),
    (0x1754, 0x175F),
    (0x176D, 0x176D),
    (0x1771, 0x1771),
    (0x1774, 0x177F),
    (0x17DE, 0x17DF),
    (0x17EA, 0x17EF),
    (0x17FA, 0x17FF),
    (0x180E, 0x180E),
    (0x181A, 0x181F),
    (0x1879, 0x187F),
    (0x18AB, 0x18AF),
    (0x18F6, 0x18FF),
    (0x191F, 0x191F),
    (0x192C, 0x192F),
    (0x193C, 0x193F),
    (0x1941, 0x1943),
    (0x196E, 0x196F),
    (0x1975, 0x197F),
    (0x19AC, 0x19AF),
    (0x19CA, 0x19CF),
    (0x19DB, 0x19DD),
    (0x1A1C, 0x1A1D),
    (0x1A5F, 0x1A5F),
    (0x1A7D, 0x1A7E),
    (0x1A8A, 0x1A8F),
    (0x1A9A, 0x1A9F),
    (0x1AAE, 0x1AAF),
    (0x1ACF, 0x1AFF),
    (0x1B4D, 0x1B4F),
    (0x1B7F, 0x1B7F),
    (0x1BF4, 0x1BFB),
    (0x1C38, 0x1C3A),
    (0x1C4A, 0x1C4C),
    (0x1C89, 0x1C8F),
    (0x1CBB, 0x1CBC),
    (0x1CC8, 0x1CCF),
    (0x1CFB, 0x1CFF),
    (0x1F16, 0x1F17),
    (0x1F1E, 0x1F1F),
    (0x1F46, 0x1F47),
    (0x1F4E, 0x1F4F),
    (0x1F58, 0x1F58),
    (0x1F5A, 0x1F5A),
    (0x1F5C, 0x1F5C),
    (0x1F5E, 0x1F5E),
    (0x1F7E, 0x1F7F),
    (0x1FB5, 0x1FB5),
    (0x1FC5, 0x1FC5),
    (0x1FD4, 0x1FD5),
    (0x1FDC, 0x1FDC),
    (0x1FF0, 0x1FF1),
    (0x1FF5, 0x1FF5),
    (0x1FFF, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x206F),
    (0x2072, 0x2073),
    (0x208F, 0x208F),
    (0x209D, 0x209F),
    (0x20C1, 0x20CF),
    (0x20F1, 0x20FF),
    (0x218C, 0x218F),
    (0x2427, 0x243F),
    (0x244B, 0x245F),
    (0x2B74, 0x2B75),
    (0x2B96, 0x2B96),
    (0x2CF4, 0x2CF8),
    (0x2D26, 0x2D26),
    (0x2D28, 0x2D2C),
    (0x2D2E, 0x2D2F),
    (0x2D68, 0x2D6E),
    (0x2D71, 0x2D7E),
    (0x2D97, 0x2D9F),
    (0x2DA7, 0x2DA7),
    (0x2DAF, 0x2DAF),
    (0x2DB7, 0x2DB7),
    (0x2DBF, 0x2DBF),
    (0x2DC7, 0x2DC7),
    (0x2DCF, 0x2DCF),
    (0x2DD7, 0x2DD7),
    (0x2DDF, 0x2DDF),
    (0x2E5E, 0x2E7F),
    (0x2E9A, 0x2E9A),
    (0x2EF4, 0x2EFF),
    (0x2FD6, 0x2FEF),
    (0x2FFC, 0x3000),
    (0x3040, 0x3040),
    (0x3097, 0x3098),
    (0x3100, 0x3104),
    (0x3130, 0x3130),
    (0x318F, 0x318F),
    (0x31E4, 0x31EF),
    (0x321F, 0x321F),
    (0xA48D, 0xA48F),
    (0xA4C7, 0xA4CF),
    (0xA62C, 0xA63F),
    (0xA6F8, 0xA6FF),
    (0xA7CB, 0xA7CF),
    (0xA7D2, 0xA7D2),
    (0xA7D4, 0xA7D4),
    (0xA7DA, 0xA7F1),
    (0xA82D, 0xA82F),
    (0xA83A, 0xA83F),
    (0xA878, 0xA87F),
    (0xA8C6, 0xA8CD),
    (0xA8DA, 0xA8DF),
    (0xA954, 0xA95E),
    (0xA97D, 0xA97F),
    (0xA9CE, 0xA9CE),
    (0xA9DA, 0xA9DD),
    (0xA9FF, 0xA9FF),
    (0xAA37, 0xAA3F),
    (0xAA4E, 0xAA4F),
    (0xAA5A, 0xAA5B),
    (0xAAC3, 0xAADA),
    (0xAAF7, 0xAB00),
    (0xAB07, 0xAB08),
    (0xAB0F, 0xAB10),
    (0xAB17, 0xAB1F),
    (0xAB27, 0xAB27),
    (0xAB2F, 0xAB2F),
    (0xAB6C, 0xAB6F),
    (0xABEE, 0xABEF),
    (0xABFA, 0xABFF),
    (0xD7A4, 0xD7AF),
    (0xD7C7, 0xD7CA),
    (0xD7FC, 0xF8FF),
    (0xFA6E, 0xFA6F),
    (0xFADA, 0xFAFF),
    (0xFB07, 0xFB12),
    (0xFB18, 0xFB1C),
    (0xFB37, 0xFB37),
    (0xFB3D, 0xFB3D),
    (0xFB3F, 0xFB3F),
    (0xFB42, 0xFB42),
    (0xFB45, 0xFB45),
    (0xFBC3, 0xFBD2),
    (0xFD90, 0xFD91),
    (0xFDC8, 0xFDCE),
    (0xFDD0, 0xFDEF),
    (0xFE1A, 0xFE1F),
    (0xFE53, 0xFE53),
    (0xFE67, 0xFE67),
    (0xFE6C, 0xFE6F),
    (0xFE75, 0xFE75),
    (0xFEFD, 0xFF00),
    (0xFFBF, 0xFFC1),
    (0xFFC8, 0xFFC9),
    (0xFFD0, 0xFFD1),
    (0xFFD8, 0xFFD9),
    (0xFFDD, 0xFFDF),
    (0xFFE7, 0xFFE7),
    (0xFFEF, 0xFFFB),
    (0xFFFE, 0xFFFF),
    (0x1000C, 0x1000C),
    (0x10027, 0x10027),
    (0x1003B, 0x1003B),
    (0x1003E, 0x1003E),
    (0x1004E, 0x1004F),
    (0x1005E, 0x1007F),
    (0x100FB, 0x100FF),
    (0x10103, 0x10106),
    (0x10134, 0x10136),
    (0x1018F, 0x1018F),
    (0x1019D, 0x1019F),
    (0x101A1, 0x101CF),
    (0x101FE, 0x1027F),
    (0x1029D, 0x1029F),
    (0x102D1, 0x102DF),
    (0x102FC, 0x102FF),
    (0x10324, 0x1032C),
    (0x1034B, 0x1034F),
    (0x1037B, 0x1037F),
    (0x1039E, 0x1039E),
    (0x103C4, 0x103C7),
    (0x103D6, 0x103FF),
    (0x1049E, 0x1049F),
    (0x104AA, 0x104AF),
    (0x104D4, 0x104D7),
    (0x104FC, 0x104FF),
    (0x10528, 0x1052F),
    (0x10564, 0x1056E),
    (0x1057B, 0x1057B),
    (0x1058B, 0x1058B),
    (0x10593, 0x10593),
    (0x10596, 0x10596),
    (0x105A2, 0x105A2),
    (0x105B2, 0x105B2),
    (0x105BA, 0x105BA),
    (0x105BD, 0x105FF),
    (0x10737, 0x1073F),
    (0x10756, 0x1075F),
    (0x10768, 0x1077F),
    (0x10786, 0x10786),
    (0x107B1, 0x107B1),
    (0x107BB, 0x107FF),
    (0x10806, 0x10807),
    (0x10809, 0x10809),
    (0x10836, 0x10836),
    (0x10839, 0x1083B),
    (0x1083D, 0x1083E),
    (0x10856, 0x10856),
    (0x1089F, 0x108A6),
    (0x108B0, 0x108DF),
    (0x108F3, 0x108F3),
    (0x108F6, 0x108FA),
    (0x1091C, 0x1091E),
    (0x1093A, 0x1093E),
    (0x10940, 0x1097F),
    (0x109B8, 0x109BB),
    (0x109D0, 0x109D1),
    (0x10A04, 0x10A04),
    (0x10A07, 0x10A0B),
    (0x10A14, 0x10A14),
    (0x10A18, 0x10A18),
    (0x10A36, 0x10A37),
    (0x10A3B, 0x10A3E),
    (0x10A49, 0x10A4F),
    (0x10A59, 0x10A5F),
    (0x10AA0, 0x10ABF),
    (0x10AE7, 0x10AEA),
    (0x10AF7, 0x10AFF),
    (0x10B36, 0x10B38),
    (0x10B56, 0x10B57),
    (0x10B73, 0x10B77),
    (0x10B92, 0x10B98),
    (0x10B9D, 0x10BA8),
    (0x10BB0, 0x10BFF),
    (0x10C49, 0x10C7F),
    (0x10CB3, 0x10CBF),
    (0x10CF3, 0x10CF9),
    (0x10D28, 0x10D2F),
    (0x10D3A, 0x10E5F),
    (0x10E7F, 0x10E7F),
    (0x10EAA, 0x10EAA),
    (0x10EAE, 0x10EAF),
    (0x10EB2, 0x10EFF),
    (0x10F28, 0x10F2F),
    (0x10F5A, 0x10F6F),
    (0x10F8A, 0x10FAF),
    (0x10FCC, 0x10FDF),
    (0x10FF7, 0x10FFF),
    (0x1104E, 0x11051),
    (0x11076, 0x1107E),
    (0x110BD, 0x110BD),
    (0x110C3, 0x110CF),
    (0x110E9, 0x110EF),
    (0x110FA, 0x110FF),
    (0x11135, 0x11135),
    (0x11148, 0x1114F),
    (0x11177, 0x1117F),
    (0x111E0, 0x111E0),
    (0x111F5, 0x111FF),
    (0x11212, 0x11212),
    (0x1123F, 0x1127F),
    (0x11287, 0x11287),
    (0x11289, 0x11289),
    (0x1128E, 0x1128E),
    (0x1129E, 0x1129E),
    (0x112AA, 0x112AF),
    (0x112EB, 0x112EF),
    (0x112FA, 0x112FF),
    (0x11304, 0x11304),
    (0x1130D, 0x1130E),
    (0x11311, 0x11312),
    (0x11329, 0x11329),
    (0x11331, 0x11331),
    (0x11334, 0x11334),
    (0x1133A, 0x1133A),
    (0x11345, 0x11346),
    (0x11349, 0x1134A),
    (0x1134E, 0x1134F),
    (0x11351, 0x11356),
    (0x11358, 0x1135C),
    (0x11364, 0x11365),
    (0x1136D, 0x1136F),
    (0x11375, 0x113FF),
    (0x1145C, 0x1145C),
    (0x11462, 0x1147F),
    (0x114C8, 0x114CF),
    (0x114DA, 0x1157F),
    (0x115B6, 0x115B7),
    (0x115DE, 0x115FF),
    (0x11645, 0x1164F),
    (0x1165A, 0x1165F),
    (0x1166D, 0x1167F),
    (0x116BA, 0x116BF),
    (0x116CA, 0x116FF),
    (0x1171B, 0x1171C),
    (0x1172C, 0x1172F),
    (0x11747, 0x117FF),
    (0x1183C, 0x1189F),
    (0x118F3, 0x118FE),
    (0x11907, 0x11908),
    (0x1190A, 0x1190B),
    (0x11914, 0x11914),
    (0x11917, 0x11917),
    (0x11936, 0x11936),
    (0x11939, 0x1193A),
    (0x11947, 0x1194F),
    (0x1195A, 0x1199F),
    (0x119A8, 0x119A9),
    (0x119D8, 0x119D9),
    (0x119E5, 0x119FF),
    (0x11A48, 0x11A4F),
    (0x11AA3, 0x11AAF),
    (0x11AF9, 0x11BFF),
    (0x11C09, 0x11C09),
    (0x11C37, 0x11C37),
    (0x11C46, 0x11C4F),
    (0x11C6D, 0x11C6F),
    (0x11C90, 0x11C91),
    (0x11CA8, 0x11CA8),
    (0x11CB7, 0x11CFF),
    (0x11D07, 0x11D07),
    (0x11D0A, 0x11D0A),
    (0x11D37, 0x11D39),
    (0x11D3B, 0x11D3B),
    (0x11D3E, 0x11D3E),
    (0x11D48, 0x11D4F),
    (0x11D5A, 0x11D5F),
    (0x11D66, 0x11D66),
    (0x11D69, 0x11D69),
    (0x11D8F, 0x11D8F),
    (0x11D92, 0x11D92),
    (0x11D99, 0x11D9F),
    (0x11DAA, 0x11EDF),
    (0x11EF9, 0x11FAF),
    (0x11FB1, 0x11FBF),
    (0x11FF2, 0x11FFE),
    (0x1239A, 0x123FF),
    (0x1246F, 0x1246F),
    (0x12475, 0x1247F),
    (0x12544, 0x12F8F),
    (0x12FF3, 0x12FFF),
    (0x1342F, 0x143FF),
    (0x14647, 0x167FF),
    (0x16A39, 0x16A3F),
    (0x16A5F, 0x16A5F),
    (0x16A6A, 0x16A6D),
    (0x16ABF, 0x16ABF),
    (0x16ACA, 0x16ACF),
    (0x16AEE, 0x16AEF),
    (0x16AF6, 0x16AFF),
    (0x16B46, 0x16B4F),
    (0x16B5A, 0x16B5A),
    (0x16B62, 0x16B62),
    (0x16B78, 0x16B7C),
    (0x16B90, 0x16E3F),
    (0x16E9B, 0x16EFF),
    (0x16F4B, 0x16F4E),
    (0x16F88, 0x16F8E),
    (0x16FA0, 0x16FDF),
    (0x16FE5, 0x16FEF),
    (0x16FF2, 0x16FFF),
    (0x187F8, 0x187FF),
    (0x18CD6, 0x18CFF),
    (0x18D09, 0x1AFEF),
    (0x1AFF4, 0x1AFF4),
    (0x1AFFC, 0x1AFFC),
    (0x1AFFF, 0x1AFFF),
    (0x1B123, 0x1B14F),
    (0x1B153, 0x1B163),
    (0x1B168, 0x1B16F),
    (0x1B2FC, 0x1BBFF),
    (0x1BC6B, 0x1BC6F),
    (0x1BC7D, 0x1BC7F),
    (0x1BC89, 0x1BC8F),
    (0x1BC9A, 0x1BC9B),
    (0x1BCA0, 0x1CEFF),
    (0x1CF2E, 0x1CF2F),
    (0x1CF47, 0x1CF4F),
    (0x1CFC4, 0x1CFFF),
    (0x1D0F6, 0x1D0FF),
    (0x1D127, 0x1D128),
    (0x1D173, 0x1D17A),
    (0x1D1EB, 0x1D1FF),
    (0x1D246, 0x1D2DF),
    (0x1D2F4, 0x1D2FF),
    (0x1D357, 0x1D35F),
    (0x1D379, 0x1D3FF),
    (0x1D455, 0x1D455),
    (0x1D49D, 0x1D49D),
    (0x1D4A0, 0x1D4A1),
    (0x1D4A3, 0x1D4A4),
    (0x1D4A7, 0x1D4A8),
    (0x1D4AD, 0x1D4AD),
    (0x1D4BA, 0x1D4BA),
    (0x1D4BC, 0x1D4BC),
    (0x1D4C4, 0x1D4C4),
    (0x1D506, 0x1D506),
    (0x1D50B, 0x1D50C),
    (0x1D515, 0x1D515),
    (0x1D51D, 0x1D51D),
    (0x1D53A, 0x1D53A),
    (0x1D53F, 0x1D53F),
    (0x1D545, 0x1D545),
    (0x1D547, 0x1D549),
    (0x1D551, 0x1D551),
    (0x1D6A6, 0x1D6A7),
    (0x1D7CC, 0x1D7CD),
    (0x1DA8C, 0x1DA9A),
    (0x1DAA0, 0x1DAA0),
    (0x1DAB0, 0x1DEFF),
    (0x1DF1F, 0x1DFFF),
    (0x1E007, 0x1E007),
    (0x1E019, 0x1E01A),
    (0x1E022, 0x1E022),
    (0x1E025, 0x1E025),
    (0x1E02B, 0x1E0FF),
    (0x1E12D, 0x1E12F),
    (0x1E13E, 0x1E13F),
    (0x1E14A, 0x1E14D),
    (0x1E150, 0x1E28F),
    (0x1E2AF, 0x1E2BF),
    (0x1E2FA, 0x1E2FE),
    (0x1E300, 0x1E7DF),
    (0x1E7E7, 0x1E7E7),
    (0x1E7EC, 0x1E7EC),
    (0x1E7EF, 0x1E7EF),
    (0x1E7FF, 0x1E7FF),
    (0x1E8C5, 0x1E8C6),
    (0x1E8D7, 0x1E8FF),
    (0x1E94C, 0x1E94F),
    (0x1E95A, 0x1E95D),
    (0x1E960, 0x1EC70),
    (0x1ECB5, 0x1ED00),
    (0x1ED3E, 0x1EDFF),
    (0x1EE04, 0x1EE04),
    (0x1EE20, 0x1EE20),
    (0x1EE23, 0x1EE23),
    (0x1EE25, 0x1EE26),
    (0x1EE28, 0x1EE28),
    (0x1EE33, 0x1EE33),
    (0x1EE38, 0x1EE38),
    (0x1EE3A, 0x1EE3A),
    (0x1EE3C, 0x1EE41),
    (0x1EE43, 0x1EE46),
    (0x1EE48, 0x1EE48),
    (0x1EE4A, 0x1EE4A),
    (0x1EE4C, 0x1EE4C),
    (0x1EE50, 0x1EE50),
    (0x1EE53, 0x1EE53),
    (0x1EE55, 0x1EE56),
    (0x1EE58, 0x1EE58),
    (0x1EE5A, 0x1EE5A),
    (0x1EE5C, 0x1EE5C),
    (0x1EE5E, 0x1EE5E),
    (0x1EE60, 0x1EE60),
    (0x1EE63, 0x1EE63),
    (0x1EE65, 0x1EE66),
    (0x1EE6B, 0x1EE6B),
    (0x1EE73, 0x1EE73),
    (0x1EE78, 0x1EE78),
    (0x1EE7D, 0x1EE7D),
    (0x1EE7F, 0x1EE7F),
    (0x1EE8A, 0x1EE8A),
    (0x1EE9C, 0x1EEA0),
    (0x1EEA4, 0x1EEA4),
    (0x1EEAA, 0x1EEAA),
    (0x1EEBC, 0x1EEEF),
    (0x1EEF2, 0x1EFFF),
    (0x1F02C, 0x1F02F),
    (0x1F094, 0x1F09F),
    (0x1F0AF, 0x1F0B0),
    (0x1F0C0, 0x1F0C0),
    (0x1F0D0, 0x1F0D0),
    (0x1F0F6, 0x1F0FF),
    (0x1F1AE, 0x1F1E5),
    (0x1F203, 0x1F20F),
    (0x1F23C, 0x1F23F),
    (0x1F249, 0x1F24F),
    (0x1F252, 0x1F25F),
    (0x1F266, 0x1F2FF),
    (0x1F6D8, 0x1F6DC),
    (0x1F6ED, 0x1F6EF),
    (0x1F6FD, 0x1F6FF),
    (0x1F774, 0x1F77F),
    (0x1F7D9, 0x1F7DF),
    (0x1F7EC, 0x1F7EF),
    (0x1F7F1, 0x1F7FF),
    (0x1F80C, 0x1F80F),
    (0x1F848, 0x1F84F),
    (0x1F85A, 0x1F85F),
    (0x1F888, 0x1F88F),
    (0x1F8AE, 0x1F8AF),
    (0x1F8B2, 0x1F8FF),
    (0x1FA54, 0x1FA5F),
    (0x1FA6E, 0x1FA6F),
    (0x1FA75, 0x1FA77),
    (0x1FA7D, 0x1FA7F),
    (0x1FA87, 0x1FA8F),
    (0x1FAAD, 0x1FAAF),
    (0x1FABB, 0x1FABF),
    (0x1FAC6, 0x1FACF),
    (0x1FADA, 0x1FADF),
    (0x1FAE8, 0x1FAEF),
    (0x1FAF7, 0x1FAFF),
    (0x1FB93, 0x1FB93),
    (0x1FBCB, 0x1FBEF),
    (0x1FBFA, 0x1FFFF),
    (0x2A6E0, 0x2A6FF),
    (0x2B739, 0x2B73F),
    (0x2B81E, 0x2B81F),
    (0x2CEA2, 0x2CEAF),
    (0x2EBE1, 0x2F7FF),
    (0x2FA1E, 0x2FFFF),
    (0x3134B, 0xE00FF),
    (0xE01F0, 0x10FFFF),
];

#[cfg(test)]
#[allow(clippy::unreadable_literal)] // tables pasted from Python output
pub(crate) mod tests {
    //! Expected values were produced by Python 3.11.7 (the interpreter of
    //! the supervisord 4.3.0 oracle) and pasted here; tests never run Python.
    use super::*;

    const INT: &[(&str, Result<i64, &str>)] = &[
        (" 1_000 ", Ok(1000)),
        ("+5", Ok(5)),
        ("-0", Ok(0)),
        ("\u{663}", Ok(3)),
        ("1\u{663}", Ok(13)),
        ("\u{3000} 42\u{a0}", Ok(42)),
        ("\t-17\n", Ok(-17)),
        ("0_0", Ok(0)),
        ("00", Ok(0)),
        ("010", Ok(10)),
        ("9223372036854775807", Ok(9223372036854775807)),
        ("-9223372036854775808", Ok(-9223372036854775808)),
        ("\u{1d7ce}\u{1d7cf}", Ok(1)),
        ("1.5", Err("invalid literal for int() with base 10: '1.5'")),
        (
            "0x10",
            Err("invalid literal for int() with base 10: '0x10'"),
        ),
        ("", Err("invalid literal for int() with base 10: ''")),
        (" ", Err("invalid literal for int() with base 10: ' '")),
        (
            "1__0",
            Err("invalid literal for int() with base 10: '1__0'"),
        ),
        ("_1", Err("invalid literal for int() with base 10: '_1'")),
        ("1_", Err("invalid literal for int() with base 10: '1_'")),
        ("+_1", Err("invalid literal for int() with base 10: '+_1'")),
        ("- 1", Err("invalid literal for int() with base 10: '- 1'")),
        ("+", Err("invalid literal for int() with base 10: '+'")),
        (
            "\u{1c}1",
            Err("invalid literal for int() with base 10: '\\x1c1'"),
        ),
        (
            "1\u{1f}",
            Err("invalid literal for int() with base 10: '1\\x1f'"),
        ),
        (
            "\u{0}1",
            Err("invalid literal for int() with base 10: '\\x001'"),
        ),
        ("1 2", Err("invalid literal for int() with base 10: '1 2'")),
        (
            "\u{663}x",
            Err("invalid literal for int() with base 10: '\u{663}x'"),
        ),
        (
            "\u{e9}",
            Err("invalid literal for int() with base 10: '\u{e9}'"),
        ),
        ("'", Err("invalid literal for int() with base 10: \"'\"")),
        (
            "a'b\"c",
            Err("invalid literal for int() with base 10: 'a\\'b\"c'"),
        ),
        ("1e3", Err("invalid literal for int() with base 10: '1e3'")),
        ("0o7", Err("invalid literal for int() with base 10: '0o7'")),
        ("\u{ff11}\u{ff12}", Ok(12)),
    ];
    const OCTAL: &[(&str, Result<i64, ()>)] = &[
        ("022", Ok(18)),
        ("0o22", Ok(18)),
        (" 7 ", Ok(7)),
        ("-2", Ok(-2)),
        ("0O17", Ok(15)),
        ("-0o7", Ok(-7)),
        ("0o_7", Ok(7)),
        ("0_7", Ok(7)),
        ("777", Ok(511)),
        ("\u{667}", Ok(7)),
        ("+0", Ok(0)),
        ("8", Err(())),
        ("", Err(())),
        ("0o", Err(())),
        ("0o8", Err(())),
        ("_7", Err(())),
        ("0b1", Err(())),
        ("0_o7", Err(())),
        ("0o__7", Err(())),
        ("1e3", Err(())),
        ("0x7", Err(())),
        ("7_", Err(())),
        ("- 7", Err(())),
    ];
    const REPR: &[(&str, &str)] = &[
        ("", "''"),
        ("abc", "'abc'"),
        ("a'b", "\"a'b\""),
        ("a\"b", "'a\"b'"),
        ("a'\"b", "'a\\'\"b'"),
        ("\\", "'\\\\'"),
        ("\t\n\r", "'\\t\\n\\r'"),
        ("\u{0}\u{1f}\u{7f}", "'\\x00\\x1f\\x7f'"),
        ("\u{80}\u{ad}\u{a0}", "'\\x80\\xad\\xa0'"),
        ("\u{e9}", "'\u{e9}'"),
        ("\u{17f}", "'\u{17f}'"),
        ("\u{2028}", "'\\u2028'"),
        ("\u{200b}", "'\\u200b'"),
        ("\u{3000}", "'\\u3000'"),
        ("\u{1f600}", "'\u{1f600}'"),
        ("\u{e0001}", "'\\U000e0001'"),
        ("\u{ffff}", "'\\uffff'"),
        ("\u{10ffff}", "'\\U0010ffff'"),
        ("\u{378}", "'\\u0378'"),
        ("\u{e000}", "'\\ue000'"),
        (" ", "' '"),
        ("'", "\"'\""),
    ];
    const STRIP: &[(&str, &str)] = &[
        ("  a b  ", "a b"),
        ("\u{1c}\u{1d} x \u{1e}\u{1f}", "x"),
        ("\u{85}\u{a0}a\u{3000}", "a"),
        ("\u{200b}a\u{200b}", "\u{200b}a\u{200b}"),
        ("\u{feff}a", "\u{feff}a"),
        ("\u{b}\u{c}z\r\n", "z"),
        ("", ""),
        ("   ", ""),
        ("a", "a"),
    ];
    const LOWER: &[(&str, &str)] = &[
        ("ABC", "abc"),
        ("\u{130}", "i\u{307}"),
        ("\u{3a3}\u{391}\u{3a3}", "\u{3c3}\u{3b1}\u{3c2}"),
        ("A\u{3a3} b", "a\u{3c2} b"),
        ("\u{3a3}", "\u{3c3}"),
        ("\u{1e9e}", "\u{df}"),
        ("Kelvin\u{212a}", "kelvink"),
        ("\u{1c89}", "\u{1c89}"),
        ("\u{a7cb}", "\u{a7cb}"),
        ("\u{c0}\u{c9}", "\u{e0}\u{e9}"),
        ("\u{1c5}", "\u{1c6}"),
        ("\u{10400}", "\u{10428}"),
        ("123_X", "123_x"),
    ];
    const UPPER: &[(&str, &str)] = &[
        ("abc", "ABC"),
        ("\u{df}", "SS"),
        ("\u{17f}igterm", "SIGTERM"),
        ("\u{131}o", "IO"),
        ("\u{149}", "\u{2bc}N"),
        ("\u{fb00}", "FF"),
        ("\u{19b}", "\u{19b}"),
        ("\u{264}", "\u{264}"),
        ("\u{e9}", "\u{c9}"),
        ("\u{1c6}", "\u{1c4}"),
        ("\u{390}", "\u{399}\u{308}\u{301}"),
    ];
    const SPLIT: &[(&str, Result<&[&str], &str>)] = &[
        ("a b  c", Ok(&["a", "b", "c"])),
        ("/bin/cat -n 'a b'", Ok(&["/bin/cat", "-n", "a b"])),
        ("echo \"a \\\"q\\\" b\"", Ok(&["echo", "a \"q\" b"])),
        ("a\\ b", Ok(&["a b"])),
        ("'a\\b'", Ok(&["a\\b"])),
        ("\"a\\b\"", Ok(&["a\\b"])),
        ("\"a\\\\b\"", Ok(&["a\\b"])),
        ("''", Ok(&[""])),
        ("x \"\" y", Ok(&["x", "", "y"])),
        ("a'b'c", Ok(&["abc"])),
        ("\ta\rb\nc", Ok(&["a", "b", "c"])),
        ("a\u{b}b", Ok(&["a\u{b}b"])),
        ("\u{e9} \u{fc}", Ok(&["\u{e9}", "\u{fc}"])),
        ("#not comment", Ok(&["#not", "comment"])),
        ("'unterminated", Err("No closing quotation")),
        ("\"open", Err("No closing quotation")),
        ("trailing\\", Err("No escaped character")),
        ("a\\", Err("No escaped character")),
        ("\"\\", Err("No escaped character")),
        ("", Ok(&[])),
        ("   ", Ok(&[])),
    ];
    const TOKENS: &[(&str, Result<&[&str], &str>)] = &[
        ("A=1,B=2", Ok(&["A", "=", "1", ",", "B", "=", "2"])),
        ("A = 1 ,B=2", Ok(&["A", "=", "1", ",", "B", "=", "2"])),
        (
            "A='x y',B=\"q\"",
            Ok(&["A", "=", "'x y'", ",", "B", "=", "\"q\""]),
        ),
        ("A=$HOME", Ok(&["A", "=", "$", "HOME"])),
        ("B=caf\u{e9}", Ok(&["B", "=", "caf", "\u{e9}"])),
        ("A=x#y,C=3", Ok(&["A", "=", "x"])),
        ("A=x#y,\nC=3", Ok(&["A", "=", "xC", "=", "3"])),
        ("ab\"c d\"", Ok(&["ab\"c", "d\""])),
        ("\"a b\"c", Ok(&["\"a b\"", "c"])),
        ("'a'", Ok(&["'a'"])),
        ("A=\u{e9}", Ok(&["A", "=", "\u{e9}"])),
        ("a;b", Ok(&["a", ";", "b"])),
        ("x\u{b}y", Ok(&["x", "\u{b}", "y"])),
        ("#c\nA", Ok(&["A"])),
        ("A=http://x?y", Ok(&["A", "=", "http://x", "?", "y"])),
        ("'open", Err("No closing quotation")),
        ("A=\"open", Err("No closing quotation")),
        ("", Ok(&[])),
        ("  \n ", Ok(&[])),
        ("a\\b", Ok(&["a", "\\", "b"])),
        ("A=1\r\nB=2", Ok(&["A", "=", "1", "B", "=", "2"])),
    ];
    const NORMPATH: &[(&str, &str)] = &[
        ("", "."),
        (".", "."),
        ("/", "/"),
        ("//", "//"),
        ("///", "/"),
        ("//a//b/", "//a/b"),
        ("a/./b/../c", "a/c"),
        ("../a/..", ".."),
        ("/../x", "/x"),
        ("a/..", "."),
        ("a/../..", ".."),
        ("./", "."),
        ("/a/b/../../..", "/"),
        ("x/../../y", "../y"),
        ("~/a/.", "~/a"),
        ("a//b", "a/b"),
        ("////a", "/a"),
    ];
    const EXPANDUSER: &[(&str, &str)] = &[
        ("~", "/home/u"),
        ("~/x", "/home/u/x"),
        ("~/", "/home/u/"),
        ("x/~", "x/~"),
        ("", ""),
        ("/~", "/~"),
        ("~nosuchuser_zz/x", "~nosuchuser_zz/x"),
        ("~/x~", "/home/u/x~"),
        ("~~", "~~"),
    ];
    const EXPANDUSER_EMPTY_HOME: &[(&str, &str)] = &[("~", "/"), ("~/x", "/x"), ("x", "x")];

    #[test]
    fn int_matches_python() {
        for &(input, expected) in INT {
            assert_eq!(
                int(input),
                expected.map_err(str::to_string),
                "int({input:?})"
            );
        }
    }

    #[test]
    fn int_exact_keeps_big_values() {
        let v = int_exact(" -0099999999999999999999 ").unwrap();
        assert_eq!(v.to_string(), "-99999999999999999999");
        assert!(v.is_negative());
        assert_eq!(v.to_i64(), None);
        assert_eq!(int_exact("-0").unwrap().to_string(), "0");
        assert_eq!(int_exact("1_0").unwrap().to_i64(), Some(10));
        // i64 overflow is reported with Python's invalid-literal message.
        assert_eq!(
            int("9223372036854775808"),
            Err("invalid literal for int() with base 10: '9223372036854775808'".to_string())
        );
    }

    #[test]
    fn int_digit_limit_and_truncated_repr() {
        let too_long = |n: usize| {
            format!(
                "Exceeds the limit (4300 digits) for integer string conversion: value has {n} \
                 digits; use sys.set_int_max_str_digits() to increase the limit"
            )
        };
        assert!(int_exact(&"1".repeat(4300)).is_ok());
        assert_eq!(int(&"1".repeat(4301)), Err(too_long(4301)));
        // Leading zeros count; the limit is checked before trailing garbage.
        assert_eq!(int(&format!("{}x", "0".repeat(5000))), Err(too_long(5000)));
        assert_eq!(int(&format!("-{}", "1".repeat(5000))), Err(too_long(5000)));
        // A trailing underscore is a syntax error found first.
        let s = format!("{}_", "1".repeat(5000));
        assert_eq!(
            int(&s),
            Err(format!(
                "invalid literal for int() with base 10: '{}",
                "1".repeat(199)
            ))
        );
        // `%.200R`: the repr is cut to 200 characters, closing quote included.
        let s = format!("{}x", "é".repeat(300));
        assert_eq!(
            int(&s),
            Err(format!(
                "invalid literal for int() with base 10: '{}",
                "é".repeat(199)
            ))
        );
        // int(s, 8) has no digit limit.
        assert_eq!(int_base8(&"0".repeat(5000)), Ok(0));
    }

    #[test]
    fn int_base8_matches_python() {
        for &(input, expected) in OCTAL {
            assert_eq!(int_base8(input), expected, "int({input:?}, 8)");
        }
        // Python accepts values beyond i64; documented as an error here.
        assert_eq!(int_base8("-0o1000000000000000000000"), Ok(i64::MIN));
        assert_eq!(int_base8("0o1000000000000000000000"), Err(()));
    }

    #[test]
    fn repr_matches_python() {
        for &(input, expected) in REPR {
            assert_eq!(repr(input), expected, "repr({input:?})");
        }
    }

    #[test]
    fn strip_and_is_space_match_python() {
        for &(input, expected) in STRIP {
            assert_eq!(strip(input), expected, "{input:?}.strip()");
        }
        let spaces: Vec<u32> = (0..0x11_0000)
            .filter_map(char::from_u32)
            .filter(|&c| is_space(c))
            .map(u32::from)
            .collect();
        let python = [
            0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
            0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
            0x2029, 0x202f, 0x205f, 0x3000,
        ];
        assert_eq!(spaces, python);
    }

    #[test]
    fn case_mapping_matches_python() {
        for &(input, expected) in LOWER {
            assert_eq!(lower(input), expected, "{input:?}.lower()");
        }
        for &(input, expected) in UPPER {
            assert_eq!(upper(input), expected, "{input:?}.upper()");
        }
    }

    #[test]
    fn shlex_split_matches_python() {
        for &(input, expected) in SPLIT {
            let expected = expected
                .map(|v| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>())
                .map_err(str::to_string);
            assert_eq!(shlex_split_posix(input), expected, "shlex.split({input:?})");
        }
    }

    #[test]
    fn shlex_nonposix_matches_python() {
        for &(input, expected) in TOKENS {
            let expected = expected
                .map(|v| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>())
                .map_err(str::to_string);
            assert_eq!(owned_tokens(input), expected, "shlex({input:?})");
        }
    }

    fn owned_tokens(s: &str) -> Result<Vec<String>, String> {
        shlex_tokens_nonposix(s, "/.+-():").map(|v| v.into_iter().map(Cow::into_owned).collect())
    }

    /// The tokenizer as first written, one `char` and one `String` at a time: the
    /// reference the faster one is held to.
    fn shlex_tokens_reference(s: &str, extra_wordchars: &str) -> Result<Vec<String>, String> {
        let is_word =
            |c: char| c.is_ascii_alphanumeric() || c == '_' || extra_wordchars.contains(c);
        let is_quote = |c: char| c == '\'' || c == '"';
        let mut chars = s.chars();
        let skip_line = |chars: &mut std::str::Chars<'_>| {
            for c in chars.by_ref() {
                if c == '\n' {
                    break;
                }
            }
        };
        let mut tokens = Vec::new();
        let mut pushback: Option<char> = None;
        loop {
            if let Some(c) = pushback.take() {
                tokens.push(c.to_string());
                continue;
            }
            let mut token = String::new();
            loop {
                let Some(c) = chars.next() else {
                    return Ok(tokens);
                };
                if shlex_blank(c) {
                    continue;
                }
                if c == '#' {
                    skip_line(&mut chars);
                } else if is_word(c) {
                    token.push(c);
                    let mut ended_by_eof = true;
                    while let Some(c) = chars.next() {
                        if shlex_blank(c) {
                            ended_by_eof = false;
                            break;
                        } else if c == '#' {
                            skip_line(&mut chars);
                        } else if is_word(c) || is_quote(c) {
                            token.push(c);
                        } else {
                            pushback = Some(c);
                            ended_by_eof = false;
                            break;
                        }
                    }
                    tokens.push(token);
                    if ended_by_eof {
                        return Ok(tokens);
                    }
                    break;
                } else if is_quote(c) {
                    token.push(c);
                    loop {
                        let Some(n) = chars.next() else {
                            return Err("No closing quotation".to_string());
                        };
                        token.push(n);
                        if n == c {
                            break;
                        }
                    }
                    tokens.push(token);
                    break;
                } else {
                    tokens.push(c.to_string());
                    break;
                }
            }
        }
    }

    #[test]
    fn shlex_nonposix_matches_reference() {
        let mut inputs = random_strings(20_000);
        inputs.extend(TOKENS.iter().map(|(s, _)| (*s).to_string()));
        inputs.extend(
            [
                "A=x#c\ny,B='q#\n'",
                "ab#\n#\ncd ef",
                "w#",
                "w#\n",
                "a\u{e9}b",
                "\u{e9}\u{e9}",
                "A=\"\u{e9}\",B=1",
                "x#\u{e9}\n\u{e9}",
                "k=v\u{3000}w",
            ]
            .map(str::to_string),
        );
        for extra in ["/.+-():", "", "\u{e9}#", "'\"x"] {
            for s in &inputs {
                let fast = shlex_tokens_nonposix(s, extra)
                    .map(|v| v.into_iter().map(Cow::into_owned).collect::<Vec<_>>());
                assert_eq!(
                    fast,
                    shlex_tokens_reference(s, extra),
                    "shlex({s:?}, {extra:?})"
                );
            }
        }
    }

    #[test]
    fn normpath_matches_python() {
        for &(input, expected) in NORMPATH {
            assert_eq!(normpath(input), expected, "normpath({input:?})");
        }
    }

    #[test]
    fn expanduser_matches_python() {
        for &(input, expected) in EXPANDUSER {
            assert_eq!(
                expanduser(input, Some("/home/u/")),
                expected,
                "expanduser({input:?})"
            );
        }
        for &(input, expected) in EXPANDUSER_EMPTY_HOME {
            assert_eq!(
                expanduser(input, Some("")),
                expected,
                "expanduser({input:?})"
            );
        }
        // `~user` depends on the machine's passwd file; check it against it.
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        if let Some(root_home) = passwd
            .lines()
            .find(|l| l.starts_with("root:"))
            .and_then(|l| l.split(':').nth(5))
        {
            assert_eq!(
                expanduser("~root/x", None),
                format!("{}/x", root_home.trim_end_matches('/'))
            );
        }
    }

    /// A fresh directory under the system temp dir.
    fn scratch_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("svconf-python-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn sorted_names(dir: &Path, pattern: &str) -> Vec<String> {
        let full = format!("{}/{pattern}", dir.display());
        let mut v: Vec<String> = glob(&full)
            .unwrap()
            .iter()
            .map(|p| p.to_string_lossy()[dir.as_os_str().len() + 1..].to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn glob_matches_python() {
        let dir = scratch_dir("glob");
        for f in [
            "a.conf",
            "B.conf",
            ".hidden.conf",
            "a]b",
            "a[b",
            "!x",
            "-z",
            "x.ini",
        ] {
            std::fs::write(dir.join(f), "").unwrap();
        }
        std::fs::create_dir_all(dir.join("sub/deep")).unwrap();
        std::fs::write(dir.join("sub/y.conf"), "").unwrap();
        std::fs::write(dir.join(std::ffi::OsStr::from_bytes(b"bad\xffname")), "").unwrap();
        std::os::unix::fs::symlink("nonexistent", dir.join("broken.conf")).unwrap();
        std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
        std::os::unix::fs::symlink(".", dir.join("self")).unwrap();
        // Expected lists come from Python's glob.glob on the same tree.
        let cases: &[(&str, &[&str])] = &[
            ("*.conf", &["B.conf", "a.conf", "broken.conf"]),
            (".*", &[".hidden.conf"]),
            (
                "**",
                &[
                    "!x",
                    "-z",
                    "B.conf",
                    "a.conf",
                    "a[b",
                    "a]b",
                    "bad\u{fffd}name",
                    "broken.conf",
                    "loop",
                    "self",
                    "sub",
                    "x.ini",
                ],
            ),
            (
                "[ab]*",
                &["a.conf", "a[b", "a]b", "bad\u{fffd}name", "broken.conf"],
            ),
            (
                "[!a]*",
                &[
                    "!x",
                    "-z",
                    "B.conf",
                    "bad\u{fffd}name",
                    "broken.conf",
                    "loop",
                    "self",
                    "sub",
                    "x.ini",
                ],
            ),
            ("[z-a]*", &[]),
            (
                "[!z-a]*",
                &[
                    "!x",
                    "-z",
                    "B.conf",
                    "a.conf",
                    "a[b",
                    "a]b",
                    "bad\u{fffd}name",
                    "broken.conf",
                    "loop",
                    "self",
                    "sub",
                    "x.ini",
                ],
            ),
            ("a[]]b", &["a]b"]),
            ("a[b", &["a[b"]),
            ("[-!]*", &["!x", "-z"]),
            ("bad?name", &["bad\u{fffd}name"]),
            ("*/", &["self/", "sub/"]),
            (
                "*/*.conf",
                &[
                    "self/B.conf",
                    "self/a.conf",
                    "self/broken.conf",
                    "sub/y.conf",
                ],
            ),
            ("s*/deep", &["sub/deep"]),
            ("loop/*", &[]),
            ("self/self/self/x.ini", &["self/self/self/x.ini"]),
            ("broken.conf", &["broken.conf"]),
            ("nosuch", &[]),
            ("nosuch/*", &[]),
        ];
        for &(pattern, expected) in cases {
            assert_eq!(sorted_names(&dir, pattern), expected, "glob({pattern:?})");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn glob_handles_ten_thousand_files() {
        let dir = scratch_dir("big");
        for i in 0..10_000 {
            std::fs::write(dir.join(format!("f{i:05}.conf")), "").unwrap();
        }
        let start = std::time::Instant::now();
        assert_eq!(sorted_names(&dir, "*.conf").len(), 10_000);
        assert_eq!(sorted_names(&dir, "f0000[0-4].conf").len(), 5);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn glob_nul_in_listed_directory_is_an_error() {
        assert!(glob("/tmp/a\0b/*").is_err());
        assert_eq!(glob("/tmp/a\0b").unwrap(), Vec::<PathBuf>::new());
    }

    /// Deterministic pseudo-random strings over characters that exercise the
    /// parsers' special cases.
    pub(crate) fn random_strings(count: usize) -> Vec<String> {
        const ALPHABET: &[char] = &[
            '0',
            '1',
            '9',
            '_',
            '+',
            '-',
            ' ',
            '\t',
            '\n',
            '\r',
            '\x0b',
            '\x1c',
            '\0',
            '\x7f',
            'a',
            'k',
            'B',
            'o',
            'O',
            'x',
            '#',
            '\'',
            '"',
            '\\',
            '=',
            ',',
            ':',
            '/',
            '.',
            '*',
            '?',
            '[',
            ']',
            '!',
            '~',
            '$',
            'é',
            'İ',
            'Σ',
            'ß',
            'ſ',
            '٣',
            '\u{3000}',
            '\u{a0}',
            '\u{85}',
            '\u{200b}',
            '😀',
            '\u{1c89}',
            '\u{10ffff}',
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..count)
            .map(|_| {
                let len = usize::try_from(next() % 24).unwrap_or(0);
                (0..len)
                    .map(|_| ALPHABET[usize::try_from(next() % ALPHABET.len() as u64).unwrap_or(0)])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn no_panics_on_random_input() {
        let dir = scratch_dir("fuzz");
        for s in random_strings(5000) {
            let _ = is_space(s.chars().next().unwrap_or(' '));
            let _ = (strip(&s), repr(&s), int(&s), int_exact(&s), int_base8(&s));
            let _ = (lower(&s), upper(&s), normpath(&s));
            let _ = (expanduser(&s, Some("/h")), expanduser(&s, None));
            let _ = (shlex_split_posix(&s), shlex_tokens_nonposix(&s, "/.+-():"));
            let _ = glob(&format!("{}/{s}", dir.display()));
            let _ = compile_fnmatch(&s);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
