//! The CLI as the console script runs it: formats, exit codes, one-line errors, no key echoed.

mod common;

use std::sync::OnceLock;

use counterfoil::cli::run;
use counterfoil::sim::{FakeAdminApi, Faults};

fn api() -> &'static FakeAdminApi {
    static API: OnceLock<FakeAdminApi> = OnceLock::new();
    API.get_or_init(|| FakeAdminApi::start_blocking(common::org(5, 6), Faults::default(), 0).unwrap())
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["counterfoil"];
    argv.extend_from_slice(args);
    let code = run(argv, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

fn fetch(cmd: &str, extra: &[&str]) -> (i32, String, String) {
    let (base, key) = (api().base_url(), api().api_key().to_owned());
    let mut args = vec![cmd, "--start", "2026-11-14", "--end", "2026-11-20", "--base-url", &base, "--api-key", &key];
    args.extend_from_slice(extra);
    cli(&args)
}

#[test]
fn usage_table_shows_the_default_workspace() {
    let (code, out, err) = fetch("usage", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Default"));
    assert!(out.contains("uncached_input_tokens"));
    assert!(!out.contains(&api().api_key()));
}

#[test]
fn cost_json_has_money_as_decimal_strings() {
    let (code, out, err) = fetch("cost", &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(!rows.is_empty());
    for r in &rows {
        let amount = r["amount_usd"].as_str().expect("a string, never a float");
        assert!(amount.parse::<rust_decimal::Decimal>().is_ok());
        assert!(r["bucket_start"].as_str().unwrap().ends_with("T00:00:00Z"));
    }
    assert!(rows.iter().any(|r| r["workspace_id"].is_null()), "the default workspace is JSON null");
}

#[test]
fn csv_and_parquet_round_trip() {
    let (code, out, _) =
        fetch("usage", &["--format", "csv", "--bucket-width", "1h", "--group-by", "model,service_tier"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("bucket_start,bucket_end,workspace_id"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cost.parquet");
    let (code, out, err) = fetch("cost", &["--format", "parquet", "--out", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    use polars_io::SerReader;
    let df = polars_io::parquet::read::ParquetReader::new(std::fs::File::open(&path).unwrap()).finish().unwrap();
    assert_eq!(df.column("amount_usd").unwrap().dtype(), &polars::prelude::DataType::Decimal(38, 12));
    assert!(df.height() > 10);
}

#[test]
fn bad_input_is_exit_2_with_one_line() {
    for args in [
        vec!["usage", "--start", "yesterday", "--end", "2026-11-20"],
        vec!["usage", "--start", "2026-11-20", "--end", "2026-11-10"],
        vec!["usage", "--start", "2026-11-10", "--end", "2026-11-20", "--bucket-width", "5m"],
        vec!["usage", "--start", "2026-11-10", "--end", "2026-11-20", "--group-by", "colour"],
        vec![
            "usage",
            "--start",
            "2026-11-10",
            "--end",
            "2026-11-20",
            "--base-url",
            "http://example.com",
            "--api-key",
            "k",
        ],
        vec!["usage", "--nonsense"],
    ] {
        let (code, out, err) = cli(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(err.starts_with("error"), "{err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"));
    }
    let (_, _, err) = cli(&["usage", "--start", "yesterday", "--end", "2026-11-20"]);
    assert_eq!(err.lines().count(), 2, "one error line and one hint: {err}");
    assert!(err.lines().nth(1).unwrap().starts_with("hint: "));
}

#[test]
fn refused_key_is_exit_3_and_unreachable_is_exit_4() {
    let regular = api().organization().regular_key.clone();
    let base = api().base_url();
    let (code, _, err) =
        cli(&["usage", "--start", "2026-11-14", "--end", "2026-11-15", "--base-url", &base, "--api-key", &regular]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("hint: this looks like a regular API key"));
    assert!(!err.contains(&regular[14..]), "the key is never echoed");
    let (code, _, err) = cli(&[
        "cost",
        "--start",
        "2026-11-14",
        "--end",
        "2026-11-15",
        "--base-url",
        "http://127.0.0.1:1",
        "--api-key",
        "sk-ant-admin01-zzz",
        "--max-retries",
        "0",
    ]);
    assert_eq!(code, 4, "{err}");
    assert!(err.starts_with("error: could not reach"));
}

#[test]
fn rates_shows_and_checks_cards() {
    let (code, out, _) = cli(&["rates", "--format", "csv"]);
    assert_eq!(code, 0);
    assert!(out.contains("claude-sonnet-5-5"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "schema = \"counterfoil.ratecard/1\"\n[[model]]\nid = \"claude-x\"\nreleased = \"2026-01-01\"\n  [[model.rate]]\n  valid_from = \"2026-01-01\"\n  input = \"1\"\n  output = \"5\"\n  cache_wirte_1h = \"2\"\n").unwrap();
    let (code, _, err) = cli(&["rates", "--check", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.toml:"), "{err}");
    assert!(err.contains("cache_wirte_1h"), "{err}");
}

#[test]
fn reconcile_exit_codes_and_no_key_echo() {
    let base = api().base_url();
    let key = api().api_key().to_owned();
    let regular = api().organization().regular_key.clone();
    let window = ["--start", "2026-11-14", "--end", "2026-11-20"];
    let run_with = |extra: &[&str]| {
        let mut args = vec!["reconcile"];
        args.extend_from_slice(&window);
        args.extend_from_slice(extra);
        cli(&args)
    };
    let (code, out, err) = run_with(&["--base-url", &base, "--api-key", &key]);
    assert_eq!(code, 0, "a clean organization: {err}");
    assert!(out.contains("no discrepancies"), "{out}");
    let (code, _, err) = run_with(&["--base-url", &base, "--api-key", &key, "--abs-tol", "lots"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run_with(&["--base-url", &base, "--api-key", &key, "--store", "/tmp/nowhere"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run_with(&["--base-url", &base, "--api-key", &key, "--rates", "/nonexistent.toml"]);
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = run_with(&["--base-url", &base, "--api-key", &regular]);
    assert_eq!(code, 3, "{err}");
    assert!(!out.contains(&regular[14..]) && !err.contains(&regular[14..]));
    let (code, _, err) = run_with(&["--base-url", "http://127.0.0.1:1", "--api-key", &key, "--max-retries", "0"]);
    assert_eq!(code, 4, "{err}");
    assert!(!err.contains(&key[15..]));
    let (code, out, _) = run_with(&["--base-url", &base, "--api-key", &key, "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(doc["summary"]["expected_usd"].is_string(), "money as decimal strings, never floats");
    assert!(
        doc["lines"].as_array().unwrap().iter().all(|l| l["expected_usd"].is_string() || l["expected_usd"].is_null())
    );
}

/// Every flag of every command says what it does.
#[test]
fn every_flag_has_help() {
    use clap::CommandFactory;
    let cmd = counterfoil::cli::Cli::command();
    for sub in cmd.get_subcommands() {
        for arg in sub.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            assert!(!help.trim().is_empty(), "counterfoil {} --{id} has no help", sub.get_name());
            assert!(!help.contains("default: none"), "{id}: {help}");
        }
    }
}
