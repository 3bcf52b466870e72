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
    let Some(first) = template.find('%') else {
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
        next = template
            .get(lit_start..)
            .and_then(|rest| rest.find('%'))
            .map(|off| lit_start + off);
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
    while let Some(off) = template.get(pos..).and_then(|rest| rest.find('%')) {
        let start = pos + off;
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
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
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
            ' '..='~' => out.push(c),
            c if !ascii_only && !c.is_ascii() && is_printable(c) => out.push(c),
            c => {
                let cp = u64::from(u32::from(c));
                let (tag, width) = if cp < 0x100 {
                    ('x', 2)
                } else if cp < 0x1_0000 {
                    ('u', 4)
                } else {
                    ('U', 8)
                };
                out.push('\\');
                out.push(tag);
                push_digits(out, cp, 16, false, width);
            }
        }
    }
    out.push(quote);
}

/// Python's `str.isprintable()` for one non-ASCII character (Unicode 14.0,
/// as in `CPython` 3.11): false for categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs.
fn is_printable(c: char) -> bool {
    let cp = u32::from(c);
    NON_PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_err()
}

/// Inclusive ranges of non-ASCII code points that `CPython` 3.11's
/// `str.isprintable()` rejects (generated from `unicodedata` 14.0.0).
#[rustfmt::skip]
#[allow(clippy::unreadable_literal)]
static NON_PRINTABLE: &[(u32, u32)] = &[
    (0x80, 0xA0), (0xAD, 0xAD), (0x378, 0x379), (0x380, 0x383), (0x38B, 0x38B), (0x38D, 0x38D),
    (0x3A2, 0x3A2), (0x530, 0x530), (0x557, 0x558), (0x58B, 0x58C), (0x590, 0x590), (0x5C8, 0x5CF),
    (0x5EB, 0x5EE), (0x5F5, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70E, 0x70F), (0x74B, 0x74C),
    (0x7B2, 0x7BF), (0x7FB, 0x7FC), (0x82E, 0x82F), (0x83F, 0x83F), (0x85C, 0x85D), (0x85F, 0x85F),
    (0x86B, 0x86F), (0x88F, 0x897), (0x8E2, 0x8E2), (0x984, 0x984), (0x98D, 0x98E), (0x991, 0x992),
    (0x9A9, 0x9A9), (0x9B1, 0x9B1), (0x9B3, 0x9B5), (0x9BA, 0x9BB), (0x9C5, 0x9C6), (0x9C9, 0x9CA),
    (0x9CF, 0x9D6), (0x9D8, 0x9DB), (0x9DE, 0x9DE), (0x9E4, 0x9E5), (0x9FF, 0xA00), (0xA04, 0xA04),
    (0xA0B, 0xA0E), (0xA11, 0xA12), (0xA29, 0xA29), (0xA31, 0xA31), (0xA34, 0xA34), (0xA37, 0xA37),
    (0xA3A, 0xA3B), (0xA3D, 0xA3D), (0xA43, 0xA46), (0xA49, 0xA4A), (0xA4E, 0xA50), (0xA52, 0xA58),
    (0xA5D, 0xA5D), (0xA5F, 0xA65), (0xA77, 0xA80), (0xA84, 0xA84), (0xA8E, 0xA8E), (0xA92, 0xA92),
    (0xAA9, 0xAA9), (0xAB1, 0xAB1), (0xAB4, 0xAB4), (0xABA, 0xABB), (0xAC6, 0xAC6), (0xACA, 0xACA),
    (0xACE, 0xACF), (0xAD1, 0xADF), (0xAE4, 0xAE5), (0xAF2, 0xAF8), (0xB00, 0xB00), (0xB04, 0xB04),
    (0xB0D, 0xB0E), (0xB11, 0xB12), (0xB29, 0xB29), (0xB31, 0xB31), (0xB34, 0xB34), (0xB3A, 0xB3B),
    (0xB45, 0xB46), (0xB49, 0xB4A), (0xB4E, 0xB54), (0xB58, 0xB5B), (0xB5E, 0xB5E), (0xB64, 0xB65),
    (0xB78, 0xB81), (0xB84, 0xB84), (0xB8B, 0xB8D), (0xB91, 0xB91), (0xB96, 0xB98), (0xB9B, 0xB9B),
    (0xB9D, 0xB9D), (0xBA0, 0xBA2), (0xBA5, 0xBA7), (0xBAB, 0xBAD), (0xBBA, 0xBBD), (0xBC3, 0xBC5),
    (0xBC9, 0xBC9), (0xBCE, 0xBCF), (0xBD1, 0xBD6), (0xBD8, 0xBE5), (0xBFB, 0xBFF), (0xC0D, 0xC0D),
    (0xC11, 0xC11), (0xC29, 0xC29), (0xC3A, 0xC3B), (0xC45, 0xC45), (0xC49, 0xC49), (0xC4E, 0xC54),
    (0xC57, 0xC57), (0xC5B, 0xC5C), (0xC5E, 0xC5F), (0xC64, 0xC65), (0xC70, 0xC76), (0xC8D, 0xC8D),
    (0xC91, 0xC91), (0xCA9, 0xCA9), (0xCB4, 0xCB4), (0xCBA, 0xCBB), (0xCC5, 0xCC5), (0xCC9, 0xCC9),
    (0xCCE, 0xCD4), (0xCD7, 0xCDC), (0xCDF, 0xCDF), (0xCE4, 0xCE5), (0xCF0, 0xCF0), (0xCF3, 0xCFF),
    (0xD0D, 0xD0D), (0xD11, 0xD11), (0xD45, 0xD45), (0xD49, 0xD49), (0xD50, 0xD53), (0xD64, 0xD65),
    (0xD80, 0xD80), (0xD84, 0xD84), (0xD97, 0xD99), (0xDB2, 0xDB2), (0xDBC, 0xDBC), (0xDBE, 0xDBF),
    (0xDC7, 0xDC9), (0xDCB, 0xDCE), (0xDD5, 0xDD5), (0xDD7, 0xDD7), (0xDE0, 0xDE5), (0xDF0, 0xDF1),
    (0xDF5, 0xE00), (0xE3B, 0xE3E), (0xE5C, 0xE80), (0xE83, 0xE83), (0xE85, 0xE85), (0xE8B, 0xE8B),
    (0xEA4, 0xEA4), (0xEA6, 0xEA6), (0xEBE, 0xEBF), (0xEC5, 0xEC5), (0xEC7, 0xEC7), (0xECE, 0xECF),
    (0xEDA, 0xEDB), (0xEE0, 0xEFF), (0xF48, 0xF48), (0xF6D, 0xF70), (0xF98, 0xF98), (0xFBD, 0xFBD),
    (0xFCD, 0xFCD), (0xFDB, 0xFFF), (0x10C6, 0x10C6), (0x10C8, 0x10CC), (0x10CE, 0x10CF), (0x1249, 0x1249),
    (0x124E, 0x124F), (0x1257, 0x1257), (0x1259, 0x1259), (0x125E, 0x125F), (0x1289, 0x1289), (0x128E, 0x128F),
    (0x12B1, 0x12B1), (0x12B6, 0x12B7), (0x12BF, 0x12BF), (0x12C1, 0x12C1), (0x12C6, 0x12C7), (0x12D7, 0x12D7),
    (0x1311, 0x1311), (0x1316, 0x1317), (0x135B, 0x135C), (0x137D, 0x137F), (0x139A, 0x139F), (0x13F6, 0x13F7),
    (0x13FE, 0x13FF), (0x1680, 0x1680), (0x169D, 0x169F), (0x16F9, 0x16FF), (0x1716, 0x171E), (0x1737, 0x173F),
    (0x1754, 0x175F), (0x176D, 0x176D), (0x1771, 0x1771), (0x1774, 0x177F), (0x17DE, 0x17DF), (0x17EA, 0x17EF),
    (0x17FA, 0x17FF), (0x180E, 0x180E), (0x181A, 0x181F), (0x1879, 0x187F), (0x18AB, 0x18AF), (0x18F6, 0x18FF),
    (0x191F, 0x191F), (0x192C, 0x192F), (0x193C, 0x193F), (0x1941, 0x1943), (0x196E, 0x196F), (0x1975, 0x197F),
    (0x19AC, 0x19AF), (0x19CA, 0x19CF), (0x19DB, 0x19DD), (0x1A1C, 0x1A1D), (0x1A5F, 0x1A5F), (0x1A7D, 0x1A7E),
    (0x1A8A, 0x1A8F), (0x1A9A, 0x1A9F), (0x1AAE, 0x1AAF), (0x1ACF, 0x1AFF), (0x1B4D, 0x1B4F), (0x1B7F, 0x1B7F),
    (0x1BF4, 0x1BFB), (0x1C38, 0x1C3A), (0x1C4A, 0x1C4C), (0x1C89, 0x1C8F), (0x1CBB, 0x1CBC), (0x1CC8, 0x1CCF),
    (0x1CFB, 0x1CFF), (0x1F16, 0x1F17), (0x1F1E, 0x1F1F), (0x1F46, 0x1F47), (0x1F4E, 0x1F4F), (0x1F58, 0x1F58),
    (0x1F5A, 0x1F5A), (0x1F5C, 0x1F5C), (0x1F5E, 0x1F5E), (0x1F7E, 0x1F7F), (0x1FB5, 0x1FB5), (0x1FC5, 0x1FC5),
    (0x1FD4, 0x1FD5), (0x1FDC, 0x1FDC), (0x1FF0, 0x1FF1), (0x1FF5, 0x1FF5), (0x1FFF, 0x200F), (0x2028, 0x202F),
    (0x205F, 0x206F), (0x2072, 0x2073), (0x208F, 0x208F), (0x209D, 0x209F), (0x20C1, 0x20CF), (0x20F1, 0x20FF),
    (0x218C, 0x218F), (0x2427, 0x243F), (0x244B, 0x245F), (0x2B74, 0x2B75), (0x2B96, 0x2B96), (0x2CF4, 0x2CF8),
    (0x2D26, 0x2D26), (0x2D28, 0x2D2C), (0x2D2E, 0x2D2F), (0x2D68, 0x2D6E), (0x2D71, 0x2D7E), (0x2D97, 0x2D9F),
    (0x2DA7, 0x2DA7), (0x2DAF, 0x2DAF), (0x2DB7, 0x2DB7), (0x2DBF, 0x2DBF), (0x2DC7, 0x2DC7), (0x2DCF, 0x2DCF),
    (0x2DD7, 0x2DD7), (0x2DDF, 0x2DDF), (0x2E5E, 0x2E7F), (0x2E9A, 0x2E9A), (0x2EF4, 0x2EFF), (0x2FD6, 0x2FEF),
    (0x2FFC, 0x3000), (0x3040, 0x3040), (0x3097, 0x3098), (0x3100, 0x3104), (0x3130, 0x3130), (0x318F, 0x318F),
    (0x31E4, 0x31EF), (0x321F, 0x321F), (0xA48D, 0xA48F), (0xA4C7, 0xA4CF), (0xA62C, 0xA63F), (0xA6F8, 0xA6FF),
    (0xA7CB, 0xA7CF), (0xA7D2, 0xA7D2), (0xA7D4, 0xA7D4), (0xA7DA, 0xA7F1), (0xA82D, 0xA82F), (0xA83A, 0xA83F),
    (0xA878, 0xA87F), (0xA8C6, 0xA8CD), (0xA8DA, 0xA8DF), (0xA954, 0xA95E), (0xA97D, 0xA97F), (0xA9CE, 0xA9CE),
    (0xA9DA, 0xA9DD), (0xA9FF, 0xA9FF), (0xAA37, 0xAA3F), (0xAA4E, 0xAA4F), (0xAA5A, 0xAA5B), (0xAAC3, 0xAADA),
    (0xAAF7, 0xAB00), (0xAB07, 0xAB08), (0xAB0F, 0xAB10), (0xAB17, 0xAB1F), (0xAB27, 0xAB27), (0xAB2F, 0xAB2F),
    (0xAB6C, 0xAB6F), (0xABEE, 0xABEF), (0xABFA, 0xABFF), (0xD7A4, 0xD7AF), (0xD7C7, 0xD7CA), (0xD7FC, 0xF8FF),
    (0xFA6E, 0xFA6F), (0xFADA, 0xFAFF), (0xFB07, 0xFB12), (0xFB18, 0xFB1C), (0xFB37, 0xFB37), (0xFB3D, 0xFB3D),
    (0xFB3F, 0xFB3F), (0xFB42, 0xFB42), (0xFB45, 0xFB45), (0xFBC3, 0xFBD2), (0xFD90, 0xFD91), (0xFDC8, 0xFDCE),
    (0xFDD0, 0xFDEF), (0xFE1A, 0xFE1F), (0xFE53, 0xFE53), (0xFE67, 0xFE67), (0xFE6C, 0xFE6F), (0xFE75, 0xFE75),
    (0xFEFD, 0xFF00), (0xFFBF, 0xFFC1), (0xFFC8, 0xFFC9), (0xFFD0, 0xFFD1), (0xFFD8, 0xFFD9), (0xFFDD, 0xFFDF),
    (0xFFE7, 0xFFE7), (0xFFEF, 0xFFFB), (0xFFFE, 0xFFFF), (0x1000C, 0x1000C), (0x10027, 0x10027), (0x1003B, 0x1003B),
    (0x1003E, 0x1003E), (0x1004E, 0x1004F), (0x1005E, 0x1007F), (0x100FB, 0x100FF), (0x10103, 0x10106), (0x10134, 0x10136),
    (0x1018F, 0x1018F), (0x1019D, 0x1019F), (0x101A1, 0x101CF), (0x101FE, 0x1027F), (0x1029D, 0x1029F), (0x102D1, 0x102DF),
    (0x102FC, 0x102FF), (0x10324, 0x1032C), (0x1034B, 0x1034F), (0x1037B, 0x1037F), (0x1039E, 0x1039E), (0x103C4, 0x103C7),
    (0x103D6, 0x103FF), (0x1049E, 0x1049F), (0x104AA, 0x104AF), (0x104D4, 0x104D7), (0x104FC, 0x104FF), (0x10528, 0x1052F),
    (0x10564, 0x1056E), (0x1057B, 0x1057B), (0x1058B, 0x1058B), (0x10593, 0x10593), (0x10596, 0x10596), (0x105A2, 0x105A2),
    (0x105B2, 0x105B2), (0x105BA, 0x105BA), (0x105BD, 0x105FF), (0x10737, 0x1073F), (0x10756, 0x1075F), (0x10768, 0x1077F),
    (0x10786, 0x10786), (0x107B1, 0x107B1), (0x107BB, 0x107FF), (0x10806, 0x10807), (0x10809, 0x10809), (0x10836, 0x10836),
    (0x10839, 0x1083B), (0x1083D, 0x1083E), (0x10856, 0x10856), (0x1089F, 0x108A6), (0x108B0, 0x108DF), (0x108F3, 0x108F3),
    (0x108F6, 0x108FA), (0x1091C, 0x1091E), (0x1093A, 0x1093E), (0x10940, 0x1097F), (0x109B8, 0x109BB), (0x109D0, 0x109D1),
    (0x10A04, 0x10A04), (0x10A07, 0x10A0B), (0x10A14, 0x10A14), (0x10A18, 0x10A18), (0x10A36, 0x10A37), (0x10A3B, 0x10A3E),
    (0x10A49, 0x10A4F), (0x10A59, 0x10A5F), (0x10AA0, 0x10ABF), (0x10AE7, 0x10AEA), (0x10AF7, 0x10AFF), (0x10B36, 0x10B38),
    (0x10B56, 0x10B57), (0x10B73, 0x10B77), (0x10B92, 0x10B98), (0x10B9D, 0x10BA8), (0x10BB0, 0x10BFF), (0x10C49, 0x10C7F),
    (0x10CB3, 0x10CBF), (0x10CF3, 0x10CF9), (0x10D28, 0x10D2F), (0x10D3A, 0x10E5F), (0x10E7F, 0x10E7F), (0x10EAA, 0x10EAA),
    (0x10EAE, 0x10EAF), (0x10EB2, 0x10EFF), (0x10F28, 0x10F2F), (0x10F5A, 0x10F6F), (0x10F8A, 0x10FAF), (0x10FCC, 0x10FDF),
    (0x10FF7, 0x10FFF), (0x1104E, 0x11051), (0x11076, 0x1107E), (0x110BD, 0x110BD), (0x110C3, 0x110CF), (0x110E9, 0x110EF),
    (0x110FA, 0x110FF), (0x11135, 0x11135), (0x11148, 0x1114F), (0x11177, 0x1117F), (0x111E0, 0x111E0), (0x111F5, 0x111FF),
    (0x11212, 0x11212), (0x1123F, 0x1127F), (0x11287, 0x11287), (0x11289, 0x11289), (0x1128E, 0x1128E), (0x1129E, 0x1129E),
    (0x112AA, 0x112AF), (0x112EB, 0x112EF), (0x112FA, 0x112FF), (0x11304, 0x11304), (0x1130D, 0x1130E), (0x11311, 0x11312),
    (0x11329, 0x11329), (0x11331, 0x11331), (0x11334, 0x11334), (0x1133A, 0x1133A), (0x11345, 0x11346), (0x11349, 0x1134A),
    (0x1134E, 0x1134F), (0x11351, 0x11356), (0x11358, 0x1135C), (0x11364, 0x11365), (0x1136D, 0x1136F), (0x11375, 0x113FF),
    (0x1145C, 0x1145C), (0x11462, 0x1147F), (0x114C8, 0x114CF), (0x114DA, 0x1157F), (0x115B6, 0x115B7), (0x115DE, 0x115FF),
    (0x11645, 0x1164F), (0x1165A, 0x1165F), (0x1166D, 0x1167F), (0x116BA, 0x116BF), (0x116CA, 0x116FF), (0x1171B, 0x1171C),
    (0x1172C, 0x1172F), (0x11747, 0x117FF), (0x1183C, 0x1189F), (0x118F3, 0x118FE), (0x11907, 0x11908), (0x1190A, 0x1190B),
    (0x11914, 0x11914), (0x11917, 0x11917), (0x11936, 0x11936), (0x11939, 0x1193A), (0x11947, 0x1194F), (0x1195A, 0x1199F),
    (0x119A8, 0x119A9), (0x119D8, 0x119D9), (0x119E5, 0x119FF), (0x11A48, 0x11A4F), (0x11AA3, 0x11AAF), (0x11AF9, 0x11BFF),
    (0x11C09, 0x11C09), (0x11C37, 0x11C37), (0x11C46, 0x11C4F), (0x11C6D, 0x11C6F), (0x11C90, 0x11C91), (0x11CA8, 0x11CA8),
    (0x11CB7, 0x11CFF), (0x11D07, 0x11D07), (0x11D0A, 0x11D0A), (0x11D37, 0x11D39), (0x11D3B, 0x11D3B), (0x11D3E, 0x11D3E),
    (0x11D48, 0x11D4F), (0x11D5A, 0x11D5F), (0x11D66, 0x11D66), (0x11D69, 0x11D69), (0x11D8F, 0x11D8F), (0x11D92, 0x11D92),
    (0x11D99, 0x11D9F), (0x11DAA, 0x11EDF), (0x11EF9, 0x11FAF), (0x11FB1, 0x11FBF), (0x11FF2, 0x11FFE), (0x1239A, 0x123FF),
    (0x1246F, 0x1246F), (0x12475, 0x1247F), (0x12544, 0x12F8F), (0x12FF3, 0x12FFF), (0x1342F, 0x143FF), (0x14647, 0x167FF),
    (0x16A39, 0x16A3F), (0x16A5F, 0x16A5F), (0x16A6A, 0x16A6D), (0x16ABF, 0x16ABF), (0x16ACA, 0x16ACF), (0x16AEE, 0x16AEF),
    (0x16AF6, 0x16AFF), (0x16B46, 0x16B4F), (0x16B5A, 0x16B5A), (0x16B62, 0x16B62), (0x16B78, 0x16B7C), (0x16B90, 0x16E3F),
    (0x16E9B, 0x16EFF), (0x16F4B, 0x16F4E), (0x16F88, 0x16F8E), (0x16FA0, 0x16FDF), (0x16FE5, 0x16FEF), (0x16FF2, 0x16FFF),
    (0x187F8, 0x187FF), (0x18CD6, 0x18CFF), (0x18D09, 0x1AFEF), (0x1AFF4, 0x1AFF4), (0x1AFFC, 0x1AFFC), (0x1AFFF, 0x1AFFF),
    (0x1B123, 0x1B14F), (0x1B153, 0x1B163), (0x1B168, 0x1B16F), (0x1B2FC, 0x1BBFF), (0x1BC6B, 0x1BC6F), (0x1BC7D, 0x1BC7F),
    (0x1BC89, 0x1BC8F), (0x1BC9A, 0x1BC9B), (0x1BCA0, 0x1CEFF), (0x1CF2E, 0x1CF2F), (0x1CF47, 0x1CF4F), (0x1CFC4, 0x1CFFF),
    (0x1D0F6, 0x1D0FF), (0x1D127, 0x1D128), (0x1D173, 0x1D17A), (0x1D1EB, 0x1D1FF), (0x1D246, 0x1D2DF), (0x1D2F4, 0x1D2FF),
    (0x1D357, 0x1D35F), (0x1D379, 0x1D3FF), (0x1D455, 0x1D455), (0x1D49D, 0x1D49D), (0x1D4A0, 0x1D4A1), (0x1D4A3, 0x1D4A4),
    (0x1D4A7, 0x1D4A8), (0x1D4AD, 0x1D4AD), (0x1D4BA, 0x1D4BA), (0x1D4BC, 0x1D4BC), (0x1D4C4, 0x1D4C4), (0x1D506, 0x1D506),
    (0x1D50B, 0x1D50C), (0x1D515, 0x1D515), (0x1D51D, 0x1D51D), (0x1D53A, 0x1D53A), (0x1D53F, 0x1D53F), (0x1D545, 0x1D545),
    (0x1D547, 0x1D549), (0x1D551, 0x1D551), (0x1D6A6, 0x1D6A7), (0x1D7CC, 0x1D7CD), (0x1DA8C, 0x1DA9A), (0x1DAA0, 0x1DAA0),
    (0x1DAB0, 0x1DEFF), (0x1DF1F, 0x1DFFF), (0x1E007, 0x1E007), (0x1E019, 0x1E01A), (0x1E022, 0x1E022), (0x1E025, 0x1E025),
    (0x1E02B, 0x1E0FF), (0x1E12D, 0x1E12F), (0x1E13E, 0x1E13F), (0x1E14A, 0x1E14D), (0x1E150, 0x1E28F), (0x1E2AF, 0x1E2BF),
    (0x1E2FA, 0x1E2FE), (0x1E300, 0x1E7DF), (0x1E7E7, 0x1E7E7), (0x1E7EC, 0x1E7EC), (0x1E7EF, 0x1E7EF), (0x1E7FF, 0x1E7FF),
    (0x1E8C5, 0x1E8C6), (0x1E8D7, 0x1E8FF), (0x1E94C, 0x1E94F), (0x1E95A, 0x1E95D), (0x1E960, 0x1EC70), (0x1ECB5, 0x1ED00),
    (0x1ED3E, 0x1EDFF), (0x1EE04, 0x1EE04), (0x1EE20, 0x1EE20), (0x1EE23, 0x1EE23), (0x1EE25, 0x1EE26), (0x1EE28, 0x1EE28),
    (0x1EE33, 0x1EE33), (0x1EE38, 0x1EE38), (0x1EE3A, 0x1EE3A), (0x1EE3C, 0x1EE41), (0x1EE43, 0x1EE46), (0x1EE48, 0x1EE48),
    (0x1EE4A, 0x1EE4A), (0x1EE4C, 0x1EE4C), (0x1EE50, 0x1EE50), (0x1EE53, 0x1EE53), (0x1EE55, 0x1EE56), (0x1EE58, 0x1EE58),
    (0x1EE5A, 0x1EE5A), (0x1EE5C, 0x1EE5C), (0x1EE5E, 0x1EE5E), (0x1EE60, 0x1EE60), (0x1EE63, 0x1EE63), (0x1EE65, 0x1EE66),
    (0x1EE6B, 0x1EE6B), (0x1EE73, 0x1EE73), (0x1EE78, 0x1EE78), (0x1EE7D, 0x1EE7D), (0x1EE7F, 0x1EE7F), (0x1EE8A, 0x1EE8A),
    (0x1EE9C, 0x1EEA0), (0x1EEA4, 0x1EEA4), (0x1EEAA, 0x1EEAA), (0x1EEBC, 0x1EEEF), (0x1EEF2, 0x1EFFF), (0x1F02C, 0x1F02F),
    (0x1F094, 0x1F09F), (0x1F0AF, 0x1F0B0), (0x1F0C0, 0x1F0C0), (0x1F0D0, 0x1F0D0), (0x1F0F6, 0x1F0FF), (0x1F1AE, 0x1F1E5),
    (0x1F203, 0x1F20F), (0x1F23C, 0x1F23F), (0x1F249, 0x1F24F), (0x1F252, 0x1F25F), (0x1F266, 0x1F2FF), (0x1F6D8, 0x1F6DC),
    (0x1F6ED, 0x1F6EF), (0x1F6FD, 0x1F6FF), (0x1F774, 0x1F77F), (0x1F7D9, 0x1F7DF), (0x1F7EC, 0x1F7EF), (0x1F7F1, 0x1F7FF),
    (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8AF), (0x1F8B2, 0x1F8FF),
    (0x1FA54, 0x1FA5F), (0x1FA6E, 0x1FA6F), (0x1FA75, 0x1FA77), (0x1FA7D, 0x1FA7F), (0x1FA87, 0x1FA8F), (0x1FAAD, 0x1FAAF),
    (0x1FABB, 0x1FABF), (0x1FAC6, 0x1FACF), (0x1FADA, 0x1FADF), (0x1FAE8, 0x1FAEF), (0x1FAF7, 0x1FAFF), (0x1FB93, 0x1FB93),
    (0x1FBCB, 0x1FBEF), (0x1FBFA, 0x1FFFF), (0x2A6E0, 0x2A6FF), (0x2B739, 0x2B73F), (0x2B81E, 0x2B81F), (0x2CEA2, 0x2CEAF),
    (0x2EBE1, 0x2F7FF), (0x2FA1E, 0x2FFFF), (0x3134B, 0xE00FF), (0xE01F0, 0x10FFFF),
];

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
                .filter(|&c| is_printable(c))
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
