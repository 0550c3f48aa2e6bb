//! Hostile inputs, table-driven: arguments, credentials, rate cards and wire responses from a
//! hostile server on loopback. Each case asserts the documented exit code, one `error:` line
//! naming the cause (plus at most a `hint:`), no key in any output, and a bounded time.

mod common;

use std::time::{Duration, Instant};

use common::hostile::{Hostile, Reply, usage_page, usage_row};

const KEY: &str = "sk-ant-admin01-HOSTILESECRETKEY0123456789-wxyz";
const SECRET: &str = "HOSTILESECRET";
const D1: &str = "2026-11-01T00:00:00Z";
const D2: &str = "2026-11-02T00:00:00Z";
const D3: &str = "2026-11-03T00:00:00Z";

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn cli(args: &[&str]) -> Outcome {
    let mut argv = vec!["counterfoil"];
    argv.extend_from_slice(args);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let t = Instant::now();
    let code = counterfoil::cli::run(argv, &mut out, &mut err);
    Outcome {
        code,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
        took: t.elapsed(),
    }
}

/// The checks every failing case shares.
fn assert_refused(name: &str, o: &Outcome, code: i32, cause: &str, max: Duration) {
    assert_eq!(o.code, code, "{name}: exit code; stderr: {}", o.stderr);
    let errors: Vec<&str> = o.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{name}: exactly one error line: {}", o.stderr);
    assert!(errors[0].contains(cause), "{name}: {:?} should name {cause:?}", errors[0]);
    let others: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| !l.starts_with("error: ") && !l.starts_with("hint: ") && !l.starts_with("warning: "))
        .collect();
    assert!(others.is_empty(), "{name}: stray stderr lines {others:?}");
    assert!(!o.stdout.contains(SECRET) && !o.stderr.contains(SECRET), "{name}: the key leaked");
    assert!(o.took < max, "{name}: took {:?}", o.took);
}

fn usage_args<'a>(base: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "usage",
        "--start",
        "2026-11-01",
        "--end",
        "2026-11-03",
        "--api-key",
        KEY,
        "--base-url",
        base,
        "--max-retries",
        "1",
        "--format",
        "json",
    ];
    a.extend_from_slice(extra);
    a
}

fn two_days(rows: &str) -> String {
    usage_page(&[(D1, D2, rows), (D2, D3, rows)], false, None)
}

type Script = fn(&str, &str, usize) -> Reply;

