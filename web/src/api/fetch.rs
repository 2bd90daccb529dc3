//! Fetching a file's bytes from a URL, in a page or in a worker.

use super::js_error;
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

/// GETs `url` and returns the body; errors name the URL and the HTTP status.
pub(crate) async fn fetch_bytes(url: &str) -> Result<Vec<u8>, JsError> {
    let global = js_sys::global();
    let promise = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.fetch_with_str(url)
    } else if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.fetch_with_str(url)
    } else {
        return Err(js_error("fetch is only available in a page or a worker"));
    };
    let failed = |e: JsValue| js_error(format!("fetching {url}: {}", describe(&e)));
    let response: web_sys::Response = JsFuture::from(promise)
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    if !response.ok() {
        return Err(js_error(format!(
            "fetching {url}: HTTP {} {}",
            response.status(),
            response.status_text()
        )));
    }
    let body = JsFuture::from(response.array_buffer().map_err(failed)?)
        .await
        .map_err(failed)?;
    Ok(js_sys::Uint8Array::new(&body).to_vec())
}
