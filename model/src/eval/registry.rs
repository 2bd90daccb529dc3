//! Every few-shot method the evaluation (and the CLI) knows, by name.
//!
//! To plug a method in, add one line to [`methods`]:
//! `entry("name", "one-line description", || Box::new(MyMethod::default())),`

use super::baselines::FlopsBaseline;
use crate::error::{Error, Result};
use crate::fewshot::FewShotMethod;

/// A registered method: its name, what it is, and how to make one with its
/// default settings.
pub struct MethodEntry {
    pub name: &'static str,
    pub about: &'static str,
    pub make: fn() -> Box<dyn FewShotMethod>,
}

fn entry(
    name: &'static str,
    about: &'static str,
    make: fn() -> Box<dyn FewShotMethod>,
) -> MethodEntry {
    MethodEntry { name, about, make }
}

/// The registry, in the order tables print.
pub fn methods() -> Vec<MethodEntry> {
    vec![
        entry(
            "flops",
            "latency = scale × FLOPs, scale fitted on the K samples (trivial baseline)",
            || Box::new(FlopsBaseline),
        ),
        // One line per method, e.g.:
        // entry("mlp-ridge", "...", || Box::new(crate::methods::MlpRidge::default())),
    ]
}

/// Names of the registered methods.
pub fn method_names() -> Vec<&'static str> {
    methods().iter().map(|m| m.name).collect()
}

/// Makes the registered method called `name`.
pub fn make_method(name: &str) -> Result<Box<dyn FewShotMethod>> {
    methods()
        .into_iter()
        .find(|m| m.name == name)
        .map(|m| (m.make)())
        .ok_or_else(|| {
            Error::Eval(format!(
                "unknown method {name:?} (known: {})",
                method_names().join(", ")
            ))
        })
}
