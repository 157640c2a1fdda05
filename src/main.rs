use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory as _, Parser as _};

fn main() -> ExitCode {
    let cli = match sqscan::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    match sqscan::cli::run(cli) {
        Ok(code) => code,
        // `sqscan … | head`: the reader has what it wanted.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let message = format!("{error:#}").replace('\n', " ");
            eprintln!("sqscan: error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Help and version print as clap writes them; a usage error becomes one
/// line and exit code 2.
fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            eprintln!("sqscan: error: {}", missing_command(&std::env::args().collect::<Vec<_>>()));
            ExitCode::from(2)
        }
        _ => {
            // Every line of clap's message up to its usage, on one line:
            // the first alone drops what is missing or what to try.
            let rendered = error.render().to_string();
            let message: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty())
                .collect();
            let message = message.join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            eprintln!("sqscan: error: {message} (see `sqscan --help`)");
            ExitCode::from(2)
        }
    }
}

/// `sqscan` or `sqscan rules` alone: which commands there are.
fn missing_command(args: &[String]) -> String {
    let mut command = sqscan::cli::Cli::command();
    let mut path = vec!["sqscan".to_string()];
    for arg in args.iter().skip(1) {
        let Some(sub) = command.find_subcommand(arg).cloned() else { break };
        path.push(arg.clone());
        command = sub;
    }
    let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).filter(|n| *n != "help").collect();
    let path = path.join(" ");
    format!("`{path}` needs a command: {} (see `{path} --help`)", names.join(", "))
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}
