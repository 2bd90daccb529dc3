//! Every few-shot method the evaluation (and the CLI) knows, by name.
//!
//! To plug a method in, add one line to [`methods`]:
//! `entry("name", "one-line description", || Box::new(MyMethod::default())),`

use crate::adapt::FitKind;
use crate::error::{Error, Result};
use crate::fewshot::FewShotMethod;
use crate::methods::{
    Adaptation, FeaturesRidge, Flops, GnnRidge, GnnRidgeConfig, HwEmbedding, LogMeanEnsemble,
    LutAdaptConfig, MlpDirect, MlpRidge, MlpRidgeConfig, MlpStructured, NearestDevice, OpCount,
    OpLutMethod, OpLutTransfer,
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
            "mlp-struct",
            "MLP ensemble; ridge in ms over its training-device predictions and the operation counts (LOO λ)",
            || Box::new(MlpStructured::new("mlp-struct", vec![FitKind::Structured], 1.0)),
        ),
        entry(
            "mlp-struct-blend",
            "geometric mean of mlp-head and mlp-struct",
            || Box::new(MlpStructured::new("mlp-struct-blend", vec![FitKind::Blend], 1.0)),
        ),
        entry(
            "mlp-auto",
            "the default: mlp-head, unless mlp-struct or the blend has < ½ its leave-one-out log error",
            || Box::new(MlpStructured::auto()),
        ),
        entry(
            "mlp-auto-r1",
            "mlp-auto with the smallest leave-one-out error winning outright",
            || Box::new(MlpStructured::new("mlp-auto-r1", vec![FitKind::Head, FitKind::Structured, FitKind::Blend], 1.0)),
        ),
        entry(
            "mlp-auto-r0.25",
            "mlp-auto switching only below ¼ of the head's leave-one-out log error",
            || Box::new(MlpStructured::new("mlp-auto-r0.25", vec![FitKind::Head, FitKind::Structured, FitKind::Blend], 0.25)),
        ),
        entry(
            "mlp-auto-oc",
            "mlp-auto with the op-count fit as a fourth candidate",
            || Box::new(MlpStructured::new("mlp-auto-oc", vec![FitKind::Head, FitKind::Structured, FitKind::Blend, FitKind::OpCount], 0.5)),
        ),
        entry(
            "mlp-auto-2",
            "mlp-auto choosing between mlp-head and mlp-struct only (no blend)",
            || Box::new(MlpStructured::new("mlp-auto-2", vec![FitKind::Head, FitKind::Structured], 0.5)),
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
