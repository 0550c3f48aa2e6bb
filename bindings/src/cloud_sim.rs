//! `counterfoil.simulate.cloud_bills`: the simulated Bedrock and Vertex bills written to a
//! directory, their ground truth returned as a dict (money as decimal strings, as in
//! `truth.json`).

use std::path::PathBuf;

use chrono::Timelike;
use counterfoil::sim::{CloudBills, CloudConfig};
use pyo3::prelude::*;

use crate::convert::instant;
use crate::errors::{InputError, guarded};

/// Writes the bills under `dir` (refused unless new, empty, or an earlier output) and returns
/// the truth. `end` is the first day without data (default: today, UTC).
#[pyfunction]
#[pyo3(signature = (dir, seed=7, days=14, end=None, *, plants=true))]
pub fn cloud_bills(
    py: Python<'_>,
    dir: PathBuf,
    seed: u64,
    days: u32,
    end: Option<&Bound<'_, PyAny>>,
    plants: bool,
) -> PyResult<Py<PyAny>> {
    let end = match end {
        None => chrono::Utc::now().date_naive(),
        Some(e) => {
            let t = instant(e, "end")?;
            if t.num_seconds_from_midnight() != 0 || t.nanosecond() != 0 {
                return Err(InputError::new_err(format!("end must be a UTC day, not {t}")));
            }
            t.date_naive()
        }
    };
    let config = CloudConfig::new(seed, days, end).with_plants(plants);
    let truth = py.detach(|| {
        guarded(|| {
            config.check()?;
            let bills = CloudBills::generate(config);
            bills.write_all(&dir)?;
            Ok(bills.truth_json())
        })
    })?;
    Ok(py.import("json")?.call_method1("loads", (truth,))?.unbind())
}
