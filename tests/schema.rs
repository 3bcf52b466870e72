//! The committed JSON Schema must match the code (ruff's generated-file check).

#[test]
fn committed_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/resolved.schema.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let current = svconf::emit::json::schema();
    assert!(
        committed == current,
        "schema/resolved.schema.json is stale: run `cargo run -- schema --resolved > schema/resolved.schema.json`"
    );
}

#[test]
fn resolved_document_validates_against_its_schema_shape() {
    // every top-level key of a resolved document is a property of the schema
    let schema: serde_json::Value = serde_json::from_str(&svconf::emit::json::schema()).unwrap();
    let props = schema["properties"].as_object().unwrap();
    for key in [
        "supervisord",
        "groups",
        "http_servers",
        "serverurl",
        "rpcinterfaces",
        "supervisorctl",
        "included_files",
        "warnings",
    ] {
        assert!(props.contains_key(key), "schema lacks `{key}`");
    }
}

#[test]
fn readme_lists_every_code() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for code in svconf::diag::Code::ALL {
        let info = code.info();
        let row = format!("| {} | {} |", info.id, info.name);
        assert!(readme.contains(&row), "README's code table lacks `{row}`");
    }
}
