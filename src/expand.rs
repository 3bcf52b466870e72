//! `%(name)s` expansion: an exact reimplementation of `CPython` 3.11's
//! `str % mapping` (printf-style formatting with a dict argument).
//!
//! supervisord expands option values with `value % expansions`, where
//! `expansions` is a dict such as `{'here': ..., 'program_name': ...,
//! 'process_num': 3, 'ENV_HOME': ...}`. To accept and reject exactly the
//! configs supervisord 4.3.0 does, and to produce byte-identical results, this
//! module reproduces `PyUnicode_Format` (Objects/unicodeobject.c) for the two
//! value types supervisord puts into that dict (`str` and `int`), including
//! the order in which errors are detected and the exact exception messages.
//!
//! Notable `CPython` behaviours reproduced here:
//! * A spec without `(name)` consumes the *whole dict* as its argument, so a
//!   bare `%s` prints the dict's repr and a second bare spec fails with "not
//!   enough arguments for format string". Each `(name)` lookup supplies a fresh
//!   single argument, which a `*` width/precision then consumes.
//! * The key lookup happens before the flags are parsed, so `%(missing)` is
//!   a `KeyError` rather than "incomplete format".
//! * Widths and precisions count code points; the index in "unsupported format
//!   character … at index N" is a code-point index.
//! * `%e`/`%f`/`%g` convert the int to a double first (so large ints round)
//!   and then format with correct round-half-even rounding.
//!
//! The only intentional deviations are for results `CPython` can produce but a
//! Rust `String` cannot hold, or that would exhaust memory: `%c` of a
//! surrogate code point, and a single field wider than [`MAX_FIELD_CHARS`]
//! characters, are reported as [`ExpandError::BadFormat`].

use std::borrow::Cow;
use std::fmt;

/// A value a `%(name)…` spec can refer to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A Python `str`.
    Str(&'a str),
    /// A Python `int` (supervisord only ever stores small ints, e.g. `process_num`).
    Int(i64),
}

/// The variables visible to one expansion.
pub trait Vars {
    /// The value of `name`, if defined.
    fn get(&self, name: &str) -> Option<Value<'_>>;
    /// Every (name, value) in Python dict iteration order (used only for a bare
    /// `%s`/`%r`/`%a`, which formats the whole dict, and for the sorted
    /// "Available names" list).
    fn entries(&self) -> Vec<(String, Value<'_>)>;
}

/// Why an expansion failed. `start..end` are byte offsets into the template
/// of the offending `%…` spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `%(name)s` where `name` is not defined (Python `KeyError`).
    UnknownName {
        /// The name between the parentheses.
        name: String,
        /// Byte offset of the spec's `%`.
        start: usize,
        /// Byte offset just past the spec's `)`.
        end: usize,
    },
    /// Any other failure; `message` is exactly what Python puts in the
    /// exception (`str(ex)`), e.g. "incomplete format".
    BadFormat {
        /// The exception message.
        message: String,
        /// Byte offset of the spec's `%`.
        start: usize,
        /// Byte offset just past the last character of the spec that was read.
        end: usize,
    },
}

impl ExpandError {
    /// The byte range of the offending spec in the template.
    #[must_use]
    pub fn span(&self) -> std::ops::Range<usize> {
        match self {
            ExpandError::UnknownName { start, end, .. }
            | ExpandError::BadFormat { start, end, .. } => *start..*end,
        }
    }
}

impl fmt::Display for ExpandError {
    /// Formats like Python's `str(ex)`: the repr of the missing key for a
    /// `KeyError`, the message otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpandError::UnknownName { name, .. } => {
                let mut s = String::with_capacity(name.len() + 2);
                push_repr(&mut s, name, false);
                f.write_str(&s)
            }
            ExpandError::BadFormat { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for ExpandError {}

/// One `%(name)…` reference found by [`references`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The name between the parentheses (balanced parentheses included).
    pub name: String,
    /// Byte offset of the spec's `%`.
    pub start: usize,
    /// Byte offset just past the spec's conversion character.
    pub end: usize,
}

/// Largest number of characters a single formatted field (padding, or the
/// digits demanded by a precision) may produce. `CPython` would attempt such
/// fields (and usually die with `MemoryError`); we refuse with "width too
/// big" / "precision too big" instead.
pub const MAX_FIELD_CHARS: usize = 1 << 20;

/// `_PyUnicode_FormatLong` rejects integer precisions above `INT_MAX - 3`.
const INT_PREC_LIMIT: usize = I32_MAX - 3;

/// C's `INT_MAX`, the largest precision `CPython`'s parser accepts.
const I32_MAX: usize = 0x7FFF_FFFF;

const F_LJUST: u8 = 1;
const F_SIGN: u8 = 2;
const F_BLANK: u8 = 4;
const F_ALT: u8 = 8;
const F_ZERO: u8 = 16;

fn bad(message: impl Into<String>, start: usize, end: usize) -> ExpandError {
    ExpandError::BadFormat {
        message: message.into(),
        start,
        end,
    }
}

/// `template % vars`, as `CPython` 3.11 computes it. Returns `Cow::Borrowed`
/// when the template contains no '%' (fast path: most values have none).
///
/// # Errors
/// [`ExpandError::UnknownName`] for a `%(name)` whose name `vars` does not
/// define, [`ExpandError::BadFormat`] (with Python's exception message) for
/// every other failure.
pub fn expand<'t>(template: &'t str, vars: &dyn Vars) -> Result<Cow<'t, str>, ExpandError> {
    let Some(first) = find_percent(template, 0) else {
        return Ok(Cow::Borrowed(template));
    };
    let mut out = String::with_capacity(template.len() + 16);
    let mut fmt = Formatter {
        vars,
        arg: Some(Arg::Dict),
        scratch: String::new(),
        oversize: None,
    };
    let mut lit_start = 0;
    let mut next = Some(first);
    while let Some(pct) = next {
        out.push_str(template.get(lit_start..pct).unwrap_or(""));
        lit_start = fmt.one(template, pct, &mut out)?;
        next = find_percent(template, lit_start);
    }
    if let Some(err) = fmt.oversize {
        return Err(err);
    }
    out.push_str(template.get(lit_start..).unwrap_or(""));
    Ok(Cow::Owned(out))
}

