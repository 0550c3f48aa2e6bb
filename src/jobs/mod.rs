//! What a command does end to end, written once for the CLI, the bindings and the fleet
//! (DESIGN §2): fetch from the Admin API, validate, reconcile. The layers below know nothing of
//! HTTP orchestration (reconcile takes frames), and the skins above only parse, print and convert.

pub mod cloud;
pub mod fetch;
