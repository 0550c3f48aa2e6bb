//! `counterfoil fake-cloud-bills`: writes what the library writes, byte for byte and run after
//! run, and never overwrites a directory that is not its own earlier output.

use std::path::Path;

use chrono::NaiveDate;
use counterfoil::cli::run;
use counterfoil::sim::{CloudBills, CloudConfig};

fn cli(args: &[&str]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["counterfoil", "fake-cloud-bills"];
    argv.extend_from_slice(args);
    let code = run(argv, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

fn write(out: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = out.to_str().unwrap();
    let mut args = vec!["--out", out, "--seed", "3", "--days", "5", "--end", "2026-11-20"];
    args.extend_from_slice(extra);
    cli(&args)
}

/// Every file under `dir` with its bytes, by relative path.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push((p.strip_prefix(root).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn the_cli_writes_the_library_truth_and_the_same_bytes_every_run() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (code, out, err) = write(a.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("7 plants") && err.contains("days 2026-11-15 to 2026-11-20"), "{err}");
    let bills = CloudBills::generate(CloudConfig::new(3, 5, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()));
    assert_eq!(std::fs::read_to_string(a.path().join("truth.json")).unwrap(), bills.truth_json());
    assert_eq!(write(b.path(), &[]).0, 0);
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert!(fa.len() > 20);
    assert!(fa == fb, "two runs wrote different files");
    // An earlier output is replaced, stale files and all.
    std::fs::write(a.path().join("gcp/stale.csv"), "old").unwrap();
    let (code, _, err) = write(a.path(), &["--no-plants"]);
    assert_eq!(code, 0, "{err}");
    assert!(!a.path().join("gcp/stale.csv").exists());
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.path().join("truth.json")).unwrap()).unwrap();
    assert_eq!(truth["plants"], serde_json::json!([]));
    assert_eq!(truth["config"]["plants"], false);
}

#[test]
fn a_directory_that_is_not_an_earlier_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let (code, _, err) = write(dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not a fake-cloud-bills output") && err.contains("notes.txt"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // Only known names, but no truth.json of ours: still refused, still untouched.
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir(other.path().join("gcp")).unwrap();
    std::fs::write(other.path().join("gcp/billing.csv"), "someone's export").unwrap();
    let (code, _, err) = write(other.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read_to_string(other.path().join("gcp/billing.csv")).unwrap(), "someone's export");
    // A file where the directory should be.
    let (code, _, err) = write(&dir.path().join("notes.txt"), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a directory"), "{err}");
}

#[test]
fn bad_arguments_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("new");
    let (code, _, err) = cli(&["--out", target.to_str().unwrap(), "--end", "2026-13-01"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid --end"), "{err}");
    let (code, _, err) = cli(&["--out", target.to_str().unwrap(), "--end", "2026-07-30"]);
    assert_eq!(code, 2);
    assert!(err.contains("before every simulated model was on sale"), "{err}");
    let (code, _, _) = cli(&["--out", target.to_str().unwrap(), "--days", "0"]);
    assert_eq!(code, 2);
    assert!(!target.exists());
}
