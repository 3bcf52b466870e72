//! The resolved config as JSON, in the oracle's document shape (spec §0).

use crate::ir::Resolved;

/// The oracle's format version this document follows.
pub const ORACLE_VERSION: u32 = 1;

/// Pretty JSON of the resolved config, with the oracle's version keys.
pub fn render(resolved: &Resolved) -> String {
    let mut value = serde_json::to_value(resolved).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("oracle_version".into(), ORACLE_VERSION.into());
        map.insert("supervisor_version".into(), "4.3.0".into());
    }
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}

/// The JSON Schema of [`Resolved`], as committed in `schema/resolved.schema.json`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Resolved);
    let mut out = serde_json::to_string_pretty(&schema).unwrap_or_default();
    out.push('\n');
    out
}

/// Pretty JSON of the declared level.
pub fn render_declared(declared: &crate::ir::declared::Declared) -> String {
    let mut out = serde_json::to_string_pretty(declared).unwrap_or_default();
    out.push('\n');
    out
}
