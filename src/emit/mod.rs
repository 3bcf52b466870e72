//! Output forms of a compiled config. Emitters never report findings about the input.

pub mod fmt;
pub mod ini;
pub mod json;
pub mod plan;
pub mod systemd;
pub mod toml;