/// Wire cases against `counterfoil usage`: (name, script, extra args, exit code, cause).
const WIRE: &[(&str, Script, &[&str], i32, &str)] = &[
    (
        "error envelope",
        |_, _, _| {
            Reply::Send(400, vec![], r#"{"type":"error","error":{"type":"invalid_request_error","message":"limit: bad"},"request_id":"req_x1"}"#.into())
        },
        &[],
        4,
        "limit: bad (request id req_x1)",
    ),
    (
        "html 502",
        |_, _, _| {
            Reply::Send(502, vec![("content-type", "text/html".into())], "<html><body>Bad Gateway</body></html>".into())
        },
        &[],
        4,
        "HTTP 502",
    ),
    (
        "truncated json",
        |_, _, _| Reply::json(r#"{"data":[{"starting_at":"2026-11-01T00:00:00Z","end"#),
        &[],
        4,
        "unexpected response",
    ),
    ("wrong shape", |_, _, _| Reply::json(r#"{"data":{"a":1},"has_more":false}"#), &[], 4, "at `data`"),
    (
        "repeating page token",
        |_, _, n| {
            Reply::json(usage_page(
                &[(if n == 0 { D1 } else { D2 }, if n == 0 { D2 } else { D3 }, "")],
                true,
                Some("page_same"),
            ))
        },
        &[],
        4,
        "repeated",
    ),
    ("empty page with has_more", |_, _, _| Reply::json(usage_page(&[], true, Some("page_x"))), &[], 4, "empty page"),
    ("count beyond u64", |_, _, _| Reply::json(two_days(&usage_row("18446744073709551616"))), &[], 4, "output_tokens"),
    ("count beyond i64", |_, _, _| Reply::json(two_days(&usage_row("9223372036854775808"))), &[], 4, "beyond Int64"),
    ("negative count", |_, _, _| Reply::json(two_days(&usage_row("-5"))), &[], 4, "output_tokens"),
    ("float count", |_, _, _| Reply::json(two_days(&usage_row("1.5"))), &[], 4, "output_tokens"),
    (
        "missing cache_creation",
        |_, _, _| {
            Reply::json(two_days(
                &usage_row("1")
                    .replace(r#""cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0},"#, ""),
            ))
        },
        &[],
        4,
        "cache_creation",
    ),
    (
        "out-of-window bucket",
        |_, _, _| Reply::json(usage_page(&[("2026-10-31T00:00:00Z", D1, ""), (D1, D2, "")], false, None)),
        &[],
        4,
        "outside the requested window",
    ),
    (
        "extra bucket",
        |_, _, _| Reply::json(usage_page(&[(D1, D2, ""), (D2, D3, ""), (D3, "2026-11-04T00:00:00Z", "")], false, None)),
        &[],
        4,
        "more buckets than the window holds",
    ),
    (
        "missing last bucket",
        |_, _, _| Reply::json(usage_page(&[(D1, D2, "")], false, None)),
        &[],
        4,
        "bucket 2026-11-02T00:00:00Z is missing",
    ),
    (
        "missing middle bucket",
        |_, _, _| {
            Reply::json(usage_page(
                &[(D1, "2026-11-01T01:00:00Z", ""), ("2026-11-01T02:00:00Z", "2026-11-01T03:00:00Z", "")],
                false,
                None,
            ))
        },
        &["--bucket-width", "1h"],
        4,
        "bucket 2026-11-01T01:00:00Z is missing",
    ),
    (
        "hourly buckets under 1d",
        |_, _, _| {
            Reply::json(usage_page(
                &[(D1, "2026-11-01T01:00:00Z", ""), ("2026-11-01T01:00:00Z", "2026-11-01T02:00:00Z", "")],
                false,
                None,
            ))
        },
        &[],
        4,
        "not one 1d bucket",
    ),
    (
        "duplicate bucket",
        |_, _, _| Reply::json(usage_page(&[(D1, D2, ""), (D1, D2, "")], false, None)),
        &[],
        4,
        "twice",
    ),
    (
        "401",
        |_, _, _| {
            Reply::Send(
                401,
                vec![],
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#.into(),
            )
        },
        &[],
        3,
        "authentication failed",
    ),
    (
        "403",
        |_, _, _| {
            Reply::Send(403, vec![], r#"{"type":"error","error":{"type":"permission_error","message":"nope"}}"#.into())
        },
        &[],
        3,
        "permission denied",
    ),
    ("stalled body", |_, _, _| Reply::StallBody(r#"{"data":["#.into()), &["--timeout", "2"], 4, "stalled"),
    ("no answer", |_, _, _| Reply::Hang, &["--timeout", "2"], 4, "stalled"),
    (
        "redirect to plain http elsewhere",
        |_, _, _| Reply::Send(302, vec![("location", "http://example.com/v1/x".into())], String::new()),
        &[],
        4,
        "redirect to http://example.com",
    ),
];

#[test]
fn hostile_wire_responses() {
    for (name, script, extra, code, cause) in WIRE {
        let server = Hostile::start("127.0.0.1", *script);
        let o = cli(&usage_args(&server.base_url, extra));
        assert_refused(name, &o, *code, cause, Duration::from_secs(10));
        assert!(o.stdout.is_empty(), "{name}: no data on a failure");
    }
}

#[test]
fn unknown_fields_and_values_are_tolerated() {
    let row = usage_row("7").replace(r#""speed":"standard""#, r#""speed":"standard","brand_new":{"x":[1]}"#);
    let row = row.replace(r#""service_tier":"standard""#, r#""service_tier":"hyperflex""#);
    let page = two_days(&row).replace(r#""has_more":false"#, r#""has_more":false,"extra":true"#);
    let server = Hostile::start("127.0.0.1", move |_, _, _| Reply::json(page.clone()));
    let o = cli(&usage_args(&server.base_url, &[]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("hyperflex"));
}

#[test]
fn a_redirect_to_another_host_is_not_followed_and_the_key_stays_home() {
    let elsewhere = Hostile::start("127.0.0.2", |_, _, _| Reply::json(two_days("")));
    let target = format!("{}/v1/organizations/usage_report/messages", elsewhere.base_url);
    let home =
        Hostile::start("127.0.0.1", move |_, _, _| Reply::Send(302, vec![("location", target.clone())], String::new()));
    let o = cli(&usage_args(&home.base_url, &[]));
    assert_refused("redirect", &o, 4, "redirect to http://127.0.0.2", Duration::from_secs(10));
    assert!(o.stderr.contains("hint: counterfoil never follows redirects"));
    assert!(elsewhere.requests().is_empty(), "the other host received a request");
    let sent = &home.requests()[0];
    assert_eq!(sent.headers.get("x-api-key").unwrap(), KEY, "the key went only to the host named");
}

#[test]
fn bad_arguments_and_credentials() {
    let cases: &[(&str, Vec<&str>, i32, &str)] = &[
        (
            "bad date",
            vec!["usage", "--start", "yesterday", "--end", "2026-11-02", "--api-key", KEY],
            2,
            "invalid --start",
        ),
        ("empty window", vec!["usage", "--start", "2026-11-02", "--end", "2026-11-01", "--api-key", KEY], 2, "empty"),
        (
            "unaligned",
            vec![
                "usage",
                "--start",
                "2026-11-01T10:30:00Z",
                "--end",
                "2026-11-02",
                "--bucket-width",
                "1h",
                "--api-key",
                KEY,
            ],
            2,
            "not aligned",
        ),
        (
            "unknown dimension",
            vec!["usage", "--start", "2026-11-01", "--end", "2026-11-02", "--group-by", "modle", "--api-key", KEY],
            2,
            "unknown usage dimension",
        ),
        (
            "plain http elsewhere",
            vec![
                "usage",
                "--start",
                "2026-11-01",
                "--end",
                "2026-11-02",
                "--api-key",
                KEY,
                "--base-url",
                "http://api.example.com",
            ],
            2,
            "refusing plain http://",
        ),
        (
            "empty key",
            vec!["usage", "--start", "2026-11-01", "--end", "2026-11-02", "--api-key", " "],
            2,
            "the API key is empty",
        ),
        (
            "key with a newline",
            vec![
                "usage",
                "--start",
                "2026-11-01",
                "--end",
                "2026-11-02",
                "--api-key",
                "sk-ant-admin01-HOSTILESECRET\nx",
            ],
            2,
            "whitespace",
        ),
        (
            "bad tolerance",
            vec!["reconcile", "--start", "2026-11-01", "--end", "2026-11-02", "--abs-tol", "lots", "--api-key", KEY],
            2,
            "invalid --abs-tol",
        ),
        (
            "negative tolerance",
            vec!["reconcile", "--start", "2026-11-01", "--end", "2026-11-02", "--abs-tol=-1", "--api-key", KEY],
            2,
            "must not be negative",
        ),
        (
            "hourly reconcile window",
            vec!["reconcile", "--start", "2026-11-01T05:00:00Z", "--end", "2026-11-02", "--api-key", KEY],
            2,
            "not aligned",
        ),
    ];
    for (name, args, code, cause) in cases {
        let o = cli(args);
        assert_refused(name, &o, *code, cause, Duration::from_secs(5));
    }
    // A zero or absurd timeout is a usage error from the argument parser (exit 2, no key).
    let o = cli(&["usage", "--start", "2026-11-01", "--end", "2026-11-02", "--api-key", KEY, "--timeout", "0"]);
    assert_eq!(o.code, 2);
    assert!(!o.stderr.contains(SECRET));
}

#[test]
fn hostile_rate_cards() {
    let dir = tempfile::tempdir().unwrap();
    let card = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("schema = \"counterfoil.ratecard/1\"\n{body}")).unwrap();
        p.display().to_string()
    };
    let model = |rate: &str| {
        format!(
            "[[model]]\nid = \"claude-x\"\nreleased = \"2026-01-01\"\n  [[model.rate]]\n  valid_from = \"2026-01-01\"\n{rate}\n"
        )
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "negative unit price",
            card(
                "a.toml",
                "[[unit_price]]\nid = \"web_search\"\ncost_type = \"web_search\"\nunit = \"request\"\nprice = \"-0.01\"\n",
            ),
            "unit price",
        ),
        (
            "absurd price",
            card("b.toml", &model("  input = \"99999999999\"\n  output = \"1\"")),
            "prices must be between 0 and 1000000",
        ),
        ("unparsable price", card("b2.toml", &model("  input = \"1e30\"\n  output = \"1\"")), "expected a Decimal"),
        ("negative price", card("c.toml", &model("  input = \"-3\"\n  output = \"15\"")), "prices must be between"),
        (
            "negative cache multiplier",
            card(
                "d.toml",
                "[default_cache_multipliers]\ncache_write_5m = \"-1.25\"\ncache_write_1h = \"2\"\ncache_read = \"0.1\"\n",
            ),
            "default_cache_multipliers.cache_write_5m",
        ),
        (
            "huge factor",
            card(
                "e.toml",
                "[[modifier]]\nid = \"batch\"\ndimension = \"service_tier\"\nvalue = \"batch\"\nfactor = \"1e20\"\n",
            ),
            "factor must be above 0",
        ),
        (
            "typo field",
            card("f.toml", &model("  input = \"3\"\n  output = \"15\"\n  cache_wirte_1h = \"6\"")),
            "cache_wirte_1h",
        ),
        ("discount above one", card("g.toml", "discount_factor = \"1.5\"\n"), "discount_factor must be in (0, 1]"),
    ];
    for (name, path, cause) in &cases {
        let o = cli(&["rates", "--check", path]);
        assert_refused(name, &o, 2, cause, Duration::from_secs(5));
        assert!(o.stderr.contains(&format!("{path}:")), "{name}: the file and line are named: {}", o.stderr);
    }
    // Unusual but allowed: a warning, exit 0.
    let odd = card("h.toml", &model("  input = \"3\"\n  cache_write_5m = \"4.2\"\n  output = \"15\""));
    let o = cli(&["rates", "--check", &odd]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("warning: ") && o.stderr.contains("cache_write_5m 4.2 is not 1.25 × input 3"),
        "{}",
        o.stderr
    );
    let said = card(
        "i.toml",
        &model("  input = \"3\"\n  cache_write_5m = \"4.2\"\n  output = \"15\"\n  exceptions = \"contract\""),
    );
    let o = cli(&["rates", "--check", &said]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "an exception that is said gives no warning");
}

/// A cost report with a cost type nobody knows: its money is its own finding, never `ok`.
#[test]
fn an_unknown_cost_type_is_unchecked_money_and_fails_the_run() {
    let server = Hostile::start("127.0.0.1", |path, _, _| {
        if path.ends_with("/messages") {
            Reply::json(usage_page(&[(D1, D2, "")], false, None))
        } else if path.ends_with("/cost_report") {
            Reply::json(format!(
                r#"{{"data":[{{"starting_at":"{D1}","ending_at":"{D2}","results":[{{"amount":"99999","currency":"USD","workspace_id":null,"description":"Carbon Offset","cost_type":"carbon_offset","model":null,"service_tier":null,"token_type":null,"context_window":null,"inference_geo":null}}]}}],"has_more":false,"next_page":null}}"#
            ))
        } else {
            Reply::json(r#"{"data":[],"has_more":false,"first_id":null,"last_id":null}"#)
        }
    });
    let o = cli(&[
        "reconcile",
        "--start",
        "2026-11-01",
        "--end",
        "2026-11-02",
        "--api-key",
        KEY,
        "--base-url",
        &server.base_url,
        "--format",
        "json",
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let doc: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(doc["summary"]["counts"]["unpriced"], 1);
    assert_eq!(doc["summary"]["unchecked_usd"], "999.99");
    assert_eq!(doc["lines"][0]["status"], "unpriced");
    assert!(doc["lines"][0]["explanation"].as_str().unwrap().contains("carbon_offset"));
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_commands_own_code() {
    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
    }
    let mut err = Vec::new();
    let code = counterfoil::cli::run(["counterfoil", "rates", "--format", "csv"], &mut Closed, &mut err);
    assert_eq!(code, 0);
    assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));
}
