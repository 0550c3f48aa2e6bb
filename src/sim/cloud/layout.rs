//! The output directory: created if missing, reused only if it is empty or an earlier output of
//! this writer (whose files are then replaced), refused otherwise — a typo in `--out` must never
//! overwrite someone's files.

use std::path::Path;

use crate::error::{Error, Result, io_err};

/// Every entry an output directory holds.
pub(crate) const ENTRIES: [&str; 7] =
    ["cur2", "cur2-csv", "legacy-cur", "legacy-cur-athena", "gcp", "bedrock-invocations", "truth.json"];

/// Whether `dir/truth.json` is one this writer wrote.
fn is_earlier_output(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("truth.json")) else { return false };
    let Ok(serde_json::Value::Object(truth)) = serde_json::from_str(&text) else { return false };
    ["config", "lines", "other", "totals", "plants"].iter().all(|k| truth.contains_key(*k))
}

/// Makes `dir` ready to receive a fresh output.
pub(crate) fn prepare(dir: &Path) -> Result<()> {
    let refuse = |why: &str| {
        Error::input_hint(
            format!("{}: {why}", dir.display()),
            "give --out a new or empty directory (or one an earlier fake-cloud-bills run wrote)",
        )
    };
    match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return std::fs::create_dir_all(dir).map_err(io_err(dir.display()));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory || dir.is_file() => {
            return Err(refuse("is a file, not a directory"));
        }
        Err(e) => return Err(io_err(dir.display())(e)),
        Ok(entries) => {
            let names: Vec<String> = entries
                .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<std::io::Result<_>>()
                .map_err(io_err(dir.display()))?;
            if names.is_empty() {
                return Ok(());
            }
            if let Some(stranger) = names.iter().find(|n| !ENTRIES.contains(&n.as_str())) {
                return Err(refuse(&format!("not empty and not a fake-cloud-bills output (it holds {stranger:?})")));
            }
            if !is_earlier_output(dir) {
                return Err(refuse("not empty and has no truth.json from fake-cloud-bills"));
            }
        }
    }
    for name in ENTRIES {
        let path = dir.join(name);
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        let removed = if meta.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.map_err(io_err(path.display()))?;
    }
    Ok(())
}