/// Every `%(name)` reference in a template, in order, with byte ranges of
/// the whole spec — for diagnostics and for listing which names a value
/// uses. `%%` is not a reference. Never fails: scanning stops at the first
/// spec that is syntactically malformed (unterminated key, missing or
/// unsupported conversion character, overflowing width/precision).
#[must_use]
pub fn references(template: &str) -> Vec<Reference> {
    let mut refs = Vec::new();
    let mut pos = 0;
    while let Some(start) = find_percent(template, pos) {
        match parse_spec(template, start, &mut NoArgs) {
            Ok(Parsed::Percent(end)) => pos = end,
            Ok(Parsed::Spec(spec)) => {
                if !is_conversion(spec.conv) {
                    break;
                }
                if let Some((ks, ke)) = spec.key {
                    refs.push(Reference {
                        name: template[ks..ke].to_owned(),
                        start,
                        end: spec.end,
                    });
                }
                pos = spec.end;
            }
            Err(_) => break,
        }
    }
    refs
}

/// The byte offset of the first `%` at or after `from`. A byte search: `%` is ASCII, so
/// it cannot be part of another character, and most values are searched whole.
fn find_percent(template: &str, from: usize) -> Option<usize> {
    let rest = template.as_bytes().get(from..)?;
    memchr::memchr(b'%', rest).map(|off| from + off)
}

fn is_conversion(c: char) -> bool {
    matches!(
        c,
        's' | 'r'
            | 'a'
            | 'd'
            | 'i'
            | 'u'
            | 'o'
            | 'x'
            | 'X'
            | 'e'
            | 'E'
            | 'f'
            | 'F'
            | 'g'
            | 'G'
            | 'c'
    )
}

/// Receives the argument-consuming events of the spec parser, in the order
/// `CPython` performs them (so that error precedence matches).
trait ArgSource {
    /// A `(name)` was read; `start..end` spans `%` to `)`.
    fn key(&mut self, name: &str, start: usize, end: usize) -> Result<(), ExpandError>;
    /// A `*` width (`prec == false`) or precision was read.
    fn star(&mut self, prec: bool, start: usize, end: usize) -> Result<(), ExpandError>;
}

struct NoArgs;

impl ArgSource for NoArgs {
    fn key(&mut self, _: &str, _: usize, _: usize) -> Result<(), ExpandError> {
        Ok(())
    }
    fn star(&mut self, _: bool, _: usize, _: usize) -> Result<(), ExpandError> {
        Ok(())
    }
}

struct Spec {
    /// Byte range of the name inside the template, if the spec has `(name)`.
    key: Option<(usize, usize)>,
    flags: u8,
    width: Option<usize>,
    prec: Option<usize>,
    conv: char,
    /// Byte offset of the conversion character.
    conv_pos: usize,
    /// Byte offset just past the conversion character.
    end: usize,
}

enum Parsed {
    /// `%%`, ending at the given byte offset.
    Percent(usize),
    Spec(Spec),
}

/// Parses the spec whose `%` is at byte `start`, mirroring
/// `unicode_format_arg_parse`. The conversion character is returned
/// unvalidated: `CPython` fetches the argument before rejecting it.
fn parse_spec<S: ArgSource>(t: &str, start: usize, src: &mut S) -> Result<Parsed, ExpandError> {
    let b = t.as_bytes();
    let mut i = start + 1;
    if b.get(i) == Some(&b'%') {
        return Ok(Parsed::Percent(i + 1));
    }
    let mut key = None;
    if b.get(i) == Some(&b'(') {
        i += 1;
        let key_start = i;
        let mut depth = 1usize;
        loop {
            match b.get(i) {
                None => return Err(bad("incomplete format key", start, t.len())),
                Some(b'(') => depth += 1,
                Some(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Some(_) => {}
            }
            i += 1;
        }
        key = Some((key_start, i));
        i += 1;
        src.key(&t[key_start..i - 1], start, i)?;
    }
    let mut flags = 0u8;
    loop {
        match b.get(i) {
            Some(b'-') => flags |= F_LJUST,
            Some(b'+') => flags |= F_SIGN,
            Some(b' ') => flags |= F_BLANK,
            Some(b'#') => flags |= F_ALT,
            Some(b'0') => flags |= F_ZERO,
            _ => break,
        }
        i += 1;
    }
    let mut width = None;
    match b.get(i) {
        Some(b'*') => {
            i += 1;
            src.star(false, start, i)?;
        }
        Some(b'0'..=b'9') => {
            let mut w: i64 = 0;
            while let Some(&d @ b'0'..=b'9') = b.get(i) {
                i += 1;
                w = w
                    .checked_mul(10)
                    .and_then(|w| w.checked_add(i64::from(d - b'0')))
                    .ok_or_else(|| bad("width too big", start, i))?;
            }
            width = Some(usize::try_from(w).unwrap_or(usize::MAX));
        }
        _ => {}
    }
    let mut prec = None;
    if b.get(i) == Some(&b'.') {
        i += 1;
        prec = Some(0);
        match b.get(i) {
            Some(b'*') => {
                i += 1;
                src.star(true, start, i)?;
            }
            Some(b'0'..=b'9') => {
                let mut p: i32 = 0;
                while let Some(&d @ b'0'..=b'9') = b.get(i) {
                    i += 1;
                    p = p
                        .checked_mul(10)
                        .and_then(|p| p.checked_add(i32::from(d - b'0')))
                        .ok_or_else(|| bad("precision too big", start, i))?;
                }
                prec = usize::try_from(p).ok();
            }
            _ => {}
        }
    }
    if matches!(b.get(i), Some(b'h' | b'l' | b'L')) {
        i += 1;
    }
    let Some(conv) = t.get(i..).and_then(|rest| rest.chars().next()) else {
        return Err(bad("incomplete format", start, t.len()));
    };
    Ok(Parsed::Spec(Spec {
        key,
        flags,
        width,
        prec,
        conv,
        conv_pos: i,
        end: i + conv.len_utf8(),
    }))
}

/// The argument the next spec will consume.
#[derive(Clone, Copy)]
enum Arg<'v> {
    /// The mapping itself (before any `(name)` lookup).
    Dict,
    /// The value of the most recent `(name)`.
    Val(Value<'v>),
}

impl Arg<'_> {
    fn type_name(self) -> &'static str {
        match self {
            Arg::Dict => "dict",
            Arg::Val(Value::Str(_)) => "str",
            Arg::Val(Value::Int(_)) => "int",
        }
    }
}

