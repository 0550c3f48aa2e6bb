//! `counterfoil sync`: one incremental sync of a store, or `--watch` until a signal.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::args::{SummaryFormat, SyncArgs};
use super::commands::client;
use crate::error::{Error, Result, io_err};
use crate::runtime::runtime;
use crate::store::{Store, SyncOptions};

/// `90s`, `15m`, `1h`, `2h30m`… as a duration.
pub(crate) fn parse_interval(s: &str) -> Result<Duration> {
    let bad = || Error::input_hint(format!("invalid --interval {s:?}"), "use e.g. 1h, 15m or 90s");
    let mut total = 0u64;
    let mut num = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
    }
    if !num.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

pub fn run(a: SyncArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32> {
    // Where alerts go is checked before any work.
    let sinks = crate::notify::spec::parse_all(&a.notify)?;
    let cfg = super::notify::delivery(a.notify_timeout);
    let store = a.store.clone();
    watch(a, &sinks, &cfg, stdout, stderr)
        .map_err(|e| super::notify::job_failed("sync", &sinks, &cfg, Some(&store), None, e, stderr))
}

fn watch(
    a: SyncArgs,
    sinks: &[crate::notify::Sink],
    cfg: &crate::notify::DeliveryConfig,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32> {
    let interval = parse_interval(&a.interval)?;
    let store = Store::create_or_open(&a.store)?;
    let client = client(&a.connection, "sync")?;
    let options =
        SyncOptions { backfill_days: a.backfill_days, restate_days: a.restate_days, settle_hours: a.settle_hours };
    let stop = Arc::new(AtomicBool::new(false));
    let rt = runtime()?;
    {
        // SIGINT and SIGTERM finish the current day, then stop.
        let stop = stop.clone();
        rt.spawn(async move {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let sigterm = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = sigterm => {}
            }
            stop.store(true, Ordering::SeqCst);
        });
    }
    loop {
        let summary = match rt.block_on(store.sync(&client, &options, &stop)) {
            Ok(s) => s,
            Err(e) if a.watch && survives(&e) => {
                // One line, the store as it was, and the next run at the next interval.
                let at = crate::window::fmt_rfc3339(super::commands::now()?);
                match a.format {
                    SummaryFormat::Json => {
                        let doc = serde_json::json!({"error": e.to_string(), "exit_code": e.exit_code(), "at": at});
                        writeln!(stdout, "{doc}").map_err(io_err("<stdout>"))?;
                        stdout.flush().map_err(io_err("<stdout>"))?;
                    }
                    SummaryFormat::Table => {
                        let line =
                            format!("sync failed at {at} (exit {}): {e}; next run at the next interval", e.exit_code());
                        super::warn(stderr, &line);
                    }
                }
                // A watcher that keeps failing says so each time (PagerDuty folds them into one
                // incident: the dedup key is the job's).
                let e = super::notify::job_failed("sync", sinks, cfg, Some(&a.store), None, e, stderr);
                drop(e);
                if wait_or_stop(rt, interval, &stop) {
                    return Ok(0);
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Some(pid) = summary.took_over_lock_from {
            super::warn(stderr, &format!("took over a stale lock left by pid {pid}, which is no longer running"));
        }
        match a.format {
            SummaryFormat::Json => {
                let mut doc = summary.to_json();
                doc["store"] = a.store.display().to_string().into();
                writeln!(stdout, "{doc}").map_err(io_err("<stdout>"))?;
            }
            SummaryFormat::Table => {
                writeln!(stdout, "synced {}: {}", a.store.display(), summary.line()).map_err(io_err("<stdout>"))?;
            }
        }
        stdout.flush().map_err(io_err("<stdout>"))?;
        if let Some(path) = a.metrics_file.as_deref() {
            let org = store.state()?.organization.map(|o| o.id);
            let who = crate::notify::metrics::Who::new(org.as_deref(), "sync", None);
            crate::notify::metrics::Metrics::sync(summary.restated, &who, super::commands::now()?).write(path)?;
        }
        if !a.watch || stop.load(Ordering::SeqCst) {
            return Ok(0);
        }
        if wait_or_stop(rt, interval, &stop) {
            return Ok(0);
        }
    }
}

/// Whether a watcher keeps going after `e`: a transient failure of the API or the network (exit
/// 4) does; the store or the lock (2), refused credentials (3), an interrupt or a bug do not.
fn survives(e: &Error) -> bool {
    e.exit_code() == 4
}

/// Sleeps about `interval` (±10%, so that many jobs on one schedule do not hit the API in the same
/// second); true if a signal asked to stop meanwhile.
fn wait_or_stop(rt: &tokio::runtime::Runtime, interval: Duration, stop: &AtomicBool) -> bool {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let jitter = 0.9 + f64::from(nanos % 1000) / 5000.0;
    let wait = interval.mul_f64(jitter);
    rt.block_on(async {
        let deadline = tokio::time::Instant::now() + wait;
        while tokio::time::Instant::now() < deadline {
            if stop.load(Ordering::SeqCst) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_interval("2h30m").unwrap(), Duration::from_secs(9000));
        assert_eq!(parse_interval("90s").unwrap(), Duration::from_secs(90));
        for bad in ["", "0s", "1x", "h", "10"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }
}
