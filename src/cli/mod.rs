//! The `counterfoil` command (DESIGN §5): parse, run, map errors to exit codes.
//!
//! [`run`] takes the arguments and the two output streams, so the Rust tests drive it exactly as
//! the console script does. Data goes to stdout, messages to stderr as one `error:` line plus a
//! `hint:` line where one helps; an expected failure never panics or prints a backtrace.

mod analytics;
mod args;
mod cloud;
mod cloud_sim;
mod commands;
mod focus;
mod model;
mod model_args;
mod notify;
mod reconcile;
mod sync;
mod sync_args;

use std::io::{IsTerminal, Write};
use std::panic::AssertUnwindSafe;

use clap::Parser;

pub use args::{Cli, Command};

use crate::error::Error;

/// Runs the CLI with `args` (including the program name); returns the exit code.
///
/// A closed stdout (`counterfoil usage … | head`) means the reader is done: the rest of the
/// output is dropped quietly and the command ends with its own exit code. A panic, which no
/// input should be able to cause, becomes an internal error (exit 70), never exit 1.
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
    let mut out = QuietPipe { inner: stdout, closed: false };
    let mut err = ClearsProgress(stderr);
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| dispatch(cli.command, &mut out, &mut err)));
    let result = result.unwrap_or_else(|payload| Err(Error::from_panic(payload.as_ref())));
    match result {
        Ok(code) => code,
        Err(e) => {
            report(&e, &mut err);
            e.exit_code()
        }
    }
}

fn dispatch(command: Command, stdout: &mut dyn Write, stderr: &mut dyn Write) -> crate::error::Result<i32> {
    match command {
        Command::Demo(a) => commands::demo(a, stdout, stderr),
        Command::Usage(a) => commands::usage(*a, stdout, stderr),
        Command::Cost(a) => commands::cost(a, stdout, stderr),
        Command::Reconcile(a) => commands::reconcile(*a, stdout, stderr),
        Command::Focus(a) => focus::run(*a, stdout, stderr),
        Command::Cloud(a) => cloud::run(a, stdout, stderr),
        Command::Spend(a) => cloud::spend_cmd(*a, stdout, stderr),
        Command::Sync(a) => sync::run(a, stdout, stderr),
        Command::Attribute(a) => model::attribute_cmd(*a, stdout, stderr),
        Command::Cache(a) => model::cache_cmd(*a, stdout, stderr),
        Command::Whatif(a) => model::whatif_cmd(*a, stdout, stderr),
        Command::Forecast(a) => model::forecast_cmd(*a, stdout, stderr),
        Command::SpendReport(a) => model::spend_report_cmd(*a, stdout, stderr),
        Command::FakeApi(a) => commands::fake_api(a, stdout, stderr),
        Command::FakeCloudBills(a) => cloud_sim::run(a, stdout, stderr),
        Command::Rates(a) => commands::rates(*a, stdout, stderr),
        Command::ClaudeCode(a) => analytics::claude_code_cmd(*a, stdout, stderr),
        Command::Notify(a) => notify::test_cmd(a, stdout, stderr),
        Command::Fleet(_) => Err(Error::input_hint(
            "counterfoil fleet runs on Dask, from the Python package",
            "pip install 'counterfoil[dask]' and run the counterfoil command it installs",
        )),
    }
}

/// stdout that treats a closed pipe as the reader being done.
struct QuietPipe<'a> {
    inner: &'a mut dyn Write,
    closed: bool,
}

impl Write for QuietPipe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        clear_progress();
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            r => r,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r,
        }
    }
}

/// stderr that first clears any progress bar, so a message never lands on the bar's last frame.
struct ClearsProgress<'a>(&'a mut dyn Write);

impl Write for ClearsProgress<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        clear_progress();
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The progress bars drawn so far (clones share their bar): cleared before any output.
static BARS: std::sync::Mutex<Vec<indicatif::ProgressBar>> = std::sync::Mutex::new(Vec::new());

/// Erases every progress bar from the terminal (they may be drawn again if work resumes).
fn clear_progress() {
    let mut bars = BARS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for bar in bars.drain(..) {
        bar.finish_and_clear();
    }
}

/// `error: …` and `hint: …` on stderr: one line each for a job's log, wrapped on a terminal.
pub fn report(e: &Error, stderr: &mut dyn Write) {
    let (red, yellow, reset) = if color() { ("\x1b[1;31m", "\x1b[1;33m", "\x1b[0m") } else { ("", "", "") };
    let msg = e.to_string().replace('\n', " ");
    let _ = write!(stderr, "{}", fit(&format!("{red}error{reset}: "), 7, &msg));
    if let Some(h) = e.hint().filter(|h| !h.is_empty()) {
        let _ = write!(stderr, "{}", fit(&format!("{yellow}hint{reset}: "), 6, h));
    }
}

/// `prefix` + `text` as one line, or wrapped under a hanging indent of `indent` columns when
/// stderr is a terminal (the visible width of `prefix` is `indent`: colour codes take none).
pub(crate) fn fit(prefix: &str, indent: usize, text: &str) -> String {
    if !std::io::stderr().is_terminal() {
        return format!("{prefix}{text}\n");
    }
    crate::report::wrap::hanging(prefix, indent, text, crate::report::wrap::terminal_width())
}

/// `warning: …` on stderr.
pub(crate) fn warn(stderr: &mut dyn Write, message: &str) {
    let (y, reset) = if color() { ("\x1b[1;33m", "\x1b[0m") } else { ("", "") };
    let _ = writeln!(stderr, "{y}warning{reset}: {message}");
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
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} pages  {msg}") {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    BARS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(bar.clone());
    bar
}