struct Formatter<'v> {
    vars: &'v dyn Vars,
    /// `None` once consumed: `CPython`'s `argidx == arglen`.
    arg: Option<Arg<'v>>,
    /// Reused buffer for formatted fields that need padding.
    scratch: String,
    /// The first field that exceeded [`MAX_FIELD_CHARS`]. Reported only if
    /// the rest of the template formats without error, since `CPython` would
    /// have produced the field and gone on to any later error.
    oversize: Option<ExpandError>,
}

impl ArgSource for Formatter<'_> {
    fn key(&mut self, name: &str, start: usize, end: usize) -> Result<(), ExpandError> {
        match self.vars.get(name) {
            Some(v) => {
                self.arg = Some(Arg::Val(v));
                Ok(())
            }
            None => Err(ExpandError::UnknownName {
                name: name.to_owned(),
                start,
                end,
            }),
        }
    }

    fn star(&mut self, prec: bool, start: usize, end: usize) -> Result<(), ExpandError> {
        // The value is never usable: every conversion then needs another
        // argument, which a mapping cannot supply. Only the errors matter.
        match self.next_arg(start, end)? {
            Arg::Val(Value::Int(n)) => {
                if prec && i32::try_from(n).is_err() {
                    return Err(bad("Python int too large to convert to C int", start, end));
                }
                Ok(())
            }
            _ => Err(bad("* wants int", start, end)),
        }
    }
}

impl<'v> Formatter<'v> {
    fn too_big(&mut self, message: &str, start: usize, end: usize) {
        if self.oversize.is_none() {
            self.oversize = Some(bad(message, start, end));
        }
    }

    fn next_arg(&mut self, start: usize, end: usize) -> Result<Arg<'v>, ExpandError> {
        self.arg
            .take()
            .ok_or_else(|| bad("not enough arguments for format string", start, end))
    }

    /// Formats the spec whose `%` is at byte `start` into `out`; returns the
    /// byte offset just past it.
    fn one(&mut self, t: &str, start: usize, out: &mut String) -> Result<usize, ExpandError> {
        let spec = match parse_spec(t, start, self)? {
            Parsed::Percent(end) => {
                out.push('%');
                return Ok(end);
            }
            Parsed::Spec(spec) => spec,
        };
        let end = spec.end;
        let arg = self.next_arg(start, end)?;
        let fast = spec.width.is_none() && spec.prec.is_none();
        match spec.conv {
            's' | 'r' | 'a' => match arg {
                Arg::Val(Value::Int(n)) if fast => push_decimal(out, n),
                // what `output` does with it, without measuring the text first
                Arg::Val(Value::Str(s))
                    if spec.conv == 's' && fast && spec.flags & (F_SIGN | F_BLANK) == 0 =>
                {
                    out.push_str(s);
                }
                Arg::Val(Value::Str(s)) if spec.conv == 's' => {
                    output(out, s, &spec, false, &mut self.oversize, start);
                }
                _ => {
                    let mut body = std::mem::take(&mut self.scratch);
                    body.clear();
                    let ascii = spec.conv == 'a';
                    match arg {
                        Arg::Val(Value::Int(n)) => push_decimal(&mut body, n),
                        Arg::Val(Value::Str(s)) => push_repr(&mut body, s, ascii),
                        Arg::Dict => push_dict_repr(&mut body, self.vars, ascii),
                    }
                    output(out, &body, &spec, false, &mut self.oversize, start);
                    self.scratch = body;
                }
            },
            'd' | 'i' | 'u' | 'o' | 'x' | 'X' => {
                let Arg::Val(Value::Int(n)) = arg else {
                    let what = if matches!(spec.conv, 'o' | 'x' | 'X') {
                        "an integer"
                    } else {
                        "a real number"
                    };
                    return Err(bad(
                        format!(
                            "%{} format: {what} is required, not {}",
                            spec.conv,
                            arg.type_name()
                        ),
                        start,
                        end,
                    ));
                };
                let prec = spec.prec.unwrap_or(0);
                if prec > INT_PREC_LIMIT {
                    return Err(bad("precision too large", start, end));
                }
                if prec > MAX_FIELD_CHARS {
                    self.too_big("precision too big", start, end);
                    return Ok(end);
                }
                let mut body = std::mem::take(&mut self.scratch);
                body.clear();
                push_int(
                    &mut body,
                    n,
                    spec.conv,
                    spec.flags & F_ALT != 0,
                    spec.prec.unwrap_or(0),
                );
                output(out, &body, &spec, true, &mut self.oversize, start);
                self.scratch = body;
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                let Arg::Val(Value::Int(n)) = arg else {
                    return Err(bad(
                        format!("must be real number, not {}", arg.type_name()),
                        start,
                        end,
                    ));
                };
                let mut prec = spec.prec.unwrap_or(6);
                if prec == I32_MAX && matches!(spec.conv, 'e' | 'E') {
                    // `CPython` computes `precision + 1` significant digits in a C
                    // int; it wraps, and dtoa then produces a single digit.
                    prec = 0;
                }
                // Only '%g' without '#' drops the zeros a huge precision asks for.
                if prec > MAX_FIELD_CHARS
                    && !(matches!(spec.conv, 'g' | 'G') && spec.flags & F_ALT == 0)
                {
                    self.too_big("precision too big", start, end);
                    return Ok(end);
                }
                let mut body = std::mem::take(&mut self.scratch);
                body.clear();
                push_float(&mut body, n, spec.conv, prec, spec.flags & F_ALT != 0);
                output(out, &body, &spec, true, &mut self.oversize, start);
                self.scratch = body;
            }
            'c' => {
                let c = match arg {
                    Arg::Val(Value::Str(s)) => {
                        let mut it = s.chars();
                        match (it.next(), it.next()) {
                            (Some(c), None) => c,
                            _ => return Err(bad("%c requires int or char", start, end)),
                        }
                    }
                    Arg::Val(Value::Int(n)) => {
                        if !(0..=0x10_FFFF).contains(&n) {
                            return Err(bad("%c arg not in range(0x110000)", start, end));
                        }
                        let cp = u32::try_from(n).unwrap_or(u32::MAX);
                        char::from_u32(cp).ok_or_else(|| {
                            bad(
                                format!(
                                    "%c arg is a surrogate (0x{cp:x}), which cannot be represented"
                                ),
                                start,
                                end,
                            )
                        })?
                    }
                    Arg::Dict => return Err(bad("%c requires int or char", start, end)),
                };
                let mut buf = [0u8; 4];
                output(
                    out,
                    c.encode_utf8(&mut buf),
                    &spec,
                    false,
                    &mut self.oversize,
                    start,
                );
            }
            c => {
                let index = t[..spec.conv_pos].chars().count();
                let shown = if (' '..='~').contains(&c) || c == '\x1f' {
                    c
                } else {
                    '?'
                };
                return Err(bad(
                    format!(
                        "unsupported format character '{shown}' (0x{:x}) at index {index}",
                        u32::from(c)
                    ),
                    start,
                    end,
                ));
            }
        }
        Ok(end)
    }
}

