//! The declared config as TOML, and the JSON Schema of that TOML format.
//!
//! The layout is the one [`crate::syntax::toml`] reads: `[supervisord]`, `[program.web]`,
//! `[group.g]`, `[section."other name"]`, … Values are typed where the declared level
//! could type them (booleans, integers, `exitcodes`/`programs`/`events` arrays, an
//! inline table for `environment`); byte sizes with a unit, modes, signals and
//! everything holding a `%(...)s` template stay strings as written. Every typed value
//! is checked to read back (TOML → INI text → declared type) to the same value; if it
//! would not, the original text is written as a string instead, so the conversion
//! never changes what supervisord sees.
//!
//! `[include]` is not written: the declared level already holds every included
//! section, so the TOML is one self-contained file.

use std::fmt::Write as _;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml_edit::{Array, InlineTable, Key, Value};

use crate::ir::declared::{Declared, DeclaredValue, Typed};
use crate::ir::keys::{KeyType, SectionKind};
use crate::lower::declare::type_value;
use crate::syntax::toml::{NAMED_KINDS, SINGLE_KINDS, VERBATIM, env_pair};

/// The declared config as a TOML document.
pub fn render(declared: &Declared) -> String {
    let mut out = String::new();
    let mut first = true;
    let mut header = |out: &mut String, path: &[&str]| {
        if !first {
            out.push('\n');
        }
        first = false;
        let keys: Vec<String> = path.iter().map(|k| Key::new(*k).to_string()).collect();
        let _ = writeln!(out, "[{}]", keys.join("."));
    };
    if !declared.defaults.is_empty() {
        header(&mut out, &["DEFAULT"]);
        for (k, v) in &declared.defaults {
            let _ = writeln!(
                out,
                "{} = {}",
                Key::new(k.as_str()),
                Value::from(v.as_str())
            );
        }
    }
    let included = declared
        .sections
        .iter()
        .any(|s| s.kind == SectionKind::Include);
    for s in &declared.sections {
        if s.kind == SectionKind::Include {
            continue;
        }
        let path = table_path(&s.section);
        header(
            &mut out,
            &path.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        for (k, v) in &s.keys {
            let _ = writeln!(out, "{} = {}", Key::new(k.as_str()), value(s.kind, v));
        }
    }
    if included {
        out.insert_str(
            0,
            "# `[include]` is not written: the included files' sections are inlined below.\n\n",
        );
    }
    out
}

/// The TOML table path of a supervisord section name.
pub fn table_path(section: &str) -> Vec<String> {
    if SINGLE_KINDS.contains(&section) {
        return vec![section.to_string()];
    }
    if let Some((kind, name)) = section.split_once(':') {
        if NAMED_KINDS.contains(&kind) {
            return vec![kind.to_string(), name.to_string()];
        }
    }
    vec![VERBATIM.to_string(), section.to_string()]
}

/// One value: typed when it reads back to the same declared value, else its text.
fn value(kind: SectionKind, v: &DeclaredValue) -> Value {
    let text = || Value::from(v.text.as_str());
    let (Some(ty), Some(typed)) = (v.ty, v.typed.as_ref()) else {
        return text();
    };
    let candidate = match (ty, typed) {
        (KeyType::Bool, Typed::Bool(b)) => Some((Value::from(*b), b.to_string())),
        (KeyType::Int, Typed::Int(i)) => Some((Value::from(*i), i.to_string())),
        // byte sizes stay readable: an integer only when written as a plain number
        (KeyType::ByteSize, Typed::Int(i)) if v.text.bytes().all(|b| b.is_ascii_digit()) => {
            Some((Value::from(*i), i.to_string()))
        }
        (KeyType::AutoRestart, Typed::Word(w)) if w == "true" || w == "false" => {
            Some((Value::from(w == "true"), w.clone()))
        }
        (KeyType::ExitCodes, Typed::Ints(codes)) => {
            let array: Array = codes.iter().copied().collect();
            let ini = codes
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            Some((Value::Array(array), ini))
        }
        (KeyType::List, Typed::Strings(names)) if kind != SectionKind::Include => {
            let array: Array = names.iter().map(String::as_str).collect();
            Some((Value::Array(array), names.join(",")))
        }
        (KeyType::Environment, Typed::Pairs(pairs)) => {
            let quoted: Option<Vec<String>> =
                pairs.iter().map(|(k, v)| env_pair(k, v).ok()).collect();
            quoted.map(|q| {
                let mut table = InlineTable::new();
                for (k, v) in pairs {
                    table.insert(k, Value::from(v.as_str()));
                }
                (Value::InlineTable(table), q.join(","))
            })
        }
        _ => None,
    };
    match candidate {
        // the INI text the TOML value stands for must type to the same value
        Some((toml, ini)) if type_value(ty, &ini).as_ref() == Some(typed) => toml,
        _ => text(),
    }
}

/// A boolean: `true`/`false`, or supervisord's text (`yes`, `%(ENV_X)s`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TomlBool {
    /// `true` / `false`.
    Bool(bool),
    /// Text as supervisord reads it.
    Text(String),
}

/// An integer, or text (`"%(ENV_N)s"`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TomlInt {
    /// The number.
    Int(i64),
    /// Text as supervisord reads it.
    Text(String),
}

/// A byte size: an integer number of bytes, or text with a unit (`"50MB"`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TomlByteSize {
    /// Bytes.
    Bytes(i64),
    /// `"50MB"`, `"1GB"`, `"%(ENV_SIZE)s"`.
    Text(String),
}

/// An octal mode: a string (`"022"`), or a TOML octal integer (`0o022`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TomlOctal {
    /// `"022"`.
    Text(String),
    /// `0o022` (decimal integers are refused).
    Int(i64),
}

