//! Writing values into systemd unit files so that systemd reads back exactly
//! what supervisord would have used (spec/systemd-mapping.md §1 "Name rules"
//! and §2).
//!
//! # Two quoting layers
//!
//! A value svconf emits passes through two decoders inside systemd, and both
//! have to be undone here:
//!
//! 1. **Word splitting and C unescaping** (`extract_first_word()` with
//!    `EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE`), for `ExecStart=` and
//!    `Environment=`. Words are separated by space, tab, CR and LF; `"…"` and
//!    `'…'` group and are removed; a backslash starts a C escape (`\n`, `\t`,
//!    `\xNN`, `\\`, `\"`, …) inside *and* outside quotes, even inside single
//!    quotes, unlike a shell. The encoder only ever emits bare words or
//!    double-quoted words with the escapes `\\ \" \n \t \r \xNN`.
//! 2. **Specifiers, then variables**, per word after unquoting: `%%` → `%`
//!    (every other `%x` is a specifier, so every literal `%` is written
//!    `%%`, in every directive); in `ExecStart=` arguments additionally
//!    `$$` → `$`, `${X}` → the value of `X`, and a word that starts with `$X`
//!    is replaced by the split value of `X` (so every literal `$` of an
//!    argument is written `$$`). `Environment=` values get no `$` processing.
//!
//! Plain directives (`WorkingDirectory=`, `User=`, …) only get layer 2's
//! specifiers: the rest of the line is the value, with surrounding whitespace
//! stripped.
//!
//! # The executable is special
//!
//! systemd takes the path to execute from the first word *without* `$`
//! processing, but the `argv[0]` it passes to the program *with* it. So the
//! first word keeps its `$` as is, and a first word that `$` processing would
//! change (`$$`, `${`, a leading `$`) cannot be written at all.
//!
//! # How fidelity is established
//!
//! [`systemd_argv`] and [`systemd_environment`] re-implement systemd 252's
//! reading (`config_parse_exec()`, `config_parse_environ()`,
//! `extract_first_word()`, `cunescape_one()`, `specifier_printf()`,
//! `replace_env_argv()`), strictly: whatever systemd would only accept with
//! a warning ("Ignoring unknown escape sequences") is an error here, because
//! svconf treats every warning of `systemd-analyze verify` as a failure.
//! `tests/systemd_argv.rs` checks the encoder against them, and against
//! systemd's own parser functions (from `libsystemd-core-252.so`) when they
//! are installed.
//!
//! # Corrections to the spec (checked against systemd 252's functions)
//!
//! * §2.2 step 4 says to write `$` as `$$` in `argv[0]` too. That is wrong:
//!   `ExecStart=/opt/a$$b x` executes `/opt/a$$b` (the path is never
//!   `$`-expanded) while the program sees `argv[0]` = `/opt/a$b`. `argv[0]`
//!   keeps `$` as is; `$$`, `${` or a leading `$` in it are unrepresentable.
//! * §2.2 step 4: `";"` gives the argument `;` only after the first word;
//!   a first word `";"` is still the command separator
//!   (`ExecStart=";" x` runs `x`). An executable named `;` is refused.
//! * §2.2 step 4: `C:\path` and `a\ b` are not parse errors in `ExecStart=`:
//!   systemd retries with `EXTRACT_CUNESCAPE_RELAX`, keeps the backslash and
//!   warns "Ignoring unknown escape sequences". (In `Environment=` the same
//!   text is "Invalid syntax, ignoring", as the spec says.) A trailing
//!   unquoted backslash is kept the same way.
//! * §2.2 step 3: systemd 252 also refuses an executable ending in `/`
//!   ("Executable path specifies a directory"); `|` is not a prefix in 252
//!   (`|/bin/x` is "Neither a valid executable name nor an absolute path"),
//!   but newer releases use it as one, so it is refused as a first character.
//! * §2.2 step 4: systemd 252 simplifies the executable path
//!   (`/usr/bin/.` runs `/usr/bin`) but passes `argv[0]` unsimplified.
//! * §2.4 misses three cases: a value ending in `\` continues the line in
//!   systemd's config reader, leading whitespace is stripped like trailing
//!   whitespace, and an empty value resets the setting. All three are refused.
//! * §2.3: values may contain control characters other than NUL (`"A=\x01"`
//!   is accepted by `env_value_is_valid()`), so only NUL is refused.

use std::fmt;
use std::fmt::Write as _;