/// Writes one formatted field with padding, sign and alternate-form prefix,
/// mirroring `unicode_format_arg_output`. `numeric` is `CPython`'s `arg->sign`
/// (set for integer and float conversions).
fn output(
    out: &mut String,
    body: &str,
    spec: &Spec,
    numeric: bool,
    oversize: &mut Option<ExpandError>,
    start: usize,
) {
    let flags = spec.flags;
    let fill = if numeric && flags & F_ZERO != 0 {
        '0'
    } else {
        ' '
    };
    let mut len = if body.is_ascii() {
        body.len()
    } else {
        body.chars().count()
    };
    if spec.width.is_none_or(|w| w <= len)
        && spec.prec.is_none_or(|p| p >= len)
        && flags & (F_SIGN | F_BLANK) == 0
    {
        out.push_str(body);
        return;
    }
    if let (Some(p), 's' | 'r' | 'a') = (spec.prec, spec.conv) {
        len = len.min(p);
    }
    let mut width = spec.width.unwrap_or(0);
    if width > MAX_FIELD_CHARS && width > len {
        if oversize.is_none() {
            *oversize = Some(bad("width too big", start, spec.end));
        }
        return;
    }
    let bytes = body.as_bytes();
    let mut pindex = 0;
    let mut sign = numeric;
    let mut signchar = '\0';
    if sign {
        match bytes.first() {
            Some(&c @ (b'-' | b'+')) => {
                signchar = char::from(c);
                len = len.saturating_sub(1);
                pindex = 1;
            }
            _ if flags & F_SIGN != 0 => signchar = '+',
            _ if flags & F_BLANK != 0 => signchar = ' ',
            _ => sign = false,
        }
    }
    width = width.max(len);
    if sign {
        if fill != ' ' {
            out.push(signchar);
        }
        if width > len {
            width -= 1;
        }
    }
    let prefix = flags & F_ALT != 0 && matches!(spec.conv, 'x' | 'X' | 'o');
    if prefix {
        if fill != ' ' {
            out.push_str(body.get(pindex..pindex + 2).unwrap_or(""));
            pindex += 2;
        }
        width = width.saturating_sub(2);
        len = len.saturating_sub(2);
    }
    if width > len && flags & F_LJUST == 0 {
        push_n(out, fill, width - len);
        width = len;
    }
    if fill == ' ' {
        if sign {
            out.push(signchar);
        }
        if prefix {
            out.push_str(body.get(pindex..pindex + 2).unwrap_or(""));
            pindex += 2;
        }
    }
    let rest = body.get(pindex..).unwrap_or("");
    let end = if rest.is_ascii() {
        len.min(rest.len())
    } else {
        rest.char_indices().nth(len).map_or(rest.len(), |(i, _)| i)
    };
    out.push_str(&rest[..end]);
    if width > len {
        push_n(out, ' ', width - len);
    }
}

fn push_n(out: &mut String, c: char, n: usize) {
    out.extend(std::iter::repeat_n(c, n));
}

fn push_decimal(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_digits(out, n.unsigned_abs(), 10, false, 0);
}

