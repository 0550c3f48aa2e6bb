//! `counterfoil.to_focus`: a reconciliation as a FOCUS frame (DESIGN §14). The core builds it
//! (`report::focus`); this converts the arguments, delegates and maps the error.

use counterfoil::report::focus::{FocusContext, FocusVersion, to_focus as core_to_focus};
use pyo3::prelude::*;

use crate::arrow::to_polars;
use crate::cloud::PyCloudReconciliation;
use crate::errors::{InputError, guarded, to_py};
use crate::reconcile::PyReconciliation;

/// One FOCUS 1.2 (or 1.3) row per reconciliation line, as a Polars frame; `cloud` (a
/// CloudReconciliation) adds the Bedrock and Vertex lines after Anthropic's, and `rec` may be None
/// when only cloud bills are exported. BillingAccountId is the organization id: the
/// reconciliation's own (from a store) unless `organization_id` is given.
#[pyfunction]
#[pyo3(signature = (rec, cloud=None, version="1.2", *, organization_id=None))]
pub fn to_focus(
    py: Python<'_>,
    rec: Option<&PyReconciliation>,
    cloud: Option<&PyCloudReconciliation>,
    version: &str,
    organization_id: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let version = FocusVersion::parse(version).map_err(to_py)?;
    let ctx = match rec {
        Some(r) => Some(FocusContext::of(&r.inner.provenance, organization_id).map_err(to_py)?),
        None if cloud.is_none() => {
            return Err(InputError::new_err(
                "to_focus needs rec (a Reconciliation), cloud (a CloudReconciliation), or both",
            ));
        }
        None => None,
    };
    let df = py.detach(|| {
        guarded(|| {
            let anthropic = match (rec, &ctx) {
                (Some(r), Some(ctx)) => Some(core_to_focus(&r.inner, ctx, version)?),
                _ => None,
            };
            match cloud {
                Some(c) => counterfoil::report::focus::cloud::combined(anthropic, &c.inner, version),
                None => Ok(anthropic.expect("rec is given when cloud is not")),
            }
        })
    })?;
    to_polars(py, df)
}