/// Why a value cannot be written for systemd (the generator turns this into
/// a diagnostic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// The value has no systemd spelling; the text is a lowercase sentence
    /// without a final period, with names in backticks.
    Unrepresentable(String),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unrepresentable(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for EncodeError {}

fn refuse<T>(why: impl Into<String>) -> Result<T, EncodeError> {
    Err(EncodeError::Unrepresentable(why.into()))
}

/// systemd's `WHITESPACE`: the word separators of `extract_first_word()` and
/// what `strstrip()` removes around a value.
const SEPARATORS: &[u8] = b" \t\n\r";

/// systemd's `LONG_LINE_MAX`: a longer line in a unit file is refused.
/// The margin leaves room for the directive name.
const LINE_MAX: usize = (1 << 20) - 64;

/// `NAME_MAX` and `PATH_MAX` as `filename_is_valid()`/`path_is_valid()` use them.
const NAME_MAX: usize = 255;
const PATH_MAX: usize = 4096;

/// The characters systemd treats as prefixes of an `ExecStart=` command
/// (`-@:+!` in 252; `|` in newer releases).
const EXEC_PREFIXES: &[char] = &['-', '@', ':', '+', '!', '|'];

/// The `ExecStart=` value that makes systemd pass exactly `argv`
/// (`argv[0]` = the executable path as systemd must see it; the caller
/// resolves relative and bare names).
///
/// Each word is quoted only when needed; inside quotes `\`, `"` and control
/// characters are escaped. Every `%` becomes `%%`, and every `$` of an
/// argument becomes `$$`, so systemd expands neither specifiers nor
/// variables. Empty arguments are written `""`, a lone `;` argument `";"`.
///
/// # Errors
///
/// What systemd cannot express: an empty command, NUL bytes, an executable
/// that is empty, contains quotes, backslashes or control characters, starts
/// with one of systemd's prefix characters `-@:+!|`, is relative with a `/`,
/// ends in `/`, would be changed by `$` processing, or is too long; a line
/// over systemd's line limit.
pub fn exec_start(argv: &[String]) -> Result<String, EncodeError> {
    let Some((program, rest)) = argv.split_first() else {
        return refuse("the command is empty");
    };
    check_executable(program)?;
    let mut line = word(&program.replace('%', "%%"));
    for arg in rest {
        if arg.contains('\0') {
            return refuse(format!(
                "argument `{}` contains a NUL character",
                arg.escape_debug()
            ));
        }
        line.push(' ');
        line.push_str(&word(&arg.replace('%', "%%").replace('$', "$$")));
    }
    if line.len() > LINE_MAX {
        return refuse("the command is longer than systemd's line limit of 1 MiB");
    }
    Ok(line)
}

/// A part of one `ExecStart=` argument for [`exec_start_with_vars`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text, encoded as [`exec_start`] encodes an argument.
    Text(String),
    /// `${NAME}`: the variable's value becomes part of this one argument.
    Var(String),
    /// `$NAME`: systemd splits the variable's value at whitespace into arguments. It must
    /// be the only piece of its argument.
    Words(String),
}

