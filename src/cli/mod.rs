//! The `counterfoil` command (DESIGN §5): parse, run, map errors to exit codes.
//!
//! [`run`] takes the arguments and the two output streams, so the Rust tests drive it exactly as
//! the console script does. Data goes to stdout, messages to stderr as one `error:` line plus a
//! `hint:` line where one helps; an expected failure never panics or prints a backtrace.

mod args;
mod commands;
pub mod output;
mod reconcile;

use std::io::{IsTerminal, Write};

use clap::Parser;

pub use args::{Cli, Command, Format};

use crate::error::Error;

/// Runs the CLI with `args` (including the program name); returns the exit code.
pub fn run<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let text = e.render();
            let text = if color() { text.ansi().to_string() } else { text.to_string() };
            let _ = if e.use_stderr() { write!(stderr, "{text}") } else { write!(stdout, "{text}") };
            return code;
        }
    };
    let result = match cli.command {
        Command::Demo(a) => commands::demo(a, stdout, stderr),
        Command::Usage(a) => commands::usage(*a, stdout, stderr),
        Command::Cost(a) => commands::cost(a, stdout, stderr),
        Command::Reconcile(a) => commands::reconcile(*a, stdout, stderr),
        Command::FakeApi(a) => commands::fake_api(a, stdout, stderr),
        Command::Rates(a) => commands::rates(a, stdout),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report(&e, stderr);
            e.exit_code()
        }
    }
}

/// `error: …` and `hint: …` on stderr.
pub fn report(e: &Error, stderr: &mut dyn Write) {
    let (red, yellow, reset) = if color() { ("\x1b[1;31m", "\x1b[1;33m", "\x1b[0m") } else { ("", "", "") };
    let msg = e.to_string().replace('\n', " ");
    let _ = writeln!(stderr, "{red}error{reset}: {msg}");
    if let Some(h) = e.hint() {
        let _ = writeln!(stderr, "{yellow}hint{reset}: {h}");
    }
}

/// Colour only on a terminal, and never with `NO_COLOR` set.
fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// A progress bar on stderr when it is a terminal; hidden otherwise.
pub(crate) fn progress_bar(what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} pages") {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar
}
