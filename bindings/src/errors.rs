//! The exception hierarchy (named like the official Anthropic SDK's) and the one mapping from
//! the core's `Error` to it.

use counterfoil::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(counterfoil, CounterfoilError, PyException, "Base class of every counterfoil error.");
create_exception!(
    counterfoil,
    APIStatusError,
    CounterfoilError,
    "The Admin API answered with an error status (after retries)."
);
create_exception!(counterfoil, AuthenticationError, APIStatusError, "401: the key was refused.");
create_exception!(
    counterfoil,
    PermissionDeniedError,
    APIStatusError,
    "403: the key may not read organization reports."
);
create_exception!(counterfoil, RateLimitError, APIStatusError, "429 after every retry.");
create_exception!(counterfoil, APIConnectionError, CounterfoilError, "The Admin API could not be reached.");
create_exception!(
    counterfoil,
    APIResponseValidationError,
    CounterfoilError,
    "The Admin API answered with data that is not what it documents."
);
create_exception!(
    counterfoil,
    RateCardError,
    CounterfoilError,
    "A rate card that cannot be used (file, line and field in the message)."
);
create_exception!(counterfoil, InputError, CounterfoilError, "Bad arguments or input data.");
create_exception!(
    counterfoil,
    NotificationError,
    CounterfoilError,
    "A notification sink did not acknowledge; the work was done, and a store sends what it missed next run."
);
create_exception!(counterfoil, StoreError, CounterfoilError, "A synced store that cannot be read or written.");
create_exception!(
    counterfoil,
    RateCardWarning,
    pyo3::exceptions::PyUserWarning,
    "A rate card that loads but breaks a usual price relation without saying so."
);

/// The core error as the matching exception, with `hint` and `exit_code` (what the CLI exits
/// with for it), and `status_code`, `error_type`, `request_id`, `message` where they apply.
pub fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    let err = match &e {
        Error::Authentication(_) => AuthenticationError::new_err(msg),
        Error::PermissionDenied(_) => PermissionDeniedError::new_err(msg),
        Error::RateLimit { .. } => RateLimitError::new_err(msg),
        Error::ApiStatus(_) => APIStatusError::new_err(msg),
        Error::ApiConnection { .. } => APIConnectionError::new_err(msg),
        Error::ApiResponse { .. } => APIResponseValidationError::new_err(msg),
        Error::RateCard { .. } => RateCardError::new_err(msg),
        Error::Input { .. } | Error::Io { .. } => InputError::new_err(msg),
        Error::Store { .. } => StoreError::new_err(msg),
        Error::Notify { .. } => NotificationError::new_err(msg),
        Error::Interrupted => pyo3::exceptions::PyKeyboardInterrupt::new_err(msg),
        Error::Frame(_) | Error::Internal(_) => CounterfoilError::new_err(msg),
    };
    Python::attach(|py| {
        let v = err.value(py);
        let _ = v.setattr("hint", e.hint());
        let _ = v.setattr("exit_code", e.exit_code());
        if let Error::Notify { acknowledged, .. } = &e {
            let _ = v.setattr("acknowledged", *acknowledged);
        }
        if let Some(f) = e.api_failure() {
            let _ = v.setattr("status_code", f.status);
            let _ = v.setattr("error_type", f.error_type.clone());
            let _ = v.setattr("request_id", f.request_id.clone());
            let _ = v.setattr("message", f.message.clone());
        }
    });
    err
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CounterfoilError", py.get_type::<CounterfoilError>())?;
    m.add("APIStatusError", py.get_type::<APIStatusError>())?;
    m.add("AuthenticationError", py.get_type::<AuthenticationError>())?;
    m.add("PermissionDeniedError", py.get_type::<PermissionDeniedError>())?;
    m.add("RateLimitError", py.get_type::<RateLimitError>())?;
    m.add("APIConnectionError", py.get_type::<APIConnectionError>())?;
    m.add("APIResponseValidationError", py.get_type::<APIResponseValidationError>())?;
    m.add("RateCardError", py.get_type::<RateCardError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("NotificationError", py.get_type::<NotificationError>())?;
    m.add("RateCardWarning", py.get_type::<RateCardWarning>())?;
    // Class defaults, so an error raised without them (by the Python layer, or a frame refused
    // at the boundary) still has `hint` and the CLI's `exit_code` for its kind.
    let defaults: [(Bound<'_, pyo3::types::PyType>, i32); 6] = [
        (py.get_type::<CounterfoilError>(), counterfoil::error::INTERNAL_EXIT),
        (py.get_type::<InputError>(), 2),
        (py.get_type::<RateCardError>(), 2),
        (py.get_type::<StoreError>(), 2),
        (py.get_type::<APIStatusError>(), 4),
        (py.get_type::<AuthenticationError>(), 3),
    ];
    for (class, code) in defaults {
        class.setattr("hint", py.None())?;
        class.setattr("exit_code", code)?;
    }
    py.get_type::<PermissionDeniedError>().setattr("exit_code", 3)?;
    py.get_type::<RateLimitError>().setattr("exit_code", 4)?;
    py.get_type::<APIConnectionError>().setattr("exit_code", 4)?;
    py.get_type::<APIResponseValidationError>().setattr("exit_code", 4)?;
    py.get_type::<NotificationError>().setattr("exit_code", 4)?;
    py.get_type::<NotificationError>().setattr("acknowledged", 0)?;
    Ok(())
}

/// Runs `f`, turning a panic (a bug: no input should cause one) into a `CounterfoilError` with a
/// bug-report hint instead of pyo3's `PanicException`, which escapes `except Exception`.
pub fn guarded<T>(f: impl FnOnce() -> counterfoil::Result<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(to_py),
        Err(payload) => Err(to_py(Error::from_panic(payload.as_ref()))),
    }
}
