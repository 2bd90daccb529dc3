//! Every few-shot method the evaluation (and the CLI) knows, by name.
//!
//! To plug a method in, add one line to its family's list (e.g.
//! `baseline_methods`; [`methods`] chains the families in table order):
//! `entry("name", "one-line description", || Box::new(MyMethod::default())),`

use crate::adapt::{FitKind, StructuredConfig};
use crate::error::{Error, Result};
use crate::fewshot::FewShotMethod;
use crate::methods::{
    Adaptation, FeaturesRidge, Flops, GnnRidge, GnnRidgeConfig, HwEmbedding, LogMeanEnsemble,
    LutAdaptConfig, MlpDirect, MlpRidge, MlpRidgeConfig, NearestDevice, OpCount, OpLutMethod,
    OpLutTransfer,
};
use crate::ridge::LooCriterion;

/// A registered method: its name, what it is, and how to make one with its
/// default settings.
pub struct MethodEntry {
    /// The method's command-line name, unique in the registry.
    pub name: &'static str,
    /// One line saying what the method does, for `--help` and listings.
    pub about: &'static str,
    /// Builds the method with its default settings.
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
    [
        baseline_methods(),
        mlp_ensemble_methods(),
        mlp_auto_alternatives(),
        cost_anchored_alternatives(),
        other_mlp_methods(),
        gnn_methods(),
        op_lut_methods(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Baselines: fitted on the target's K samples alone, or one training
/// device mapped onto the target.
fn baseline_methods() -> Vec<MethodEntry> {
    vec![
        entry(
            "flops",
            "latency = scale × MACs, scale fitted on the K samples (trivial baseline)",
            || Box::new(Flops),
        ),
        entry(
            "features-ridge",
            "ridge on the 20 cost features, fitted on the K samples only",
            || Box::new(FeaturesRidge::default()),
        ),
        entry(
            "op-count",
            "least squares in ms on how often each operation occurs, fitted on the K samples only",
            || Box::new(OpCount),
        ),
        entry(
            "nearest-device",
            "the training device that ranks the K samples best, mapped by a line in log space",
            || Box::new(NearestDevice),
        ),
    ]
}

/// The multi-device MLP ensemble with each of its adaptations, the shipped
/// default `mlp-auto` among them.
fn mlp_ensemble_methods() -> Vec<MethodEntry> {
    vec![
        entry(
            "mlp-ridge",
            "multi-device MLP ensemble; ridge (LOO λ) over its outputs and last hidden layer",
            || Box::new(MlpRidge::default()),
        ),
        entry(
            "mlp-head",
            "multi-device MLP ensemble; best-matching device head plus a ridge correction",
            || Box::new(mlp_with(Adaptation::Head)),
        ),
        entry(
            "mlp-blend",
            "mean (log space) of mlp-ridge and mlp-head",
            || Box::new(mlp_with(Adaptation::Blend)),
        ),
        entry(
            "mlp-auto",
            "the default: per device mlp-cost-blend, or another of the six fits (cost, \
             cost-residual, head, structured, their blends) when its leave-one-out log error \
             is < ½ the cost blend's",
            || Box::new(auto_with("mlp-auto", StructuredConfig::default())),
        ),
        entry(
            "mlp-struct",
            "MLP ensemble; ridge in ms over its training devices' predicted ms and the operation \
             counts (LOO λ)",
            || Box::new(auto_with("mlp-struct", only(FitKind::Structured))),
        ),
        entry(
            "mlp-struct-blend",
            "geometric mean of mlp-head and mlp-struct",
            || Box::new(auto_with("mlp-struct-blend", only(FitKind::Blend))),
        ),
    ]
}

/// `mlp-auto` before the cost fits: the blend of head and structured fit, switching to one of
/// them from 10 samples on below half the blend's leave-one-out error. The alternatives below
/// vary this rule.
fn previous_auto() -> StructuredConfig {
    StructuredConfig {
        candidates: vec![FitKind::Blend, FitKind::Head, FitKind::Structured],
        switch_ratio: 0.5,
        min_samples_to_switch: 10,
        ..StructuredConfig::default()
    }
}

/// Variants of `mlp-auto`'s switching rule, kept to validate its choice.
fn mlp_auto_alternatives() -> Vec<MethodEntry> {
    vec![
        entry(
            "mlp-auto-previous",
            "validation alternative: mlp-auto before the cost fits (the blend of mlp-head and \
             mlp-struct; from 10 samples on, one of them below ½ the blend's LOO error)",
            || Box::new(auto_with("mlp-auto-previous", previous_auto())),
        ),
        entry(
            "mlp-auto-any-k",
            "validation alternative: mlp-auto switching at any K",
            || {
                Box::new(auto_with(
                    "mlp-auto-any-k",
                    StructuredConfig {
                        min_samples_to_switch: 0,
                        ..previous_auto()
                    },
                ))
            },
        ),
        entry(
            "mlp-auto-head-first",
            "validation alternative: mlp-head by default, switching at any K below ½ its error",
            || {
                Box::new(auto_with(
                    "mlp-auto-head-first",
                    StructuredConfig {
                        candidates: vec![FitKind::Head, FitKind::Structured, FitKind::Blend],
                        min_samples_to_switch: 0,
                        ..previous_auto()
                    },
                ))
            },
        ),
        entry(
            "mlp-auto-free",
            "validation alternative: the smallest leave-one-out error wins, at any K",
            || {
                Box::new(auto_with(
                    "mlp-auto-free",
                    StructuredConfig {
                        switch_ratio: 1.0,
                        min_samples_to_switch: 0,
                        ..previous_auto()
                    },
                ))
            },
        ),
        entry(
            "mlp-auto-op-count",
            "validation alternative: mlp-auto-any-k with the op-count fit as a fourth candidate",
            || {
                Box::new(auto_with(
                    "mlp-auto-op-count",
                    StructuredConfig {
                        candidates: vec![
                            FitKind::Blend,
                            FitKind::Head,
                            FitKind::Structured,
                            FitKind::OpCount,
                        ],
                        min_samples_to_switch: 0,
                        ..previous_auto()
                    },
                ))
            },
        ),
    ]
}

/// Fits anchored on the zero-shot cost ranking (ln MACs), alone and among `mlp-auto`'s
/// candidates, kept to validate the default's choice.
fn cost_anchored_alternatives() -> Vec<MethodEntry> {
    use FitKind::{Blend, Cost, CostBlend, CostResidual, Head, Structured};
    fn all_blend_first() -> Vec<FitKind> {
        vec![Blend, Head, Structured, Cost, CostResidual, CostBlend]
    }
    vec![
        entry(
            "mlp-head-no-macs",
            "validation alternative: mlp-head without the ln MACs output (re-decides that output)",
            || {
                Box::new(MlpRidge::labelled(
                    "mlp-head-no-macs",
                    MlpRidgeConfig {
                        adaptation: Adaptation::Head,
                        flops_output: false,
                        ..MlpRidgeConfig::default()
                    },
                ))
            },
        ),
        entry(
            "mlp-cost",
            "MLP ensemble's adaptation features; a line in ln ms on ln MACs alone (ranks as flops)",
            || Box::new(auto_with("mlp-cost", only(Cost))),
        ),
        entry(
            "mlp-cost-residual",
            "the line on ln MACs plus a ridge correction on the ensemble's features (LOO λ)",
            || Box::new(auto_with("mlp-cost-residual", only(CostResidual))),
        ),
        entry(
            "mlp-cost-blend",
            "geometric mean of mlp-cost-residual and mlp-struct",
            || Box::new(auto_with("mlp-cost-blend", only(CostBlend))),
        ),
        entry(
            "mlp-auto-cost",
            "validation alternative: mlp-auto with the cost fits as candidates too",
            || {
                Box::new(auto_with(
                    "mlp-auto-cost",
                    StructuredConfig {
                        candidates: all_blend_first(),
                        ..previous_auto()
                    },
                ))
            },
        ),
        entry(
            "mlp-auto-cost-any-k",
            "validation alternative: mlp-auto-cost switching at any K",
            || {
                Box::new(auto_with(
                    "mlp-auto-cost-any-k",
                    StructuredConfig {
                        candidates: all_blend_first(),
                        min_samples_to_switch: 0,
                        ..previous_auto()
                    },
                ))
            },
        ),
        entry(
            "mlp-auto-residual-first",
            "validation alternative: mlp-cost-residual by default, switching at any K below ½ its error",
            || {
                Box::new(auto_with(
                    "mlp-auto-residual-first",
                    StructuredConfig {
                        candidates: vec![CostResidual, Head, Structured, Blend, CostBlend, Cost],
                        min_samples_to_switch: 0,
                        ..previous_auto()
                    },
                ))
            },
        ),
        entry(
            "mlp-auto-cost-blend-first",
            "validation alternative: mlp-cost-blend by default, switching from 10 samples below ½ its error",
            || {
                Box::new(auto_with(
                    "mlp-auto-cost-blend-first",
                    StructuredConfig {
                        candidates: vec![CostBlend, CostResidual, Structured, Head, Blend, Cost],
                        ..previous_auto()
                    },
                ))
            },
        ),
        entry(
            "mlp-auto-cost-guard",
            "validation alternative: mlp-auto, and the cost fit whenever its leave-one-out \
             error is below the cost blend's",
            || {
                Box::new(auto_with(
                    "mlp-auto-cost-guard",
                    StructuredConfig {
                        trusted: vec![Cost],
                        ..StructuredConfig::default()
                    },
                ))
            },
        ),
        entry(
            "mlp-auto-cost-guard-residual",
            "validation alternative: mlp-auto-cost-guard, the cost residual fit trusted too",
            || {
                Box::new(auto_with(
                    "mlp-auto-cost-guard-residual",
                    StructuredConfig {
                        trusted: vec![Cost, CostResidual],
                        ..StructuredConfig::default()
                    },
                ))
            },
        ),
        entry(
            "mlp-auto-cost-free",
            "validation alternative: the smallest leave-one-out error among all six fits wins, at any K",
            || {
                Box::new(auto_with(
                    "mlp-auto-cost-free",
                    StructuredConfig {
                        candidates: all_blend_first(),
                        switch_ratio: 1.0,
                        min_samples_to_switch: 0,
                        ..previous_auto()
                    },
                ))
            },
        ),
    ]
}

/// MLPs trained another way: one network told the device by a hardware
/// embedding, or an ensemble trained on the target's samples alone.
fn other_mlp_methods() -> Vec<MethodEntry> {
    vec![
        entry(
            "mlp-hw",
            "one MLP for all devices, input arch + hardware embedding (latencies on the \
             reference archs, HELP style); needs --sampler reference",
            || Box::new(HwEmbedding::default()),
        ),
        entry(
            "mlp-direct",
            "MLP ensemble trained on the target's K samples only (plenty-of-data protocol)",
            || Box::new(MlpDirect::default()),
        ),
    ]
}

/// The GCN ensemble on graph-v1, and its log-space mean with the MLP one.
fn gnn_methods() -> Vec<MethodEntry> {
    vec![
        entry(
            "gnn-ridge",
            "multi-device GCN ensemble on graph-v1; ridge (LOO λ) over its outputs, ln MACs and head",
            || Box::new(gnn_with(Adaptation::Ridge)),
        ),
        entry(
            "gnn-head",
            "multi-device GCN ensemble on graph-v1; best-matching device head plus a ridge correction",
            || Box::new(gnn_with(Adaptation::Head)),
        ),
        entry(
            "gnn-head-no-macs",
            "validation alternative: gnn-head without the ln MACs output (re-decides that output)",
            || {
                Box::new(GnnRidge::labelled(
                    "gnn-head-no-macs",
                    GnnRidgeConfig {
                        ln_macs: false,
                        ..GnnRidgeConfig::default()
                    },
                ))
            },
        ),
        entry(
            "ensemble",
            "mean (log space) of mlp-head and gnn-head",
            || {
                Box::new(LogMeanEnsemble::new(
                    "ensemble",
                    vec![
                        Box::new(mlp_with(Adaptation::Head)),
                        Box::new(gnn_with(Adaptation::Head)),
                    ],
                ))
            },
        ),
    ]
}

/// Operator lookup tables, fitted on the K samples or transferred from a
/// training device.
fn op_lut_methods() -> Vec<MethodEntry> {
    vec![
        entry(
            "op-lut",
            "operator lookup table (bias + Σ position×op costs, linear ms), ridge on the K samples",
            || Box::new(OpLutMethod::default()),
        ),
        entry(
            "op-lut-transfer",
            "the best-ranking training device's lookup table, rescaled per operator on the K samples",
            || Box::new(OpLutTransfer::default()),
        ),
        entry(
            "op-lut-transfer-rho",
            "op-lut-transfer with λ chosen by leave-one-out Spearman ρ (the paper chooses λ by validation ρ)",
            || {
                Box::new(OpLutTransfer {
                    adapt: LutAdaptConfig {
                        criterion: LooCriterion::Spearman,
                        ..LutAdaptConfig::default()
                    },
                })
            },
        ),
    ]
}

fn only(kind: FitKind) -> StructuredConfig {
    StructuredConfig {
        candidates: vec![kind],
        ..StructuredConfig::default()
    }
}

fn auto_with(label: &'static str, structured: StructuredConfig) -> MlpRidge {
    MlpRidge::labelled(
        label,
        MlpRidgeConfig {
            adaptation: Adaptation::Auto,
            structured,
            ..MlpRidgeConfig::default()
        },
    )
}

fn mlp_with(adaptation: Adaptation) -> MlpRidge {
    MlpRidge::new(MlpRidgeConfig {
        adaptation,
        ..MlpRidgeConfig::default()
    })
}

fn gnn_with(adaptation: Adaptation) -> GnnRidge {
    GnnRidge::new(GnnRidgeConfig {
        adaptation,
        ..GnnRidgeConfig::default()
    })
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
        .ok_or_else(|| Error::UnknownName {
            what: "method",
            name: name.to_string(),
            known: method_names().into_iter().map(String::from).collect(),
        })
}
