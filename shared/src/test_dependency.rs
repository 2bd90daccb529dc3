//! What a test does when something outside Rust that it needs is missing (Python with onnx
//! and onnxruntime, NVIDIA's NVRTC, a C++ compiler): on a developer's machine it may say so and
//! skip, but under `make test` and CI, which install every such dependency and set
//! [`REQUIRE_VAR`], a missing one is a broken set-up and the test fails naming it. A skip that
//! passes there would hide exactly that.

/// The environment variable that turns a skip for a missing dependency into a failure.
pub const REQUIRE_VAR: &str = "LATSCOPE_REQUIRE_DEPS";

/// Whether [`REQUIRE_VAR`] is set (to anything but empty or `0`).
pub fn dependencies_required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A test that cannot run because `why`: prints that it skipped, or panics naming `why` when
/// [`dependencies_required`].
pub fn skip_or_fail(why: &str) {
    assert!(
        !dependencies_required(),
        "{REQUIRE_VAR} is set (make test, CI) but a test dependency is missing: {why}"
    );
    eprintln!("skipped: {why}");
}
