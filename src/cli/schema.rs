//! `svconf schema`: the JSON Schema of the resolved document.

use std::process::ExitCode;

use svconf::Error;

pub(crate) fn run() -> Result<ExitCode, Error> {
    super::print_stdout(&svconf::emit::json::schema())?;
    Ok(ExitCode::SUCCESS)
}
