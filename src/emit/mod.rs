//! Output forms of a compiled config. Emitters never report findings about the input.

pub mod json;
