//! `counterfoil.to_focus`: a reconciliation as a FOCUS frame (DESIGN §14). The core builds it
//! (`report::focus`); this converts the arguments, delegates and maps the error.

use counterfoil::report::focus::{FocusContext, FocusVersion, to_focus as core_to_focus};
use pyo3::prelude::*;

use crate::arrow::to_polars;
use crate::errors::{InputError, guarded, to_py};
use crate::reconcile::PyReconciliation;

/// One FOCUS 1.2 (or 1.3) row per reconciliation line, as a Polars frame. `cloud` is reserved
/// for cloud reconciliations (not yet available). BillingAccountId is the organization id: the
/// reconciliation's own (from a store) unless `organization_id` is given.
#[pyfunction]
#[pyo3(signature = (rec, cloud=None, version="1.2", *, organization_id=None))]
pub fn to_focus(
    py: Python<'_>,
    rec: &PyReconciliation,
    cloud: Option<&Bound<'_, PyAny>>,
    version: &str,
    organization_id: Option<&str>,
) -> PyResult<Py<PyAny>> {
    if cloud.is_some_and(|c| !c.is_none()) {
        return Err(InputError::new_err(
            "cloud= is not supported yet: Bedrock and Vertex bills cannot be reconciled in this version; pass cloud=None",
        ));
    }
    let version = FocusVersion::parse(version).map_err(to_py)?;
    let ctx = FocusContext::of(&rec.inner.provenance, organization_id).map_err(to_py)?;
    let df = py.detach(|| guarded(|| core_to_focus(&rec.inner, &ctx, version)))?;
    to_polars(py, df)
}
