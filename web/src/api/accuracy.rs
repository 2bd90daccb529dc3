//! `AccuracyData`: NAS-Bench-201's test accuracies, the quality score of
//! the page's Pareto views and budget answers.

use super::fetch::fetch_bytes;
use crate::error::{Error, Result};
use latscope_shared::dataset::{read_accuracy, AccuracyDataset, AccuracyTable};
use wasm_bindgen::prelude::*;

/// Test accuracy (percent) of every NAS-Bench-201 cell on CIFAR-10,
/// CIFAR-100 and ImageNet16-120 (`new AccuracyData(bytes, name)` or
/// `await AccuracyData.fromUrl(url)`; plain or gzip CSV as shipped in
/// `data/nb201_accuracy.csv.gz`). FBNet has no accuracy data.
#[wasm_bindgen(js_name = AccuracyData)]
pub struct JsAccuracy {
    table: AccuracyTable,
}

impl JsAccuracy {
    /// The table read.
    pub fn table(&self) -> &AccuracyTable {
        &self.table
    }
}

/// Parses a dataset name of the accuracy file (`unsupported` otherwise).
pub(crate) fn accuracy_dataset(name: &str) -> Result<AccuracyDataset> {
    Ok(name.parse()?)
}

#[wasm_bindgen(js_class = AccuracyData)]
impl JsAccuracy {
    /// Reads the file's bytes; `name` appears in errors. Throws
    /// `invalid-dataset` naming file, line, field and value.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], name: &str) -> Result<JsAccuracy> {
        Ok(JsAccuracy {
            table: read_accuracy(bytes, name).map_err(Error::AccuracyFile)?,
        })
    }

    /// Fetches and reads an accuracy file (`fetch` or `invalid-dataset`).
    #[wasm_bindgen(js_name = fromUrl)]
    pub async fn from_url(url: String) -> Result<JsAccuracy> {
        let bytes = fetch_bytes(&url).await?;
        JsAccuracy::new(&bytes, &url)
    }

    /// The datasets it has accuracy on: `cifar10`, `cifar100`, `imagenet16-120`.
    #[wasm_bindgen(getter)]
    pub fn datasets(&self) -> Vec<String> {
        AccuracyDataset::ALL.map(|d| d.name().to_string()).to_vec()
    }

    /// Accuracy (percent) of each architecture string on `dataset`, `NaN`
    /// for one the file has no accuracy for (any FBNet network). Throws
    /// `invalid-architecture` for a string that does not parse as NB201.
    pub fn lookup(&self, archs: Vec<String>, dataset: &str) -> Result<Vec<f64>> {
        let dataset = accuracy_dataset(dataset)?;
        let space = self.table.space();
        archs
            .iter()
            .map(|a| {
                let arch = space.parse_arch(a)?;
                Ok(self.table.get(&arch, dataset).unwrap_or(f64::NAN))
            })
            .collect()
    }
}
