//! Running ONNX models on the CPU with tract: the `cpu` backend that latency
//! measurement times.
//!
//! [`ArchRunner::new`] does the expensive work once (decode, fix the input
//! shape for one batch size, type, optimise, plan); [`ArchRunner::run`] and
//! friends can then be called as often as a timing loop needs. For timing
//! without per-call input conversion, [`ArchRunner::load_input`] once and
//! call [`ArchRunner::run_loaded`].
//!
//! Threads: tract's matrix products run on one thread unless given an
//! executor. [`RunnerOptions::threads`] `Some(n)` gives the plan a private
//! `n`-thread rayon pool (tract-linalg's `multithread-mm`, enabled by this
//! crate). Only matrix products (convolutions, `Gemm`) are parallelised.

use super::error::{Error, Result};
use super::{pb::ModelProto, random_input};
use latscope_model::error::TractFailure;
use std::collections::HashSet;
use tract_onnx::pb::tensor_shape_proto::dimension;
use tract_onnx::pb::type_proto;
use tract_onnx::prelude::*;

/// How to build a runner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunnerOptions {
    /// Threads for tract's matrix products: `None` keeps tract's default
    /// (single-threaded), `Some(1)` forces one thread, `Some(n)` uses a
    /// private pool of `n` threads.
    pub threads: Option<usize>,
}

/// The first output of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutput {
    /// The output's shape as tract computed it, e.g. `[batch, classes]`.
    pub shape: Vec<usize>,
    /// The output's values in row-major order (`shape`'s product of them).
    pub values: Vec<f32>,
}

/// A loaded, optimised tract plan for one batch size, ready to run repeatedly.
pub struct ArchRunner {
    plan: Arc<TypedRunnableModel>,
    state: TypedSimpleState,
    input_shape: [usize; 4],
    output_shape: Vec<usize>,
    loaded: Option<TValue>,
}

impl std::fmt::Debug for ArchRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchRunner")
            .field("input_shape", &self.input_shape)
            .field("output_shape", &self.output_shape)
            .field("nodes", &self.plan.model().nodes().len())
            .finish()
    }
}

impl ArchRunner {
    /// Loads ONNX bytes for `batch` samples with default options.
    pub fn new(onnx: &[u8], batch: usize) -> Result<Self> {
        Self::with_options(onnx, batch, &RunnerOptions::default())
    }

    /// Loads ONNX bytes (one float32 `[N, C, H, W]` input) for `batch` samples.
    pub fn with_options(onnx: &[u8], batch: usize, opts: &RunnerOptions) -> Result<Self> {
        let proto: ModelProto = prost::Message::decode(onnx).map_err(|e| {
            Error::InvalidModel(format!(
                "the bytes do not decode as an ONNX ModelProto: {e}"
            ))
        })?;
        Self::from_proto(&proto, batch, opts)
    }

    /// Loads a decoded ONNX model for `batch` samples.
    pub fn from_proto(proto: &ModelProto, batch: usize, opts: &RunnerOptions) -> Result<Self> {
        if batch == 0 {
            return Err(Error::Zero { what: "batch size" });
        }
        let (declared_batch, [c, h, w]) = image_input_dims(proto)?;
        if let Some(fixed) = declared_batch {
            if fixed != batch {
                return Err(Error::FixedBatch { fixed, batch });
            }
        }
        let input_shape = [batch, c, h, w];
        // The declared output shape may use the symbolic batch; with the
        // input fixed, tract infers the concrete one itself.
        let model = tract_onnx::onnx()
            .with_ignore_output_shapes(true)
            .model_for_proto_model(proto)
            .map_err(TractFailure::during("translating the ONNX graph"))?
            .with_input_fact(0, InferenceFact::dt_shape(f32::datum_type(), input_shape))
            .map_err(TractFailure::during("setting the input shape"))?;
        let typed = model
            .into_optimized()
            .map_err(TractFailure::during(format!(
                "typing and optimising the model for batch {batch}"
            )))?;
        let output_shape = typed
            .output_fact(0)
            .map_err(TractFailure::during("reading the output fact"))?
            .shape
            .as_concrete()
            .map(<[usize]>::to_vec)
            .ok_or_else(|| {
                Error::InvalidModel(
                    "the output shape is not fully determined by the input shape".into(),
                )
            })?;
        let plan = typed
            .into_runnable_with_options(&run_options(opts)?)
            .map_err(TractFailure::during("planning the model"))?;
        let state = plan
            .spawn()
            .map_err(TractFailure::during("creating the run state"))?;
        Ok(ArchRunner {
            plan,
            state,
            input_shape,
            output_shape,
            loaded: None,
        })
    }

    /// `[batch, C, H, W]` of the input.
    pub fn input_shape(&self) -> [usize; 4] {
        self.input_shape
    }

    /// Number of floats an input must have.
    pub fn input_len(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Shape of the (first) output, e.g. `[batch, classes]`.
    pub fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }

    /// Number of nodes in the optimised plan (after tract's fusions).
    pub fn plan_nodes(&self) -> usize {
        self.plan.model().nodes().len()
    }

