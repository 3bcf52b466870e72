//! `svconf explain`: the documentation of diagnostic codes.

use std::fmt::Write as _;
use std::process::ExitCode;

use svconf::Error;
use svconf::diag::Code;

/// Arguments of `svconf explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// A code (`SV104`) or its name (`unknown-variable`).
    code: Option<String>,
    /// List every code with its name, severity and summary.
    #[arg(long)]
    list: bool,
}

pub(crate) fn run(args: &ExplainArgs) -> Result<ExitCode, Error> {
    if args.list || args.code.is_none() {
        let mut out = String::new();
        for c in Code::ALL {
            let i = c.info();
            let _ = writeln!(
                out,
                "{}  {:<34} {:<8} {}{}",
                i.id,
                i.name,
                i.severity,
                i.summary,
                if i.refused_by_supervisord {
                    " [supervisord refuses]"
                } else {
                    ""
                }
            );
        }
        super::print_stdout(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = args.code.as_deref().unwrap_or_default();
    let Some(code) = Code::find(text) else {
        return Err(Error::Usage(format!(
            "unknown code `{text}`; `svconf explain --list` shows them all"
        )));
    };
    let i = code.info();
    let out = format!(
        "{} {} ({})\n\n{}.\n\nsupervisord 4.3.0 {}.\n\n{}\n",
        i.id,
        i.name,
        i.severity,
        i.summary,
        if i.refused_by_supervisord {
            "refuses to start on this"
        } else {
            "accepts this"
        },
        i.docs
    );
    super::print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}