/// A signal: a name (`"TERM"`) or a number.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TomlSignal {
    /// `"TERM"`, `"SIGKILL"`.
    Name(String),
    /// `15`.
    Number(i64),
}

/// Exit codes: an array of integers, or supervisord's text (`"0,2"`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TomlExitCodes {
    /// `[0, 2]`.
    Codes(Vec<i64>),
    /// Text as supervisord reads it.
    Text(String),
}

/// `autorestart`: `true`, `false` or `"unexpected"`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TomlAutoRestart {
    /// `true` / `false`.
    Bool(bool),
    /// `"unexpected"`, or text.
    Text(String),
}

/// A list of names: an array of strings, or supervisord's text (`"a,b"`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TomlList {
    /// `["a", "b"]`.
    Names(Vec<String>),
    /// Text as supervisord reads it.
    Text(String),
}

/// `environment`: an inline table of strings, or supervisord's text (`'A="1",B="2"'`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TomlEnvironment {
    /// `{ A = "1", B = "two words" }`.
    Pairs(IndexMap<String, String>),
    /// Text as supervisord reads it.
    Text(String),
}

/// Any other value: text, or an integer or boolean written as its decimal / `true` text.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TomlText {
    /// Text as supervisord reads it.
    Text(String),
    /// An integer (written as its decimal text).
    Int(i64),
    /// A boolean (written as `true` / `false`).
    Bool(bool),
}

/// The `$defs` name of the value type of `ty`.
fn def_name(ty: KeyType, kind: SectionKind) -> &'static str {
    match ty {
        KeyType::Bool => "TomlBool",
        KeyType::Int => "TomlInt",
        KeyType::ByteSize => "TomlByteSize",
        KeyType::Octal => "TomlOctal",
        KeyType::Signal => "TomlSignal",
        KeyType::ExitCodes => "TomlExitCodes",
        KeyType::AutoRestart => "TomlAutoRestart",
        KeyType::List if kind == SectionKind::Include => "TomlList",
        KeyType::List => "TomlList",
        KeyType::Environment => "TomlEnvironment",
        KeyType::LogLevel
        | KeyType::LogFile
        | KeyType::Path
        | KeyType::Command
        | KeyType::Address
        | KeyType::Text => "TomlText",
    }
}

/// Every section kind with its TOML table name and whether it holds named sections.
const LAYOUT: [(SectionKind, &str, bool); 11] = [
    (SectionKind::Supervisord, "supervisord", false),
    (SectionKind::Program, "program", true),
    (SectionKind::Group, "group", true),
    (SectionKind::Eventlistener, "eventlistener", true),
    (SectionKind::FcgiProgram, "fcgi-program", true),
    (SectionKind::UnixHttpServer, "unix_http_server", false),
    (SectionKind::InetHttpServer, "inet_http_server", false),
    (SectionKind::Supervisorctl, "supervisorctl", false),
    (SectionKind::Rpcinterface, "rpcinterface", true),
    (SectionKind::Ctlplugin, "ctlplugin", true),
    (SectionKind::Include, "include", false),
];

/// The JSON Schema of the TOML format, as committed in `schema/svconf.schema.json`.
pub fn schema() -> String {
    use serde_json::{Map, Value as J, json};
    let mut generator = schemars::SchemaGenerator::default();
    // the value types come from schemars; the section objects from `ir::keys`, so they
    // cannot drift from the keys supervisord reads
    let _ = generator.subschema_for::<TomlBool>();
    let _ = generator.subschema_for::<TomlInt>();
    let _ = generator.subschema_for::<TomlByteSize>();
    let _ = generator.subschema_for::<TomlOctal>();
    let _ = generator.subschema_for::<TomlSignal>();
    let _ = generator.subschema_for::<TomlExitCodes>();
    let _ = generator.subschema_for::<TomlAutoRestart>();
    let _ = generator.subschema_for::<TomlList>();
    let _ = generator.subschema_for::<TomlEnvironment>();
    let _ = generator.subschema_for::<TomlText>();
    let mut defs: Map<String, J> = generator
        .definitions()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let text_ref = json!({ "$ref": "#/$defs/TomlText" });
    let section = |kind: SectionKind| {
        let props: Map<String, J> = kind
            .keys()
            .iter()
            .map(|k| {
                let mut p = json!({ "$ref": format!("#/$defs/{}", def_name(k.ty, kind)) });
                if let Some(d) = k.default {
                    p["description"] = J::from(format!("default: {d}"));
                }
                (k.name.to_string(), p)
            })
            .collect();
        json!({ "type": "object", "properties": props, "additionalProperties": text_ref })
    };
    let mut props = Map::new();
    for (kind, table, named) in LAYOUT {
        let name = format!("{table}_section");
        defs.insert(name.clone(), section(kind));
        let r = json!({ "$ref": format!("#/$defs/{name}") });
        props.insert(
            table.to_string(),
            if named {
                json!({ "type": "object", "additionalProperties": r })
            } else {
                r
            },
        );
    }
    props.insert(
        "DEFAULT".into(),
        json!({ "type": "object", "description": "keys inherited by every section", "additionalProperties": text_ref }),
    );
    props.insert(
        VERBATIM.into(),
        json!({
            "type": "object",
            "description": "any other section, by its full supervisord name (`[section.\"unix_http_server2\"]`)",
            "additionalProperties": { "type": "object", "additionalProperties": text_ref }
        }),
    );
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "svconf TOML config",
        "description": "A supervisord 4.3.0 config in TOML, as svconf reads and writes it",
        "type": "object",
        "properties": props,
        "additionalProperties": false,
        "$defs": defs,
    });
    let mut out = serde_json::to_string_pretty(&root).unwrap_or_default();
    out.push('\n');
    out
}
