//! Fetching a file's bytes from a URL, in a page or in a worker.

use crate::error::{Error, Result};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Text of a thrown JS value (an `Error`'s message, or its string form).
fn describe(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// GETs `url` and returns the body; [`Error::Fetch`] names the URL and the
/// HTTP status or the browser's reason.
pub(crate) async fn fetch_bytes(url: &str) -> Result<Vec<u8>> {
    let global = js_sys::global();
    let promise = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.fetch_with_str(url)
    } else if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.fetch_with_str(url)
    } else {
        return Err(Error::NoFetch);
    };
    let failed = |e: JsValue| Error::Fetch {
        url: url.to_string(),
        reason: describe(&e),
    };
    let response: web_sys::Response = JsFuture::from(promise)
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    if !response.ok() {
        return Err(Error::Fetch {
            url: url.to_string(),
            reason: format!("HTTP {} {}", response.status(), response.status_text()),
        });
    }
    let body = JsFuture::from(response.array_buffer().map_err(failed)?)
        .await
        .map_err(failed)?;
    Ok(js_sys::Uint8Array::new(&body).to_vec())
}