/// Pushes `v` in `base`, zero-padded to at least `min_digits` digits.
fn push_digits(out: &mut String, mut v: u64, base: u64, upper: bool, min_digits: usize) {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut buf = [0u8; 64];
    let mut i = buf.len();
    loop {
        i -= 1;
        // `v % base < 16`, so the index is in bounds.
        buf[i] = digits[usize::try_from(v % base).unwrap_or(0)];
        v /= base;
        if v == 0 {
            break;
        }
    }
    let n = buf.len() - i;
    if min_digits > n {
        push_n(out, '0', min_digits - n);
    }
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

/// `_PyUnicode_FormatLong`: sign, `0x`/`0o` prefix when `alt`, zeros up to
/// `prec` digits, digits; upper-cased (prefix included) for `X`.
fn push_int(out: &mut String, n: i64, conv: char, alt: bool, prec: usize) {
    if n < 0 {
        out.push('-');
    }
    let base = match conv {
        'o' => 8,
        'x' | 'X' => 16,
        _ => 10,
    };
    if alt && base != 10 {
        out.push('0');
        out.push(if conv == 'o' { 'o' } else { conv });
    }
    push_digits(out, n.unsigned_abs(), base, conv == 'X', prec);
}

/// `PyOS_double_to_string(float(n), conv, prec, alt)` for an int `n`.
/// The double is an exact integer, so all digits are computed exactly and
/// rounded half-to-even like David Gay's dtoa.
fn push_float(out: &mut String, n: i64, conv: char, prec: usize, alt: bool) {
    #[allow(clippy::cast_precision_loss)] // int -> float rounding is the point
    let x = n as f64;
    if x < 0.0 {
        out.push('-');
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // |x| <= 2^63, integral
    let m = x.abs() as u64;
    let mut digits_buf = String::with_capacity(20);
    push_digits(&mut digits_buf, m, 10, false, 0);
    let all = digits_buf.as_bytes();
    let upper = conv.is_ascii_uppercase();
    match conv {
        'f' | 'F' => {
            out.push_str(&digits_buf);
            if prec > 0 || alt {
                out.push('.');
            }
            push_n(out, '0', prec);
        }
        'e' | 'E' => {
            let (sig, exp) = round_sig(all, prec + 1);
            push_exp(out, &sig, prec + 1, exp, alt, upper);
        }
        _ => {
            let p = prec.max(1);
            let (sig, exp) = round_sig(all, p);
            // Significant digits to show: all `p` with '#', else without trailing zeros.
            let shown = if alt {
                p
            } else {
                sig.iter().rposition(|&d| d != b'0').map_or(1, |i| i + 1)
            };
            if exp < p {
                // Fixed notation: exp + 1 integer digits.
                for k in 0..=exp {
                    out.push(char::from(sig.get(k).copied().unwrap_or(b'0')));
                }
                if shown > exp + 1 {
                    out.push('.');
                    for k in exp + 1..shown {
                        out.push(char::from(sig.get(k).copied().unwrap_or(b'0')));
                    }
                } else if alt {
                    out.push('.');
                }
            } else {
                push_exp(out, &sig, shown, exp, alt, upper);
            }
        }
    }
}

/// Rounds the decimal integer `digits` (no leading zeros, or exactly "0") to
/// `n` significant digits, half-to-even. Returns the significant digits
/// (at most `n`; missing ones are zeros) and the decimal exponent.
fn round_sig(digits: &[u8], n: usize) -> (Vec<u8>, usize) {
    let exp = digits.len().saturating_sub(1);
    if digits.len() <= n {
        return (digits.to_vec(), exp);
    }
    let mut sig = digits[..n].to_vec();
    let first_dropped = digits[n];
    let rest_nonzero = digits[n + 1..].iter().any(|&d| d != b'0');
    let last_odd = n > 0 && sig.last().is_some_and(|&d| (d - b'0') % 2 == 1);
    let up =
        first_dropped > b'5' || (first_dropped == b'5' && (rest_nonzero || last_odd || n == 0));
    if !up {
        return (sig, exp);
    }
    for d in sig.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return (sig, exp);
        }
    }
    // Carried out of the top digit: 99.. -> 100..
    sig.insert(0, b'1');
    sig.truncate(n.max(1));
    (sig, exp + 1)
}

/// Exponent notation with `count` significant digits: `d[.ddd]e±XX`.
fn push_exp(out: &mut String, sig: &[u8], count: usize, exp: usize, alt: bool, upper: bool) {
    out.push(char::from(sig.first().copied().unwrap_or(b'0')));
    if count > 1 || alt {
        out.push('.');
    }
    for k in 1..count {
        out.push(char::from(sig.get(k).copied().unwrap_or(b'0')));
    }
    out.push(if upper { 'E' } else { 'e' });
    out.push('+');
    if exp < 10 {
        out.push('0');
    }
    push_digits(out, exp as u64, 10, false, 0);
}

/// Python's `repr(dict)` (or `ascii(dict)`), for a bare `%s`/`%r`/`%a`.
fn push_dict_repr(out: &mut String, vars: &dyn Vars, ascii: bool) {
    out.push('{');
    for (i, (k, v)) in vars.entries().iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_repr(out, k, ascii);
        out.push_str(": ");
        match *v {
            Value::Str(s) => push_repr(out, s, ascii),
            Value::Int(n) => push_decimal(out, n),
        }
    }
    out.push('}');
}

