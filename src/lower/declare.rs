//! The declared level of the IR: the merged sections typed as written.

use indexmap::IndexMap;

use crate::include::Tree;
use crate::ir::declared::{Declared, DeclaredSection, DeclaredValue, Typed};
use crate::ir::keys::{KeyType, SectionKind};
use crate::source::SourceMap;

use super::convert;

/// Types every section of `tree` without expanding anything.
pub fn declare(tree: &Tree, sources: &SourceMap) -> Declared {
    let sections = tree
        .sections
        .values()
        .map(|s| {
            let kind = SectionKind::of(&s.name);
            let keys = s
                .values
                .iter()
                .map(|(key, v)| {
                    let ty = kind.key(key).map(|spec| spec.ty);
                    let typed = ty.and_then(|t| type_value(t, &v.text));
                    (
                        key.to_string(),
                        DeclaredValue {
                            text: v.text.to_string(),
                            ty,
                            typed,
                        },
                    )
                })
                .collect();
            DeclaredSection {
                section: s.name.clone(),
                kind,
                name: s.name.split_once(':').map(|(_, n)| n.to_string()),
                file: sources.file(s.file).path.display().to_string(),
                keys,
            }
        })
        .collect();
    let defaults = tree
        .defaults
        .iter()
        .map(|(k, v)| (k.to_string(), v.text.to_string()))
        .collect();
    Declared { sections, defaults }
}

/// The typed form of `text`, or `None` when it needs expansion or does not parse.
pub fn type_value(ty: KeyType, text: &str) -> Option<Typed> {
    if text.contains('%') {
        return None;
    }
    match ty {
        KeyType::Bool => convert::boolean(text).ok().map(Typed::Bool),
        KeyType::Int => convert::integer(text).ok().map(Typed::Int),
        KeyType::ByteSize => convert::byte_size(text).ok().map(Typed::Int),
        KeyType::Octal => convert::octal_type(text).ok().map(Typed::Int),
        KeyType::Signal => convert::signal_number(text)
            .ok()
            .map(|n| Typed::Int(i64::from(n))),
        KeyType::ExitCodes => convert::list_of_exitcodes(text).ok().map(Typed::Ints),
        KeyType::AutoRestart => convert::auto_restart(text).ok().map(|a| {
            Typed::Word(
                match a {
                    convert::AutoRestart::True => "true",
                    convert::AutoRestart::False => "false",
                    convert::AutoRestart::Unexpected => "unexpected",
                }
                .to_string(),
            )
        }),
        KeyType::LogLevel => convert::logging_level(text)
            .ok()
            .map(|l| Typed::Word(l.to_string())),
        KeyType::Environment => convert::dict_of_key_value_pairs(text)
            .ok()
            .map(|pairs| Typed::Pairs(pairs.into_iter().collect::<IndexMap<_, _>>())),
        KeyType::List => Some(Typed::Strings(convert::list_of_strings(text))),
        KeyType::LogFile => Some(Typed::Word(match convert::logfile_name(text) {
            convert::LogFile::Auto => "AUTO".to_string(),
            convert::LogFile::None => "NONE".to_string(),
            convert::LogFile::Syslog => "syslog".to_string(),
            convert::LogFile::Path(p) => p,
        })),
        KeyType::Text | KeyType::Path | KeyType::Command | KeyType::Address => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_plain_values_and_keeps_templates() {
        assert_eq!(type_value(KeyType::Int, "8"), Some(Typed::Int(8)));
        assert_eq!(type_value(KeyType::Int, "%(ENV_N)s"), None);
        assert_eq!(
            type_value(KeyType::ByteSize, "1MB"),
            Some(Typed::Int(1_048_576))
        );
        assert_eq!(type_value(KeyType::Bool, "maybe"), None);
        assert_eq!(
            type_value(KeyType::ExitCodes, "0, 2"),
            Some(Typed::Ints(vec![0, 2]))
        );
        assert_eq!(type_value(KeyType::Signal, "term"), Some(Typed::Int(15)));
    }
}