/// [`exec_start`] for arguments that contain runtime references to variables of
/// the unit's environment: [`Piece::Words`] becomes `$NAME`, [`Piece::Var`]
/// `${NAME}`. Literal text is encoded exactly as [`exec_start`] does (`$` → `$$`,
/// `%` → `%%`, quoted when needed).
///
/// # Errors
///
/// Those of [`exec_start`]; an executable (`argv[0]`) that holds a reference
/// (systemd does not expand variables in the path it executes); a
/// [`Piece::Words`] that is not alone in its argument; a variable name outside
/// `[A-Za-z_][A-Za-z0-9_]*`.
pub fn exec_start_with_vars(argv: &[Vec<Piece>]) -> Result<String, EncodeError> {
    let Some((program, rest)) = argv.split_first() else {
        return refuse("the command is empty");
    };
    let mut exe = String::new();
    for piece in program {
        match piece {
            Piece::Text(t) => exe.push_str(t),
            Piece::Var(name) | Piece::Words(name) => {
                return refuse(format!(
                    "the executable refers to `${name}`, which systemd does not expand there"
                ));
            }
        }
    }
    let mut line = exec_start(&[exe])?;
    for arg in rest {
        line.push(' ');
        if let [Piece::Words(name)] = arg.as_slice() {
            check_var_name(name)?;
            line.push('$');
            line.push_str(name);
            continue;
        }
        let mut text = String::new();
        for piece in arg {
            if let Piece::Text(t) = piece {
                text.push_str(t);
            }
        }
        if text.contains('\0') {
            return refuse(format!(
                "argument `{}` contains a NUL character",
                text.escape_debug()
            ));
        }
        if arg.iter().any(|p| matches!(p, Piece::Words(_))) {
            return refuse("`$NAME` must be an argument by itself");
        }
        if !arg.iter().any(|p| matches!(p, Piece::Var(_))) {
            line.push_str(&word(&text.replace('%', "%%").replace('$', "$$")));
            continue;
        }
        let quoted = word(&text).starts_with('"') && !text.is_empty() && text != ";";
        if quoted {
            line.push('"');
        }
        for piece in arg {
            match piece {
                Piece::Text(t) => {
                    let t = t.replace('%', "%%").replace('$', "$$");
                    if quoted {
                        escape_into(&mut line, &t);
                    } else {
                        line.push_str(&t);
                    }
                }
                Piece::Var(name) | Piece::Words(name) => {
                    check_var_name(name)?;
                    let _ = write!(line, "${{{name}}}");
                }
            }
        }
        if quoted {
            line.push('"');
        }
    }
    if line.len() > LINE_MAX {
        return refuse("the command is longer than systemd's line limit of 1 MiB");
    }
    Ok(line)
}

/// A name systemd expands in `$NAME`/`${NAME}`.
fn check_var_name(name: &str) -> Result<(), EncodeError> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        refuse(format!(
            "`{}` is not a variable name systemd expands",
            name.escape_debug()
        ))
    }
}

/// The checks `config_parse_exec()` applies to the first word, and the ones
/// that keep `argv[0]` equal to the executed path.
fn check_executable(program: &str) -> Result<(), EncodeError> {
    let shown = program.escape_debug();
    if program.is_empty() {
        return refuse("the executable is empty");
    }
    if program.chars().any(|c| c.is_control() && c <= '\u{7f}') {
        return refuse(format!(
            "executable `{shown}` contains a control character, which systemd refuses"
        ));
    }
    if program.contains(['"', '\'', '\\']) {
        return refuse(format!(
            "executable `{shown}` contains a quote or backslash, which systemd refuses"
        ));
    }
    if program.starts_with(EXEC_PREFIXES) {
        return refuse(format!(
            "executable `{shown}` starts with a character systemd reads as a prefix (`-@:+!|`)"
        ));
    }
    if program == ";" {
        return refuse("an executable named `;` is read as systemd's command separator");
    }
    if program.starts_with('$') || program.contains("$$") || program.contains("${") {
        return refuse(format!(
            "executable `{shown}` would reach the program as a different `argv[0]`: systemd \
             expands `$` in `argv[0]` but not in the path it executes"
        ));
    }
    if program.starts_with('/') {
        if program.ends_with('/') {
            return refuse(format!("executable `{shown}` names a directory"));
        }
        if program.len() >= PATH_MAX || program.split('/').any(|c| c.len() > NAME_MAX) {
            return refuse(format!("executable path `{shown}` is too long for systemd"));
        }
    } else if program.contains('/') || program == "." || program == ".." {
        return refuse(format!(
            "executable `{shown}` is neither a file name nor an absolute path"
        ));
    } else if program.len() > NAME_MAX {
        return refuse(format!("executable name `{shown}` is too long for systemd"));
    }
    Ok(())
}

