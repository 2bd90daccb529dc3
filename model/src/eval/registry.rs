//! Every few-shot method the evaluation (and the CLI) knows, by name.
//!
//! To plug a method in, add one line to [`methods`]:
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
            "the default: per device mlp-head, unless the ridge in ms over the training devices' \
             predicted ms and the operation counts, or its blend with the head, has < ½ the \
             head's leave-one-out log error",
            || Box::new(auto_with("mlp-auto", &AUTO_FITS, 0.5)),
        ),
        entry(
            "mlp-struct",
            "mlp-auto's ridge in ms alone (training devices' predicted ms + operation counts, LOO λ)",
            || Box::new(auto_with("mlp-struct", &[FitKind::Structured], 1.0)),
        ),
        entry(
            "mlp-struct-blend",
            "geometric mean of mlp-head and mlp-struct",
            || Box::new(auto_with("mlp-struct-blend", &[FitKind::Blend], 1.0)),
        ),
        entry(
            "mlp-auto-r1",
            "mlp-auto with the smallest leave-one-out error winning outright (validation alternative)",
            || Box::new(auto_with("mlp-auto-r1", &AUTO_FITS, 1.0)),
        ),
        entry(
            "mlp-auto-r0.25",
            "mlp-auto switching only below ¼ of the head's leave-one-out error (validation alternative)",
            || Box::new(auto_with("mlp-auto-r0.25", &AUTO_FITS, 0.25)),
        ),
        entry(
            "mlp-auto-bf",
            "mlp-auto with the blend as the default fit (validation alternative)",
            || {
                Box::new(auto_with(
                    "mlp-auto-bf",
                    &[FitKind::Blend, FitKind::Head, FitKind::Structured],
                    0.5,
                ))
            },
        ),
        entry(
            "mlp-auto-oc",
            "mlp-auto with the op-count fit as a fourth candidate (validation alternative)",
            || {
                Box::new(auto_with(
                    "mlp-auto-oc",
                    &[FitKind::Head, FitKind::Structured, FitKind::Blend, FitKind::OpCount],
                    0.5,
                ))
            },
        ),
        entry(
            "mlp-auto-2",
            "mlp-auto choosing between mlp-head and mlp-struct only (validation alternative)",
            || Box::new(auto_with("mlp-auto-2", &[FitKind::Head, FitKind::Structured], 0.5)),
        ),
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

/// The fits `mlp-auto` chooses from, the default first.
const AUTO_FITS: [FitKind; 3] = [FitKind::Head, FitKind::Structured, FitKind::Blend];

fn auto_with(label: &'static str, candidates: &[FitKind], switch_ratio: f64) -> MlpRidge {
    MlpRidge::labelled(
        label,
        MlpRidgeConfig {
            adaptation: Adaptation::Auto,
            structured: StructuredConfig {
                candidates: candidates.to_vec(),
                switch_ratio,
                ..StructuredConfig::default()
            },
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
        .ok_or_else(|| {
            Error::Eval(format!(
                "unknown method {name:?} (known: {})",
                method_names().join(", ")
            ))
        })
}
