//! Numbers at the edge of what counterfoil can represent: a response the API sent that cannot be
//! held exactly is the response's problem (exit 4, `APIResponseValidationError`), an argument the
//! user typed is theirs (exit 2); neither ever wraps or rounds.

mod common;

use common::hostile::{Hostile, Reply, usage_page, usage_row};

const KEY: &str = "sk-ant-admin01-LIMITSKEY0123456789-wxyz";
const D1: &str = "2026-11-01T00:00:00Z";
const D2: &str = "2026-11-02T00:00:00Z";

fn cli(args: &[&str]) -> (i32, String) {
    let mut argv = vec!["counterfoil"];
    argv.extend_from_slice(args);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = counterfoil::cli::run(argv, &mut out, &mut err);
    (code, String::from_utf8_lossy(&err).into_owned())
}

/// One error line naming `cause`, and the exit code.
fn assert_error(name: &str, (code, err): (i32, String), want: i32, cause: &str) {
    assert_eq!(code, want, "{name}: {err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{name}: {err}");
    assert!(errors[0].contains(cause), "{name}: {:?} should name {cause:?}", errors[0]);
}

fn cost_page(amount_cents: &str) -> String {
    let line = format!(
        r#"{{"amount":"{amount_cents}","currency":"USD","workspace_id":null,"description":"Claude Sonnet 4.6 Usage - Output Tokens","cost_type":"tokens","model":"claude-sonnet-4-6","service_tier":"standard","token_type":"output_tokens","context_window":"0-200k","inference_geo":"global"}}"#
    );
    usage_page(&[(D1, D2, &line)], false, None)
}

/// A server whose usage, cost and workspace answers are given.
fn server(usage: String, cost: String) -> Hostile {
    Hostile::start("127.0.0.1", move |path, _, _| {
        if path.contains("cost_report") {
            Reply::json(cost.clone())
        } else if path.contains("usage_report") {
            Reply::json(usage.clone())
        } else {
            Reply::json(r#"{"data":[],"has_more":false,"first_id":null,"last_id":null}"#)
        }
    })
}

fn args<'a>(cmd: &'a str, base: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![cmd, "--start", "2026-11-01", "--end", "2026-11-02", "--api-key", KEY, "--base-url", base];
    a.extend_from_slice(extra);
    a.extend_from_slice(&["--max-retries", "0"]);
    a
}

#[test]
fn what_the_api_sent_and_cannot_be_held_exactly_is_exit_4() {
    let one_row = usage_page(&[(D1, D2, &usage_row("7"))], false, None);
    // 0.0000000000001 cents is 10⁻¹⁵ USD: three places more than Decimal(38, 12) holds.
    let s = server(one_row.clone(), cost_page("0.0000000000001"));
    assert_error("tiny amount, cost", cli(&args("cost", &s.base_url, &[])), 4, "unexpected response from cost_report");
    assert_error("tiny amount, reconcile", cli(&args("reconcile", &s.base_url, &[])), 4, "more than 12 decimal places");
    // Each count fits Int64; their sum for the day does not.
    let big = usage_row("6000000000000000000");
    let two = format!("{big},{}", big.replace(r#""api_key_id":null"#, r#""api_key_id":"apikey_x""#));
    let s = server(usage_page(&[(D1, D2, &two)], false, None), cost_page("100"));
    assert_error(
        "a day beyond Int64",
        cli(&args("reconcile", &s.base_url, &[])),
        4,
        "unexpected response from usage_report/messages and cost_report",
    );
}

#[test]
fn a_number_the_user_typed_that_does_not_fit_is_exit_2_naming_it() {
    let s = server(usage_page(&[(D1, D2, &usage_row("7"))], false, None), cost_page("100"));
    let huge = "100000000000000000000000000000";
    assert_error("huge --abs-tol", cli(&args("reconcile", &s.base_url, &["--abs-tol", huge])), 2, huge);
    let max = "79228162514264337593543950335"; // rust_decimal's largest value: once wrapped negative
    let o = cli(&["forecast", "--budget", max, "--api-key", KEY, "--base-url", &s.base_url]);
    assert_error("huge --budget", o, 2, &format!("amount {max} USD is beyond the 26 integer digits"));
}