/// One word for `extract_first_word()`, bare when that reads it back
/// unchanged, otherwise double-quoted and escaped.
fn word(text: &str) -> String {
    let needs_quotes = text.is_empty()
        || text == ";"
        || text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\'));
    if !needs_quotes {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    escape_into(&mut out, text);
    out.push('"');
    out
}

/// The inside of a double-quoted word: what `cunescape_one()` turns back into
/// `text`. Non-ASCII control characters (U+0080…U+009F) stay as UTF-8: only
/// bytes below 0x20 and 0x7f are special to systemd.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// One `Environment=` assignment, `"KEY=value"` quoted for systemd.
///
/// Inside the quotes `\`, `"` and control characters are escaped and `%`
/// becomes `%%`; `$` and `'` stay literal (systemd does no variable
/// expansion in `Environment=`).
///
/// # Errors
///
/// A key that does not match `[A-Za-z_][A-Za-z0-9_]*`, a NUL character in
/// the value, or a line over systemd's line limit.
pub fn environment(key: &str, value: &str) -> Result<String, EncodeError> {
    let mut chars = key.chars();
    let valid_key = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_key {
        return refuse(format!(
            "`{}` is not a valid systemd environment variable name \
             (letters, digits and `_`, not starting with a digit)",
            key.escape_debug()
        ));
    }
    if value.contains('\0') {
        return refuse(format!("the value of `{key}` contains a NUL character"));
    }
    let mut out = String::with_capacity(key.len() + value.len() + 3);
    out.push('"');
    out.push_str(key);
    out.push('=');
    escape_into(&mut out, &value.replace('%', "%%"));
    out.push('"');
    if out.len() > LINE_MAX {
        return refuse(format!(
            "the value of `{key}` is longer than systemd's line limit of 1 MiB"
        ));
    }
    Ok(out)
}

/// A plain directive value (`WorkingDirectory=`, `User=`, `Description=`,
/// `StandardOutput=append:PATH`): `%` becomes `%%`, nothing else changes.
///
/// # Errors
///
/// An empty value (it would reset the setting), NUL, CR or LF (they end the
/// line), leading or trailing whitespace (systemd strips it), a trailing
/// backslash (it continues the line), or a line over systemd's line limit.
pub fn plain(value: &str) -> Result<String, EncodeError> {
    let shown = value.escape_debug();
    if value.is_empty() {
        return refuse("an empty value resets the setting in systemd");
    }
    if value.contains(['\0', '\n', '\r']) {
        return refuse(format!(
            "`{shown}` contains a line break or NUL, which a systemd value cannot hold"
        ));
    }
    if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        return refuse(format!(
            "`{shown}` starts or ends with whitespace, which systemd strips"
        ));
    }
    if value.ends_with('\\') {
        return refuse(format!(
            "`{shown}` ends with a backslash, which continues the line in a unit file"
        ));
    }
    let out = value.replace('%', "%%");
    if out.len() > LINE_MAX {
        return refuse("the value is longer than systemd's line limit of 1 MiB");
    }
    Ok(out)
}

/// A unit name part escaped per spec §1: every byte outside `A-Za-z0-9:_.-`
/// becomes `\xNN` (lower-case hex), a leading `.` becomes `\x2e`, `-` stays.
/// Returns the escaped text and whether anything had to be escaped.
pub fn unit_name(name: &str) -> (String, bool) {
    let mut out = String::with_capacity(name.len());
    let mut escaped = false;
    for (i, b) in name.bytes().enumerate() {
        let keep =
            b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-') || (b == b'.' && i > 0);
        if keep {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\x{b:02x}");
            escaped = true;
        }
    }
    (out, escaped)
}

/// The unit types a unit name may end in.
const UNIT_TYPES: &[&str] = &[
    "service",
    "socket",
    "target",
    "device",
    "mount",
    "automount",
    "swap",
    "timer",
    "path",
    "slice",
    "scope",
];

/// The specifiers systemd 252 expands in unit names of dependencies (systemd.unit(5)).
const UNIT_SPECIFIERS: &str = "aAbBCdEfgGhHiIjJlLmMnNopPqsStTuUvVwWyY%";

/// A unit name for a dependency line such as `OnFailure=` (`notify@%n.service`), as
/// written: systemd's unit name characters `A-Za-z0-9:_.-@` and `\xNN` escapes, specifiers
/// (`%n`, `%i`, `%%`, …) that systemd expands when it loads the unit, a known type suffix,
/// a non-empty instance after the first `@` (a template cannot be a dependency).
///
/// # Errors
///
/// Any other character, an unknown specifier, a missing or unknown type, an empty name or
/// instance, or a name longer than 255 bytes.
pub fn unit_reference(name: &str) -> Result<String, EncodeError> {
    let shown = name.escape_debug();
    if name.is_empty() || name.len() > 255 {
        return refuse(format!("`{shown}` is not 1 to 255 bytes long"));
    }
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let spec = bytes.get(i + 1).copied().unwrap_or(b' ');
                if !UNIT_SPECIFIERS.as_bytes().contains(&spec) {
                    return refuse(format!(
                        "`{shown}` holds `%` that is not a systemd specifier (write `%%` for `%`)"
                    ));
                }
                i += 2;
            }
            b'\\' => {
                let hex = bytes.get(i + 1..i + 4);
                if !hex.is_some_and(|h| h[0] == b'x' && h[1..].iter().all(u8::is_ascii_hexdigit)) {
                    return refuse(format!("`{shown}` holds `\\` outside a `\\xNN` escape"));
                }
                i += 4;
            }
            b if b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.' | b'-' | b'@') => {
                i += 1;
            }
            _ => {
                return refuse(format!(
                    "`{shown}` is not a unit name (escape it with `systemd-escape`)"
                ));
            }
        }
    }
    let Some((stem, kind)) = name.rsplit_once('.') else {
        return refuse(format!("`{shown}` has no unit type such as `.service`"));
    };
    if !UNIT_TYPES.contains(&kind) {
        return refuse(format!(
            "`{shown}` does not end in a unit type such as `.service`"
        ));
    }
    let (prefix, instance) = match stem.split_once('@') {
        Some((p, inst)) => (p, Some(inst)),
        None => (stem, None),
    };
    if prefix.is_empty() || instance == Some("") {
        return refuse(format!(
            "`{shown}` is not a unit name (an empty name or instance)"
        ));
    }
    Ok(name.to_string())
}

