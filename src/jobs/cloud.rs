//! Cloud bills end to end, once for the CLI and the bindings: read the files, check the window,
//! reconcile, cross-check against invocation logs.

use std::path::PathBuf;

use crate::cloud::invocations::{self, Invocation};
use crate::cloud::{CloudBill, CloudReconciliation, reconcile_cloud};
use crate::error::{Error, Result};
use crate::rates::RateCard;
use crate::reconcile::Tolerance;
use crate::window::TimeWindow;

/// The files a cloud command reads.
#[derive(Debug, Default, Clone)]
pub struct CloudFiles {
    pub cur: Vec<PathBuf>,
    pub gcp: Vec<PathBuf>,
    pub invocations: Vec<PathBuf>,
}

impl CloudFiles {
    pub fn is_empty(&self) -> bool {
        self.cur.is_empty() && self.gcp.is_empty()
    }
}

/// Reads the bills; refuses a set of files none of whose Claude lines fall in `window` (an
/// export of another month), naming the days they cover.
pub fn read_bills(files: &CloudFiles, card: &RateCard, window: Option<&TimeWindow>) -> Result<CloudBill> {
    if files.is_empty() {
        return Err(Error::input_hint(
            "no cloud bill given",
            "pass --cur PATH (AWS CUR) and/or --gcp PATH (Google Cloud billing export)",
        ));
    }
    let bill = CloudBill::read(&files.cur, &files.gcp, card)?;
    if let Some(w) = window {
        let (start, end) = (w.start.date_naive(), w.end.date_naive());
        let inside = bill.lines.iter().filter(|l| start <= l.date && l.date < end).count();
        if inside == 0 && !bill.lines.is_empty() {
            let first = bill.lines.iter().map(|l| l.date).min().expect("non-empty");
            let last = bill.lines.iter().map(|l| l.date).max().expect("non-empty");
            return Err(Error::input_hint(
                format!(
                    "{}: no Claude line of these bills falls in {start} → {end}; they cover {first} → {last}",
                    bill.files.join(", ")
                ),
                "pass the export of the window's month, or a window inside the bills' days",
            ));
        }
    }
    Ok(bill)
}

/// Reads invocation logs from every path.
pub fn read_invocations(paths: &[PathBuf], card: &RateCard) -> Result<Vec<Invocation>> {
    let mut out = vec![];
    for p in paths {
        out.extend(invocations::read(p, card)?);
    }
    Ok(out)
}

/// `counterfoil cloud reconcile` and `cf.reconcile_cloud` from files.
pub fn reconcile_files(
    files: &CloudFiles,
    card: &RateCard,
    tolerance: Tolerance,
    window: Option<TimeWindow>,
) -> Result<CloudReconciliation> {
    let bill = read_bills(files, card, window.as_ref())?;
    let logs = if files.invocations.is_empty() { None } else { Some(read_invocations(&files.invocations, card)?) };
    reconcile_cloud(bill, card, tolerance, window, logs.as_deref())
}
