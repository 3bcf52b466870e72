//! The config as written: one entry per section, after merging, before expansion.
//!
//! This is the level a formatter, a converter to another syntax or an editor works
//! on: nothing is expanded or defaulted, so `%(ENV_X)s` stays as written. Each
//! value is typed when it can be typed without expansion (`numprocs = 8` is the
//! integer 8); a value that contains a `%(...)` template, or that does not parse as
//! its type, keeps its text.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;

use super::keys::{KeyType, SectionKind};

/// All sections, in supervisord's section order (first appearance).
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct Declared {
    /// The sections.
    pub sections: Vec<DeclaredSection>,
    /// `[DEFAULT]` keys, inherited by every section.
    pub defaults: IndexMap<String, String>,
}

/// One section as written.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct DeclaredSection {
    /// The full section name (`program:web`).
    pub section: String,
    /// What supervisord takes it for.
    pub kind: SectionKind,
    /// The part after `:`, if any.
    pub name: Option<String>,
    /// The file that introduced it.
    pub file: String,
    /// Its keys (the last definition of each), in first-definition order.
    pub keys: IndexMap<String, DeclaredValue>,
}

/// One value as written.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct DeclaredValue {
    /// The text (with `%(here)s` rewritten as supervisord rewrites it).
    pub text: String,
    /// The type supervisord gives the key (`None` for a key it does not read).
    pub ty: Option<KeyType>,
    /// The typed value, when the text can be typed without expansion.
    pub typed: Option<Typed>,
}

/// A typed value.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Typed {
    /// A boolean.
    Bool(bool),
    /// An integer (also byte sizes in bytes, octal modes, signal numbers).
    Int(i64),
    /// A list of integers (exit codes).
    Ints(Vec<i64>),
    /// A list of names.
    Strings(Vec<String>),
    /// Key/value pairs (`environment`).
    Pairs(IndexMap<String, String>),
    /// A word (`unexpected`, a log level, `AUTO`).
    Word(String),
}