/// systemd's own reading of an `ExecStart=` value into the argv the program
/// receives, following systemd 252's `config_parse_exec()` (words by
/// `extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)`, `\;` as an
/// argument `;`, specifiers per word) and `replace_env_argv()` (`$$` → `$`).
///
/// Strict where systemd only warns: an unknown escape sequence or a trailing
/// backslash is an error. Only the specifier `%%` is known (any other
/// `%x` needs a unit: resolve `%i` before calling), and runtime variables
/// (`${X}`, an argument starting with `$X`) are errors, since their values
/// are not known here.
///
/// # Errors
///
/// Anything systemd would refuse or warn about, a prefix on the executable,
/// more than one command, or a result that is not UTF-8.
pub fn systemd_argv(exec_start: &str) -> Result<Vec<String>, EncodeError> {
    let s = exec_start.as_bytes();
    let mut pos = 0;
    let Some(first) = extract_first_word(s, &mut pos)? else {
        return refuse("the command line is empty");
    };
    if first == b";" {
        return refuse("the command line starts with the separator `;`");
    }
    if first.first().is_some_and(|&b| b"-@:+!|".contains(&b)) {
        return refuse("the executable has a systemd prefix");
    }
    let path = resolve_specifiers(&first)?;
    if path.is_empty() {
        return refuse("the executable is empty");
    }
    if path
        .iter()
        .any(|&b| b < b' ' || b == 0x7f || b"\"'\\".contains(&b))
    {
        return refuse("executable name contains special characters");
    }
    if path.ends_with(b"/") {
        return refuse("executable path specifies a directory");
    }
    if path[0] != b'/' && (path.contains(&b'/') || path == b"." || path == b"..") {
        return refuse("neither a valid executable name nor an absolute path");
    }
    let mut argv = vec![path.clone()];
    loop {
        pos += s[pos..]
            .iter()
            .take_while(|b| SEPARATORS.contains(b))
            .count();
        let rest = &s[pos..];
        let ends_word = |i: usize| rest.get(i).is_none_or(|b| SEPARATORS.contains(b));
        if rest.first() == Some(&b';') && ends_word(1) {
            return refuse("the line holds more than one command (an unquoted `;`)");
        }
        if rest.starts_with(b"\\;") && ends_word(2) {
            pos += 2;
            argv.push(b";".to_vec());
            continue;
        }
        match extract_first_word(s, &mut pos)? {
            None => break,
            Some(w) => argv.push(resolve_specifiers(&w)?),
        }
    }
    // `replace_env_argv()` with no variables known.
    let mut out = Vec::with_capacity(argv.len());
    for arg in &argv {
        if arg.first() == Some(&b'$') && !matches!(arg.get(1), Some(b'{' | b'$')) {
            return refuse(format!(
                "argument `{}` is a runtime variable",
                String::from_utf8_lossy(arg)
            ));
        }
        out.push(replace_env(arg)?);
    }
    if out[0] != path {
        return refuse("the program would see an `argv[0]` other than the executed path");
    }
    out.into_iter()
        .map(|a| String::from_utf8(a).or_else(|_| refuse("an argument is not valid UTF-8")))
        .collect()
}

