//! The layers of DESIGN §2 only look down: api → frames → rates → pricing → reconcile →
//! model/report/store/cloud/notify → jobs → cli. This reads the core's sources and fails on any
//! `crate::…` path that reaches up, so a tie like "the API client builds frames" cannot come back
//! unnoticed (the README's architecture drawing is this table).

use std::path::{Path, PathBuf};

/// (layer, the layers it must not name).
const RULES: &[(&str, &[&str])] = &[
    (
        "api",
        &[
            "frames",
            "rates",
            "pricing",
            "reconcile",
            "model",
            "report",
            "store",
            "cloud",
            "notify",
            "jobs",
            "cli",
            "sim",
        ],
    ),
    ("frames", &["pricing", "reconcile", "model", "report", "store", "cloud", "notify", "jobs", "cli", "sim"]),
    ("rates", &["pricing", "reconcile", "model", "report", "store", "cloud", "notify", "jobs", "cli", "sim"]),
    ("pricing", &["reconcile", "model", "report", "store", "cloud", "notify", "jobs", "cli", "sim"]),
    ("reconcile", &["api", "model", "report", "store", "cloud", "notify", "jobs", "cli"]),
    ("model", &["report", "store", "cloud", "notify", "jobs", "cli"]),
    ("store", &["report", "notify", "jobs", "cli"]),
    ("report", &["store", "notify", "jobs", "cli"]),
    ("cloud", &["report", "store", "notify", "jobs", "cli"]),
    ("notify", &["jobs", "cli"]),
    ("jobs", &["cli"]),
];

/// The `.rs` files of a layer: `src/<layer>/**` and `src/<layer>.rs`.
fn files(layer: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    if src.join(layer).is_dir() {
        walk(&src.join(layer), &mut out);
    }
    if src.join(format!("{layer}.rs")).is_file() {
        out.push(src.join(format!("{layer}.rs")));
    }
    out
}

/// The lines of `text` (comments aside) that name `crate::<layer>` as a whole path segment.
fn uses(text: &str, layer: &str) -> Vec<String> {
    let needle = format!("crate::{layer}");
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .filter(|l| {
            l.match_indices(&needle).any(|(i, _)| {
                let next = l[i + needle.len()..].chars().next();
                !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .map(|l| l.trim().to_owned())
        .collect()
}

#[test]
fn no_layer_names_one_above_it() {
    let mut ups = Vec::new();
    for (layer, above) in RULES {
        for file in files(layer) {
            let text = std::fs::read_to_string(&file).unwrap();
            for up in *above {
                for line in uses(&text, up) {
                    ups.push(format!("{} uses {up}: {line}", file.display()));
                }
            }
        }
    }
    assert!(ups.is_empty(), "imports against the layers (DESIGN §2):\n{}", ups.join("\n"));
}

#[test]
fn the_checker_sees_a_path_and_only_a_whole_segment() {
    assert_eq!(uses("use crate::frames::usage_frame;", "frames"), ["use crate::frames::usage_frame;"]);
    assert_eq!(uses("let x = crate::frames_extra::y;", "frames").len(), 0, "another module's name");
    assert_eq!(uses("// see crate::frames", "frames").len(), 0, "a comment");
    assert!(files("api").iter().any(|f| f.ends_with("client.rs")), "the layer's files are read");
}
