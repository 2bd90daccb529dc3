//! Structured few-shot adaptation of the multi-device MLP ensemble
//! ([`crate::adapt::fit_device`]): the ensemble's log-space head
//! adaptation, a ridge in **milliseconds** over the training devices'
//! predicted ms and the operation counts, and their blend, chosen per
//! device from the K samples alone.
//!
//! * `mlp-struct`: the ridge in ms alone;
//! * `mlp-struct-blend`: the blend alone (geometric mean of head and ridge);
//! * `mlp-auto`: the head, unless the ridge or the blend has less than half
//!   its leave-one-out error in log space (the default adaptation);
//! * `mlp-auto-r1`: the same with the smallest leave-one-out error winning
//!   (the free choice the validation tasks rejected).

use super::check_samples;
use crate::adapt::{fit_device, Adaptation, FitKind, StructureLayout, StructuredConfig};
use crate::error::Result;
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use crate::methods::{MlpRidge, MlpRidgeConfig, MlpRidgeModel};
use crate::structure::{op_counts, StandardizedDesign};
use ndarray::{Array2, Axis};

/// The structured MLP methods.
#[derive(Clone, Debug)]
pub struct MlpStructured {
    pub base: MlpRidgeConfig,
    /// Method name in tables.
    pub name: &'static str,
    pub adapt: StructuredConfig,
}

impl MlpStructured {
    /// The method with the given candidate fits and switch ratio.
    pub fn new(name: &'static str, candidates: Vec<FitKind>, switch_ratio: f64) -> Self {
        MlpStructured {
            base: MlpRidgeConfig {
                adaptation: Adaptation::Head,
                ..MlpRidgeConfig::default()
            },
            name,
            adapt: StructuredConfig {
                candidates,
                switch_ratio,
                ..StructuredConfig::default()
            },
        }
    }

    /// `mlp-auto`, the default adaptation.
    pub fn auto() -> Self {
        let d = StructuredConfig::default();
        Self::new("mlp-auto", d.candidates, d.switch_ratio)
    }
}

impl FewShotMethod for MlpStructured {
    fn name(&self) -> String {
        self.name.into()
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        let mlp = MlpRidge::new(self.base.clone()).pretrain_model(ctx)?;
        let devices_ms = mlp.predict_archs(ctx.archs)?;
        let counts = op_counts(ctx.archs)?;
        let design = StandardizedDesign::new(&[devices_ms.view(), counts.view()])?;
        let structure_layout = StructureLayout {
            devices: devices_ms.ncols(),
            ops: counts.ncols(),
        };
        Ok(Box::new(MlpStructuredModel {
            mlp,
            structure_layout,
            structure: design.values.mapv(|v| v as f32),
            adapt: self.adapt.clone(),
        }))
    }
}

struct MlpStructuredModel {
    mlp: MlpRidgeModel,
    /// `[training devices' predicted ms | op counts]`, standardised.
    structure: Array2<f32>,
    structure_layout: StructureLayout,
    adapt: StructuredConfig,
}

impl PretrainedModel for MlpStructuredModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        check_samples(samples, query, self.structure.nrows())?;
        let rows: Vec<usize> = samples.iter().map(|s| s.0).collect();
        let ms: Vec<f64> = samples.iter().map(|s| s.1).collect();
        let fit = fit_device(
            self.mlp.features.select(Axis(0), &rows).view(),
            self.structure.select(Axis(0), &rows).view(),
            &ms,
            self.mlp.layout(),
            self.structure_layout,
            &self.adapt,
        )?;
        fit.predict(
            self.mlp.features.select(Axis(0), query).view(),
            self.structure.select(Axis(0), query).view(),
        )
    }
}