/// systemd's own reading of an `Environment=` value into `KEY=value`
/// assignments, following systemd 252's `config_parse_environ()`.
///
/// Strict where systemd only warns: a word that is not a valid assignment
/// (systemd skips it with "Invalid environment assignment") is an error, as
/// is any specifier other than `%%`.
///
/// # Errors
///
/// Bad quoting or escapes ("Invalid syntax"), invalid assignments, values
/// that are not UTF-8.
pub fn systemd_environment(value: &str) -> Result<Vec<String>, EncodeError> {
    let s = value.as_bytes();
    let mut pos = 0;
    let mut out = Vec::new();
    while let Some(w) = extract_first_word(s, &mut pos)? {
        let w = resolve_specifiers(&w)?;
        let Ok(w) = String::from_utf8(w) else {
            return refuse("an assignment is not valid UTF-8");
        };
        let valid = w.split_once('=').is_some_and(|(k, _)| {
            let mut chars = k.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if !valid {
            return refuse(format!(
                "invalid environment assignment `{}`",
                w.escape_debug()
            ));
        }
        out.push(w);
    }
    Ok(out)
}

/// `extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)` on bytes: skips
/// separators, then reads one word. `None` at the end of the input.
fn extract_first_word(s: &[u8], pos: &mut usize) -> Result<Option<Vec<u8>>, EncodeError> {
    while s.get(*pos).is_some_and(|b| SEPARATORS.contains(b)) {
        *pos += 1;
    }
    if *pos >= s.len() {
        return Ok(None);
    }
    let mut word = Vec::new();
    let mut quote: Option<u8> = None;
    loop {
        let Some(&c) = s.get(*pos) else {
            if quote.is_some() {
                return refuse("unbalanced quoting");
            }
            return Ok(Some(word));
        };
        *pos += 1;
        match (quote, c) {
            (_, b'\\') => {
                let Some(rest) = s.get(*pos..).filter(|r| !r.is_empty()) else {
                    return refuse("the line ends with a backslash");
                };
                let (bytes, used) = cunescape_one(rest)?;
                word.extend_from_slice(&bytes);
                *pos += used;
            }
            (Some(q), c) if c == q => quote = None,
            (None, b'"' | b'\'') => quote = Some(c),
            (None, c) if SEPARATORS.contains(&c) => return Ok(Some(word)),
            (_, c) => word.push(c),
        }
    }
}

/// `cunescape_one()`: one escape after a backslash. Returns the bytes it
/// stands for and how many input bytes it used.
fn cunescape_one(p: &[u8]) -> Result<(Vec<u8>, usize), EncodeError> {
    let unknown = || refuse(format!("unknown escape sequence `\\{}`", char::from(p[0])));
    let hex = |n: usize| -> Option<u32> {
        let digits = p.get(1..=n)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(text, 16).ok()
    };
    let simple = match p[0] {
        b'a' => Some(0x07),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(0x0b),
        b'\\' => Some(b'\\'),
        b'"' => Some(b'"'),
        b'\'' => Some(b'\''),
        b's' => Some(b' '),
        _ => None,
    };
    if let Some(b) = simple {
        return Ok((vec![b], 1));
    }
    match p[0] {
        b'x' => match hex(2) {
            Some(v @ 1..=255) => Ok((vec![u8::try_from(v).expect("two hex digits")], 3)),
            _ => unknown(),
        },
        b'u' | b'U' => {
            let n = if p[0] == b'u' { 4 } else { 8 };
            match hex(n).filter(|&v| v != 0).and_then(char::from_u32) {
                Some(c) => Ok((c.to_string().into_bytes(), n + 1)),
                None => unknown(),
            }
        }
        b'0'..=b'7' => {
            let digits = p
                .get(..3)
                .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
            let value = digits.map(|d| d.iter().fold(0u32, |a, b| a * 8 + u32::from(b - b'0')));
            match value {
                Some(v @ 1..=255) => Ok((vec![u8::try_from(v).expect("at most 255")], 3)),
                _ => unknown(),
            }
        }
        _ => unknown(),
    }
}

/// `specifier_printf()` knowing only `%%`; a trailing lone `%` stays, as in
/// systemd.
fn resolve_specifiers(w: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(w.len());
    let mut i = 0;
    while i < w.len() {
        if w[i] == b'%' {
            match w.get(i + 1) {
                Some(b'%') => {
                    out.push(b'%');
                    i += 2;
                    continue;
                }
                Some(&c) => {
                    return refuse(format!(
                        "specifier `%{}` needs a unit to resolve",
                        char::from(c)
                    ));
                }
                None => {}
            }
        }
        out.push(w[i]);
        i += 1;
    }
    Ok(out)
}

/// `replace_env()` with no variables known: `$$` → `$`, `${NAME}` is an
/// error, any other `$` (including an unterminated `${`) is literal.
fn replace_env(w: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(w.len());
    let mut i = 0;
    while i < w.len() {
        if w[i] == b'$' {
            match w.get(i + 1) {
                Some(b'$') => {
                    out.push(b'$');
                    i += 2;
                    continue;
                }
                Some(b'{') if w[i..].contains(&b'}') => {
                    return refuse(format!(
                        "argument `{}` uses a runtime variable",
                        String::from_utf8_lossy(w)
                    ));
                }
                _ => {}
            }
        }
        out.push(w[i]);
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_string()).collect()
    }

    /// The spec's reference table (§2.2), one argument after `/bin/x`.
    #[test]
    fn spec_reference_words() {
        let cases = [
            ("--sleep=3", "--sleep=3"),
            ("it's 100% \"fine\"", r#""it's 100%% \"fine\"""#),
            (r"C:\dir\x", r#""C:\\dir\\x""#),
            ("$HOME", "$$HOME"),
            ("a\tb", r#""a\tb""#),
            ("", r#""""#),
            (";", r#"";""#),
        ];
        for (arg, want) in cases {
            let line = exec_start(&args(&["/bin/x", arg])).unwrap();
            assert_eq!(line, format!("/bin/x {want}"), "{arg:?}");
            assert_eq!(systemd_argv(&line).unwrap(), args(&["/bin/x", arg]));
        }
    }

    #[test]
    fn executable_keeps_dollar_and_doubles_percent() {
        assert_eq!(
            exec_start(&args(&["/opt/a$b/x%y"])).unwrap(),
            "/opt/a$b/x%%y"
        );
        assert_eq!(
            exec_start(&args(&["/opt/my app"])).unwrap(),
            r#""/opt/my app""#
        );
        assert_eq!(
            systemd_argv(r#""/opt/my app" a"#).unwrap(),
            args(&["/opt/my app", "a"])
        );
    }

    #[test]
    fn executable_refusals() {
        for bad in [
            "",
            "-x",
            "@x",
            ":x",
            "+x",
            "!x",
            "|x",
            ";",
            "$X",
            "/a$$b",
            "/a${B}",
            "bin/x",
            ".",
            "..",
            "/usr/bin/",
            "/a\"b",
            "/a'b",
            "/a\\b",
            "/a\tb",
            "/a\u{7f}",
        ] {
            assert!(exec_start(&args(&[bad, "x"])).is_err(), "{bad:?}");
        }
        assert!(exec_start(&[]).is_err());
        assert!(exec_start(&args(&["/bin/x", "a\0b"])).is_err());
        assert!(exec_start(&args(&[&"x".repeat(256)])).is_err());
        assert!(exec_start(&args(&[&"x".repeat(255)])).is_ok());
    }

    #[test]
    fn control_characters_are_hex_escaped() {
        let line = exec_start(&args(&["/bin/x", "a\u{1}b\u{7f}\r\n"])).unwrap();
        assert_eq!(line, r#"/bin/x "a\x01b\x7f\r\n""#);
    }

    #[test]
    fn unicode_whitespace_is_quoted_not_escaped() {
        let line = exec_start(&args(&["/bin/x", "a\u{a0}b", "c\u{3000}"])).unwrap();
        assert_eq!(line, "/bin/x \"a\u{a0}b\" \"c\u{3000}\"");
    }

    #[test]
    fn systemd_reading_matches_systemd_252() {
        // Each expectation was observed with systemd 252's config_parse_exec()
        // + replace_env_argv() (tests/systemd_argv.rs has the probe).
        let ok = [
            (r#"/bin/x a"b c"d"#, vec!["/bin/x", "ab cd"]),
            (
                r#"/bin/x \x41 "\x41" '\x41' \s \u00e9 "\101" \a"#,
                vec!["/bin/x", "A", "A", "A", " ", "é", "A", "\u{7}"],
            ),
            (r#"/bin/x "a"b'c'"" ''"#, vec!["/bin/x", "abc", ""]),
            (r#"/bin/x \; ";" a;"#, vec!["/bin/x", ";", ";", "a;"]),
            (
                "/bin/x % 50%% c$ a$$b $$c a${ ${",
                vec!["/bin/x", "%", "50%", "c$", "a$b", "$c", "a${", "${"],
            ),
            ("/opt/a$b x", vec!["/opt/a$b", "x"]),
            ("/bin/x\ta   b", vec!["/bin/x", "a", "b"]),
        ];
        for (line, want) in ok {
            assert_eq!(systemd_argv(line).unwrap(), args(&want), "{line}");
        }
        for bad in [
            "/bin/x it's",
            r#"/bin/x "a b"#,
            r"/bin/x C:\path",
            r"/bin/x a\",
            "/bin/x a ; /bin/y",
            r#"";" x"#,
            "-/bin/x",
            "x/y z",
            "..",
            "/usr/bin/ x",
            "/bin/x $X",
            "/bin/x ${X}",
            "/bin/x $",
            "/opt/a$$b",
            "/bin/x %i",
            r#"/bin/x "\x00""#,
            "",
        ] {
            assert!(systemd_argv(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn environment_encoding() {
        assert_eq!(
            environment("GREETING", "it's 100% \"fine\" $HOME").unwrap(),
            r#""GREETING=it's 100%% \"fine\" $HOME""#
        );
        assert_eq!(
            systemd_environment(r#""A=1" "B=x y" C=z "D=%%" "E=$$" "F=a\tb" 'G=q'"#).unwrap(),
            args(&["A=1", "B=x y", "C=z", "D=%", "E=$$", "F=a\tb", "G=q"])
        );
        for bad in ["", "1A", "A-B", "A B", "é"] {
            assert!(environment(bad, "x").is_err(), "{bad:?}");
        }
        assert!(environment("A", "a\0b").is_err());
        for bad in [r#""A=\xff""#, r#""1A=x""#, r#""=x""#, "A", r"A=C:\path"] {
            assert!(systemd_environment(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_values() {
        assert_eq!(plain("/srv/my app/50%").unwrap(), "/srv/my app/50%%");
        assert_eq!(plain("it's \"$HOME\" \\x").unwrap(), "it's \"$HOME\" \\x");
        for bad in ["", "a\nb", "a\rb", "a\0b", " a", "a ", "a\t", "a\\"] {
            assert!(plain(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unit_names() {
        assert_eq!(
            unit_name("queue worker"),
            (r"queue\x20worker".to_string(), true)
        );
        assert_eq!(unit_name("a@b"), (r"a\x40b".to_string(), true));
        assert_eq!(unit_name("ünï"), (r"\xc3\xbcn\xc3\xaf".to_string(), true));
        assert_eq!(unit_name(".hidden.x"), (r"\x2ehidden.x".to_string(), true));
        assert_eq!(
            unit_name("laravel-worker:1_a.b"),
            ("laravel-worker:1_a.b".to_string(), false)
        );
        assert_eq!(unit_name(r"a\b/c"), (r"a\x5cb\x2fc".to_string(), true));
    }

    /// Runtime references: `$X` alone, `${X}` inside a word (quoted with the word when
    /// its text needs quotes); literal text encoded as `exec_start` does.
    #[test]
    fn runtime_references() {
        use Piece::{Text, Var, Words};
        let t = |s: &str| Text(s.to_string());
        let argv = vec![
            vec![t("/bin/x")],
            vec![Words("ROOT".into())],
            vec![t("--conf="), Var("ROOT".into()), t("/a.toml")],
            vec![t("--name "), Var("NAME".into()), t(" 100%")],
            vec![t("$HOME")],
            vec![t("")],
        ];
        assert_eq!(
            exec_start_with_vars(&argv).unwrap(),
            r#"/bin/x $ROOT --conf=${ROOT}/a.toml "--name ${NAME} 100%%" $$HOME """#
        );
        let plain = args(&["/bin/x", "a b", "$y", "50%"]);
        let pieces: Vec<Vec<Piece>> = plain.iter().map(|a| vec![t(a)]).collect();
        assert_eq!(
            exec_start_with_vars(&pieces).unwrap(),
            exec_start(&plain).unwrap()
        );
        assert!(exec_start_with_vars(&[vec![Var("ROOT".into()), t("/bin/x")]]).is_err());
        assert!(exec_start_with_vars(&[vec![t("/bin/x")], vec![Var("A-B".into())]]).is_err());
        assert!(
            exec_start_with_vars(&[vec![t("/bin/x")], vec![t("a"), Words("A".into())]]).is_err()
        );
    }
}