    /// A deterministic input for `seed`: approximately standard-normal values.
    pub fn random_input(&self, seed: u64) -> Vec<f32> {
        random_input(seed, self.input_len())
    }

    fn tensor(&self, input: &[f32]) -> Result<TValue> {
        if input.len() != self.input_len() {
            return Err(Error::InputLength {
                expected: self.input_len(),
                shape: self.input_shape,
                got: input.len(),
            });
        }
        let tensor = Tensor::from_shape(&self.input_shape, input)
            .map_err(TractFailure::during("building the input tensor"))?;
        Ok(tensor.into_tvalue())
    }

    fn run_value(&mut self, input: TValue) -> Result<TVec<TValue>> {
        self.state
            .run(tvec![input])
            .map_err(TractFailure::during("running the model"))
            .map_err(Error::from)
    }

    /// Runs on `input` (row-major `[batch, C, H, W]`) and returns the first output.
    pub fn run(&mut self, input: &[f32]) -> Result<RunOutput> {
        let value = self.tensor(input)?;
        let outputs = self.run_value(value)?;
        first_output(&outputs)
    }

    /// Runs on [`ArchRunner::random_input`]`(seed)`.
    pub fn run_random(&mut self, seed: u64) -> Result<RunOutput> {
        let input = self.random_input(seed);
        self.run(&input)
    }

    /// Converts `input` to a tensor once, for [`ArchRunner::run_loaded`].
    pub fn load_input(&mut self, input: &[f32]) -> Result<()> {
        self.loaded = Some(self.tensor(input)?);
        Ok(())
    }

    /// Runs on the input given to [`ArchRunner::load_input`] (or a seed-0
    /// random input if none was loaded), discarding the outputs: the call a
    /// timing loop repeats.
    pub fn run_loaded(&mut self) -> Result<()> {
        let value = match &self.loaded {
            Some(v) => v.clone(),
            None => {
                let v = self.tensor(&self.random_input(0))?;
                self.loaded = Some(v.clone());
                v
            }
        };
        self.run_value(value).map(drop)
    }
}

fn first_output(outputs: &[TValue]) -> Result<RunOutput> {
    let out = outputs
        .first()
        .ok_or_else(|| Error::InvalidModel("the model produced no output".into()))?;
    let view = out
        .to_plain_array_view::<f32>()
        .map_err(TractFailure::during("reading the output as float32"))?;
    Ok(RunOutput {
        shape: view.shape().to_vec(),
        values: view.iter().copied().collect(),
    })
}

fn run_options(opts: &RunnerOptions) -> Result<RunOptions> {
    use tract_onnx::prelude::multithread::Executor;
    let mut options = RunOptions::default();
    match opts.threads {
        None => {}
        Some(0) => {
            return Err(Error::Zero {
                what: "thread count",
            })
        }
        Some(1) => options.executor = Some(Executor::SingleThread),
        Some(n) => options.executor = Some(Executor::multithread(n)),
    }
    Ok(options)
}

/// The batch (`None` when symbolic) and `[C, H, W]` of the model's first
/// non-initializer input.
fn image_input_dims(proto: &ModelProto) -> Result<(Option<usize>, [usize; 3])> {
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let initializers: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let input = graph
        .input
        .iter()
        .find(|i| !initializers.contains(i.name.as_str()))
        .ok_or_else(|| Error::InvalidModel("the graph has no input".into()))?;
    let bad = |why: &str| Error::InvalidModel(format!("input {:?}: {why}", input.name));
    let Some(type_proto::Value::TensorType(tensor)) =
        input.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Err(bad("not a tensor"));
    };
    let dims = &tensor
        .shape
        .as_ref()
        .ok_or_else(|| bad("no declared shape"))?
        .dim;
    if dims.len() != 4 {
        return Err(bad(&format!(
            "expected rank 4 [N, C, H, W], got rank {}",
            dims.len()
        )));
    }
    let mut out = [None; 4];
    for (slot, d) in out.iter_mut().zip(dims) {
        *slot = match d.value {
            Some(dimension::Value::DimValue(v)) if v > 0 => Some(v as usize),
            _ => None,
        };
    }
    match out {
        [batch, Some(c), Some(h), Some(w)] => Ok((batch, [c, h, w])),
        _ => Err(bad("C, H and W must be fixed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runner_can_move_to_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<ArchRunner>();
    }

    #[test]
    fn garbage_bytes_are_an_invalid_model() {
        let err = ArchRunner::new(&[0xff, 0xff, 0xff], 1).unwrap_err();
        assert!(matches!(err, Error::InvalidModel(_)), "{err}");
    }

    #[test]
    fn zero_threads_and_zero_batch_are_rejected() {
        let opts = RunnerOptions { threads: Some(0) };
        assert!(run_options(&opts).is_err());
        let err = ArchRunner::from_proto(&ModelProto::default(), 0, &RunnerOptions::default())
            .unwrap_err();
        assert!(err.to_string().contains("batch"), "{err}");
    }
}