/// Python's `repr(s)`, or `ascii(s)` when `ascii_only`.
fn push_repr(out: &mut String, s: &str, ascii_only: bool) {
    out.push_str(&if ascii_only {
        crate::python::ascii(s)
    } else {
        crate::python::repr(s)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expansion dict used by the table: insertion order matters for `%s`.
    struct TestVars(Vec<(&'static str, Value<'static>)>);

    impl Vars for TestVars {
        fn get(&self, name: &str) -> Option<Value<'_>> {
            self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
        }
        fn entries(&self) -> Vec<(String, Value<'_>)> {
            self.0.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
        }
    }

    fn vars() -> TestVars {
        TestVars(vec![
            ("process_num", Value::Int(3)),
            ("program_name", Value::Str("cat")),
            ("here", Value::Str("/etc/supervisor")),
            ("n", Value::Int(42)),
            ("s", Value::Str("hi")),
            ("neg", Value::Int(-7)),
            ("q", Value::Str("it's")),
            ("a(b)c", Value::Str("nest")),
            ("x", Value::Int(5)),
            ("e", Value::Str("é")),
            ("big", Value::Int(1 << 62)),
        ])
    }

    #[derive(Debug)]
    enum Want {
        Ok(&'static str),
        Err(&'static str),
        Key(&'static str),
    }
    use Want::{Err, Key, Ok};

    /// `(template, template % vars)` as computed by `CPython` 3.11.7.
    #[rustfmt::skip]
    const TABLE: &[(&str, Want)] = &[
        ("%(process_num)02d", Ok("03")),
        ("%(process_num)03d", Ok("003")),
        ("%(program_name)s", Ok("cat")),
        ("%(here)20s", Ok("     /etc/supervisor")),
        ("%(n)-5d|", Ok("42   |")),
        ("%(n)+d", Ok("+42")),
        ("%(n)x", Ok("2a")),
        ("%(n)#o", Ok("0o52")),
        ("%(n)c", Ok("*")),
        ("%(n).3f", Ok("42.000")),
        ("%(n)e", Ok("4.200000e+01")),
        ("%(n)g", Ok("42")),
        ("%(q)r", Ok("\"it's\"")),
        ("%(s)r", Ok("'hi'")),
        ("%(s)d", Err("%d format: a real number is required, not str")),
        ("%%", Ok("%")),
        ("%%(x)s", Ok("%(x)s")),
        ("abc%", Err("incomplete format")),
        ("%(x)", Err("incomplete format")),
        ("%(x", Err("incomplete format key")),
        ("%z", Err("unsupported format character 'z' (0x7a) at index 1")),
        ("%s", Ok("{'process_num': 3, 'program_name': 'cat', 'here': '/etc/supervisor', 'n': 42, 's': 'hi', 'neg': -7, 'q': \"it's\", 'a(b)c': 'nest', 'x': 5, 'e': 'é', 'big': 4611686018427387904}")),
        ("%s %s", Err("not enough arguments for format string")),
        ("%(a(b)c)s", Ok("nest")),
        ("%(x)ld", Ok("5")),
        ("%(x)*d", Err("not enough arguments for format string")),
        ("%(program_name)s_%(process_num)02d", Ok("cat_03")),
        ("no percent", Ok("no percent")),
        ("100%% sure", Ok("100% sure")),
        ("%(nope)s", Key("nope")),
        ("a %(n)s %(nope)z", Key("nope")),
        ("%(nope)", Key("nope")),
        ("%(s)i", Err("%i format: a real number is required, not str")),
        ("%(s)u", Err("%u format: a real number is required, not str")),
        ("%(s)x", Err("%x format: an integer is required, not str")),
        ("%(s)X", Err("%X format: an integer is required, not str")),
        ("%(s)o", Err("%o format: an integer is required, not str")),
        ("%(s)e", Err("must be real number, not str")),
        ("%(s)f", Err("must be real number, not str")),
        ("%(s)g", Err("must be real number, not str")),
        ("%(s)c", Err("%c requires int or char")),
        ("%(q)c", Err("%c requires int or char")),
        ("%(e)c", Ok("é")),
        ("%(big)c", Err("%c arg not in range(0x110000)")),
        ("%(neg)c", Err("%c arg not in range(0x110000)")),
        ("%(neg)05d", Ok("-0007")),
        ("%(neg)x", Ok("-7")),
        ("%(neg)#X", Ok("-0X7")),
        ("%(n)#x", Ok("0x2a")),
        ("%(n)#10x|", Ok("      0x2a|")),
        ("%(n)#010x", Ok("0x0000002a")),
        ("%(n)-#10x|", Ok("0x2a      |")),
        ("%(n)+#010X", Ok("+0X000002A")),
        ("%(n) d", Ok(" 42")),
        ("%(n)+ d", Ok("+42")),
        ("%(n)-05d|", Ok("42   |")),
        ("%(n).5d", Ok("00042")),
        ("%(neg).5d", Ok("-00007")),
        ("%(n)10.5d|", Ok("     00042|")),
        ("%(n)#.5x", Ok("0x0002a")),
        ("%(n)%", Err("unsupported format character '%' (0x25) at index 4")),
        ("%5%", Err("unsupported format character '%' (0x25) at index 2")),
        ("%(n)5.2z", Err("unsupported format character 'z' (0x7a) at index 7")),
        ("é%ü", Err("unsupported format character '?' (0xfc) at index 2")),
        ("%(n)..d", Err("unsupported format character '.' (0x2e) at index 5")),
        ("% (n)d", Err("unsupported format character '(' (0x28) at index 2")),
        ("%(n)hd", Ok("42")),
        ("%(n)Ld", Ok("42")),
        ("%(n)lld", Err("unsupported format character 'l' (0x6c) at index 5")),
        ("%(n)", Err("incomplete format")),
        (" %(n)5", Err("incomplete format")),
        ("%(n).", Err("incomplete format")),
        ("%(n)*", Err("incomplete format")),
        ("%*d", Err("* wants int")),
        ("%(s)*d", Err("* wants int")),
        ("%(n).*d", Err("not enough arguments for format string")),
        ("%(big).*d", Err("Python int too large to convert to C int")),
        ("%.*s", Err("* wants int")),
        ("%(n)10.3e", Ok(" 4.200e+01")),
        ("%(n)#g", Ok("42.0000")),
        ("%(n)#.0f", Ok("42.")),
        ("%(n).0e", Ok("4e+01")),
        ("%(n)#.0e", Ok("4.e+01")),
        ("%(n)E", Ok("4.200000E+01")),
        ("%(big)e", Ok("4.611686e+18")),
        ("%(big)f", Ok("4611686018427387904.000000")),
        ("%(big)g", Ok("4.61169e+18")),
        ("%(big).3G", Ok("4.61E+18")),
        ("%(x).0e", Ok("5e+00")),
        ("%(n)+010.3f", Ok("+00042.000")),
        ("%(n) 010e", Ok(" 4.200000e+01")),
        ("%(n)-+10.2g|", Ok("+42       |")),
        ("%(n)#.0g", Ok("4.e+01")),
        ("%(s)5.1s|", Ok("    h|")),
        ("%(s)-5s|", Ok("hi   |")),
        ("%(s).0s|", Ok("|")),
        ("%(e)5s|", Ok("    é|")),
        ("%(e)r", Ok("'é'")),
        ("%(e)a", Ok("'\\xe9'")),
        ("%(n)05s", Ok("   42")),
        ("%(n)+s", Ok("42")),
        ("%(s)10r|", Ok("      'hi'|")),
        ("%(s).1r", Ok("'")),
        ("%(n)05c", Ok("    *")),
        ("%(n)-5c|", Ok("*    |")),
        ("%d", Err("%d format: a real number is required, not dict")),
        ("%r", Ok("{'process_num': 3, 'program_name': 'cat', 'here': '/etc/supervisor', 'n': 42, 's': 'hi', 'neg': -7, 'q': \"it's\", 'a(b)c': 'nest', 'x': 5, 'e': 'é', 'big': 4611686018427387904}")),
        ("%a", Ok("{'process_num': 3, 'program_name': 'cat', 'here': '/etc/supervisor', 'n': 42, 's': 'hi', 'neg': -7, 'q': \"it's\", 'a(b)c': 'nest', 'x': 5, 'e': '\\xe9', 'big': 4611686018427387904}")),
        ("%c", Err("%c requires int or char")),
        ("%x", Err("%x format: an integer is required, not dict")),
        ("%e", Err("must be real number, not dict")),
        ("%s%%", Ok("{'process_num': 3, 'program_name': 'cat', 'here': '/etc/supervisor', 'n': 42, 's': 'hi', 'neg': -7, 'q': \"it's\", 'a(b)c': 'nest', 'x': 5, 'e': 'é', 'big': 4611686018427387904}%")),
        ("%s %(n)s", Ok("{'process_num': 3, 'program_name': 'cat', 'here': '/etc/supervisor', 'n': 42, 's': 'hi', 'neg': -7, 'q': \"it's\", 'a(b)c': 'nest', 'x': 5, 'e': 'é', 'big': 4611686018427387904} 42")),
        ("%(n)s %s", Err("not enough arguments for format string")),
        ("%%%", Err("incomplete format")),
        ("%()s", Key("")),
        ("%(n)99999999999999999999d", Err("width too big")),
        ("%(n).99999999999999999999d", Err("precision too big")),
        ("%(n).2147483647d", Err("precision too large")),
        ("%(n).2147483647e", Ok("4e+01")),
        ("%(here)s/%(program_name)s.log", Ok("/etc/supervisor/cat.log")),
    ];

    #[test]
    fn matches_cpython() {
        let v = vars();
        let mut failures = Vec::new();
        for (template, want) in TABLE {
            let got = expand(template, &v);
            let ok = match (want, &got) {
                (Want::Ok(w), Result::Ok(g)) => g == w,
                (Want::Err(w), Result::Err(ExpandError::BadFormat { message, .. })) => message == w,
                (Want::Key(w), Result::Err(ExpandError::UnknownName { name, .. })) => name == w,
                _ => false,
            };
            if !ok {
                failures.push(format!("{template:?}: want {want:?}, got {got:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(TABLE.len() >= 60);
    }

    #[test]
    fn no_percent_borrows() {
        let v = vars();
        assert!(matches!(
            expand("plain value", &v),
            Result::Ok(Cow::Borrowed("plain value"))
        ));
        assert!(matches!(expand("", &v), Result::Ok(Cow::Borrowed(""))));
        assert!(matches!(expand("%%", &v), Result::Ok(Cow::Owned(_))));
    }

    #[test]
    fn error_spans() {
        let v = vars();
        let span = |t: &str| expand(t, &v).map(|_| ()).map_err(|e| e.span());
        assert_eq!(span("ab %(nope)s"), Result::Err(3..10));
        assert_eq!(span("é%(nope)s"), Result::Err(2..9));
        assert_eq!(span("x %(n)5.2z y"), Result::Err(2..10));
        assert_eq!(span("x %(n)5"), Result::Err(2..7));
        assert_eq!(span("x %(n"), Result::Err(2..5));
        assert_eq!(span("%(s)s %(s)d!"), Result::Err(6..11));
        assert_eq!(span("%(n)s %s!"), Result::Err(6..8));
        assert_eq!(span("%(s)*d"), Result::Err(0..5));
        assert_eq!(span("%(n)é"), Result::Err(0..6));
        assert_eq!(
            expand("é%ü", &v),
            Result::Err(ExpandError::BadFormat {
                message: "unsupported format character '?' (0xfc) at index 2".into(),
                start: 2,
                end: 5,
            })
        );
        assert_eq!(
            expand("%(nope)s", &v),
            Result::Err(ExpandError::UnknownName {
                name: "nope".into(),
                start: 0,
                end: 7
            })
        );
        assert_eq!(
            ExpandError::UnknownName {
                name: "it's".into(),
                start: 0,
                end: 0
            }
            .to_string(),
            "\"it's\""
        );
    }

    #[test]
    fn repr_escapes() {
        // repr()/ascii() of '\u200b\x00\U0001F600\x85\xa0\u3000x\ue000\u0378\t\r\n\x7f\\'
        let s = "\u{200b}\0\u{1F600}\u{85}\u{a0}\u{3000}x\u{e000}\u{378}\t\r\n\x7f\\";
        let v = TestVars(vec![
            ("u", Value::Str(s)),
            ("both", Value::Str("'\"")),
            ("dq", Value::Str("\"a\"")),
        ]);
        assert_eq!(
            expand("%(u)r", &v).as_deref(),
            Result::Ok("'\\u200b\\x00😀\\x85\\xa0\\u3000x\\ue000\\u0378\\t\\r\\n\\x7f\\\\'")
        );
        assert_eq!(
            expand("%(u)a", &v).as_deref(),
            Result::Ok(
                "'\\u200b\\x00\\U0001f600\\x85\\xa0\\u3000x\\ue000\\u0378\\t\\r\\n\\x7f\\\\'"
            )
        );
        assert_eq!(expand("%(both)r", &v).as_deref(), Result::Ok("'\\'\"'"));
        assert_eq!(expand("%(dq)r", &v).as_deref(), Result::Ok("'\"a\"'"));
        let empty = TestVars(vec![]);
        assert_eq!(
            expand("%s|%(x)s", &empty),
            Result::Err(ExpandError::UnknownName {
                name: "x".into(),
                start: 3,
                end: 7
            })
        );
        assert_eq!(expand("%s", &empty).as_deref(), Result::Ok("{}"));
    }

    #[test]
    fn float_rounding_is_half_even() {
        // '%.0e' % 25, '%.0e' % 35, '%.1e' % 125, '%.2g' % 135, '%.3g' % 99950,
        // '%e' % (2**63-1), '%.17g' % 9007199254740993
        let v = TestVars(vec![
            ("a", Value::Int(25)),
            ("b", Value::Int(35)),
            ("c", Value::Int(125)),
            ("d", Value::Int(135)),
            ("e", Value::Int(99950)),
            ("f", Value::Int(i64::MAX)),
            ("g", Value::Int(9_007_199_254_740_993)),
        ]);
        let got = expand("%(a).0e %(b).0e %(c).1e %(d).2g %(e).3g %(f)e %(g).17g", &v);
        assert_eq!(
            got.as_deref(),
            Result::Ok("2e+01 4e+01 1.2e+02 1.4e+02 1e+05 9.223372e+18 9007199254740992")
        );
    }

    #[test]
    fn oversized_fields_are_refused_after_later_errors() {
        let v = vars();
        assert_eq!(
            expand("%(n)5000000d", &v),
            Result::Err(ExpandError::BadFormat {
                message: "width too big".into(),
                start: 0,
                end: 12
            })
        );
        // `CPython` would build the huge field, then fail on the second spec.
        assert!(matches!(
            expand("%(n)5000000d %(nope)s", &v),
            Result::Err(ExpandError::UnknownName { .. })
        ));
        // Huge precision on %s only truncates; on %g it is harmless.
        assert_eq!(
            expand("%(s).5000000s %(n).5000000g", &v).as_deref(),
            Result::Ok("hi 42")
        );
        assert!(expand("%(n)1000000d", &v).is_ok_and(|s| s.len() == 1_000_000));
    }

    #[test]
    fn surrogate_char_is_an_error() {
        let v = TestVars(vec![("s", Value::Int(0xD800)), ("ok", Value::Int(0x1F600))]);
        assert!(matches!(
            expand("%(s)c", &v),
            Result::Err(ExpandError::BadFormat { .. })
        ));
        assert_eq!(expand("%(ok)c", &v).as_deref(), Result::Ok("😀"));
    }

    #[test]
    fn references_lists_named_specs() {
        let refs = references("%(a)s %% %s %(b(c))-05.3ld x %(é)r %(d)z %(e)s");
        let got: Vec<(&str, usize, usize)> = refs
            .iter()
            .map(|r| (r.name.as_str(), r.start, r.end))
            .collect();
        assert_eq!(got, vec![("a", 0, 5), ("b(c)", 12, 26), ("é", 29, 35)]);
        assert!(references("no refs").is_empty());
        assert!(references("%(a").is_empty());
        assert_eq!(references("%(a)*d %(b)s").len(), 2);
    }

    #[test]
    fn is_printable_matches_python() {
        // [c for c in '\xa0\xad\xe9\u0378\u200b\u2028\u3000\ue000\U0001f600\U000e0001\u4e00' if c.isprintable()]
        let printable: Vec<char> =
            "\u{a0}\u{ad}\u{e9}\u{378}\u{200b}\u{2028}\u{3000}\u{e000}\u{1f600}\u{e0001}\u{4e00}"
                .chars()
                .filter(|&c| crate::python::repr(&c.to_string()).contains(c))
                .collect();
        assert_eq!(printable, vec!['\u{e9}', '\u{1f600}', '\u{4e00}']);
    }

    /// Tiny deterministic PRNG (xorshift) so the test needs no dependencies.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn never_panics_on_random_templates() {
        const ALPHABET: &[char] = &[
            '%', '%', '%', '(', ')', 's', 'd', '0', '1', '2', '5', '9', ' ', '.', '#', '*', 'x',
            'a', 'n', 'q', 'e', 'g', 'c', 'r', 'X', 'o', '-', '+', 'l', 'é', '😀',
        ];
        let v = TestVars(vec![
            ("n", Value::Int(42)),
            ("s", Value::Str("hé")),
            ("a", Value::Int(i64::MIN)),
            ("x", Value::Str("")),
            ("q", Value::Int(i64::MAX)),
        ]);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut template = String::new();
        for _ in 0..100_000 {
            template.clear();
            let len = rng.next() % 16;
            for _ in 0..len {
                let i = usize::try_from(rng.next() % ALPHABET.len() as u64).unwrap_or(0);
                template.push(ALPHABET[i]);
            }
            let result = expand(&template, &v);
            if let Result::Err(e) = &result {
                let span = e.span();
                assert!(
                    span.start < span.end && span.end <= template.len(),
                    "{template:?}: {e:?}"
                );
                assert!(
                    template.is_char_boundary(span.start) && template.is_char_boundary(span.end)
                );
                assert_eq!(template.as_bytes()[span.start], b'%');
            }
            for r in references(&template) {
                assert!(
                    template
                        .get(r.start..r.end)
                        .is_some_and(|s| s.starts_with("%("))
                );
            }
        }
    }
}
