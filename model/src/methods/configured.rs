//! The one pattern of the pretrained methods (`mlp-*`, `gnn-*`, `mlp-hw`):
//! a configuration that names itself and pretrains its model, and one
//! generic [`Configured`] method around it that the registry lists. Before,
//! each method repeated the same struct, constructor, `pretrain_model` and
//! `FewShotMethod` impl.

use crate::error::Result;
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};

/// A method's configuration: what it is called in tables and how it
/// pretrains its model on a task's training devices.
pub trait MethodConfig: Clone + std::fmt::Debug {
    /// The pretrained model (adaptable to a new device).
    type Model: PretrainedModel + 'static;
    /// Short name for tables, e.g. `mlp-auto`.
    fn method_name(&self) -> String;
    /// Pretrains on the training devices of `ctx`.
    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Self::Model>;
}

/// A few-shot method given by its configuration.
#[derive(Clone, Debug, Default)]
pub struct Configured<C> {
    /// How the method pretrains and adapts.
    pub config: C,
    /// The name in tables, when not the configuration's own (variants the
    /// evaluation compares).
    pub label: Option<&'static str>,
}

impl<C: MethodConfig> Configured<C> {
    /// The method with `config`, named by it.
    pub fn new(config: C) -> Self {
        Configured {
            config,
            label: None,
        }
    }

    /// A named variant (for the evaluation's tables).
    pub fn labelled(label: &'static str, config: C) -> Self {
        Configured {
            config,
            label: Some(label),
        }
    }

    /// Pretrains and returns the concrete model (for export, batch
    /// prediction and inspection); [`FewShotMethod::pretrain`] boxes this.
    pub fn pretrain_model(&self, ctx: &PretrainContext<'_>) -> Result<C::Model> {
        self.config.pretrain(ctx)
    }
}

impl<C: MethodConfig> FewShotMethod for Configured<C> {
    fn name(&self) -> String {
        match self.label {
            Some(label) => label.into(),
            None => self.config.method_name(),
        }
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        Ok(Box::new(self.pretrain_model(ctx)?))
    }
}
