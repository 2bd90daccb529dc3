//! `tests/gpu/device_checks.sh`, the script a GPU session runs, exercised
//! without a GPU: stand-in `profiler` and test binaries (shell scripts that
//! append rows the way a campaign does, resuming by device) and a stand-in
//! PyTorch reference, so what is checked is the script's own work: what it
//! asks the binaries for, its time budget, packing, and continuing an
//! earlier run. GPU time is short; a script that breaks there wastes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A campaign stand-in: `measure` appends the missing rows of its device
/// (named as the real profiler names it), `--check` writes its report,
/// `export-ir` a file; every call is logged. `SLOW_DEVICE` sleeps
/// before each row of that device, to run into a time limit.
const MOCK_PROFILER: &str = r#"#!/usr/bin/env bash
echo "profiler $*" >>"$MOCK_LOG"
cmd=$1; shift
out=""; n=2; prec=fp32; batch=1; timing=graph; dev=""; check=""; space=nb201
while [ $# -gt 0 ]; do
  case $1 in
    -o) out=$2; shift;; -s) space=$2; shift;; --random) n=$2; shift;;
    --precision) prec=$2; shift;; --batch) batch=$2; shift;;
    --timing) timing=$2; shift;; --device) dev=$2; shift;; --check) check=$2; shift;;
  esac
  shift
done
if [ "$cmd" = export-ir ]; then echo '{}' >"$out"; exit 0; fi
if [ -z "$dev" ]; then dev="h200_${prec}_b${batch}"; [ "$timing" = eager ] && dev="${dev}_eager"; fi
if [ -n "$check" ]; then printf 'run-to-run spread of the median (%s)\n| median | 0.50 %% |\n' "$dev"; echo medians >"$out"; exit 0; fi
[ -f "$out" ] || echo "space,arch,device,latency_ms" >"$out"
have=$(awk -F, -v d="$dev" '$3 == d' "$out" | wc -l)
for i in $(seq $((have + 1)) "$n"); do
  [ "$dev" = "${SLOW_DEVICE:-}" ] && sleep 1
  echo "$space,a$i,$dev,1.0" >>"$out"
done
"#;

const MOCK_TESTS: &str = r#"#!/usr/bin/env bash
echo "tests LATSCOPE_REQUIRE_GPU=${LATSCOPE_REQUIRE_GPU:-} $*" >>"$MOCK_LOG"
echo "test result: ok. 9 passed; 0 failed"
"#;

const MOCK_TORCH: &str = r#"import os, sys
with open(os.environ["MOCK_LOG"], "a") as log:
    log.write("torch " + " ".join(sys.argv[1:]) + "\n")
open(sys.argv[sys.argv.index("--out") + 1], "w").write("rows\n")
print("| architectures | Spearman rho | median latscope / median PyTorch | median per-arch ratio |")
print("|---|---|---|---|")
print("| 5 | 0.9900 | 0.900 | 0.910 |")
"#;

/// A repository-shaped folder with the real script and the stand-ins.
fn checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (path, text) in [
        ("target/release/profiler", MOCK_PROFILER),
        ("target/release/profiler-tests", MOCK_TESTS),
        ("tests/reference/torch_latency.py", MOCK_TORCH),
    ] {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, text).unwrap();
        set_executable(&file);
    }
    std::fs::create_dir_all(root.join("tests/gpu")).unwrap();
    std::fs::copy(
        repo.join("tests/gpu/device_checks.sh"),
        root.join("tests/gpu/device_checks.sh"),
    )
    .unwrap();
    dir
}

#[cfg(unix)]
fn set_executable(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs the script in `root` with `env`; returns the output folder.
fn run_script(root: &Path, name: &str, env: &[(&str, &str)]) -> PathBuf {
    let out = root.join(name);
    let run = Command::new("bash")
        .arg("tests/gpu/device_checks.sh")
        .current_dir(root)
        .env("OUT", &out)
        .env("WORK", root.join(format!("work-{name}")))
        .env("MOCK_LOG", root.join("calls.log"))
        .envs([
            ("N_TORCH", "5"),
            ("N_CHECK", "5"),
            ("N_NB201", "30"),
            ("N_OTHER", "10"),
            ("N_FBNET", "10"),
            ("N_EAGER", "5"),
        ])
        .envs(env.iter().copied())
        .output()
        .expect("bash runs");
    assert!(
        run.status.success(),
        "the script exits 0 ({}):\n{}{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    out
}

/// Rows per device in `file` inside the results tarball of `out`.
fn rows_in(out: &Path, file: &str) -> BTreeMap<String, usize> {
    let text = unpacked(out, file);
    let mut rows = BTreeMap::new();
    for line in text.lines().skip(1) {
        *rows
            .entry(line.split(',').nth(2).unwrap().to_string())
            .or_default() += 1;
    }
    rows
}

fn unpacked(out: &Path, file: &str) -> String {
    let listing = Command::new("tar")
        .args(["xzf", "gpu_results.tar.gz", "-O", &format!("./{file}")])
        .current_dir(out)
        .output()
        .unwrap();
    assert!(listing.status.success(), "{file} is in the results");
    String::from_utf8(listing.stdout).unwrap()
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|&(d, n)| (d.to_string(), n)).collect()
}

#[test]
fn one_run_does_every_check_and_campaign_and_a_second_extends_them() {
    let dir = checkout();
    let root = dir.path();
    let first = run_script(root, "out1", &[]);

    // What comes back: two files (the device tool returns at most eight).
    let mut names: Vec<String> = std::fs::read_dir(&first)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["gpu_results.tar.gz", "summary.txt"]);

    assert_eq!(
        rows_in(&first, "nb201_cuda.csv"),
        counts(&[
            ("h200_fp16_b256", 10),
            ("h200_fp16_b32", 10),
            ("h200_fp32_b1", 10),
            ("h200_fp32_b32", 30),
            ("h200_fp32_b32_eager", 5),
        ])
    );
    assert_eq!(
        rows_in(&first, "fbnet_cuda.csv"),
        counts(&[("h200_fp16_b32", 10)])
    );
    let calls = std::fs::read_to_string(root.join("calls.log")).unwrap();
    // The GPU tests one at a time, a skip made a failure.
    assert!(
        calls.contains("tests LATSCOPE_REQUIRE_GPU=1 measure::cuda::gpu_tests measure::cuda::nvrtc --test-threads=1"),
        "{calls}"
    );
    // --verify in graph mode; PyTorch timed with graphs against the graph rows.
    assert!(calls.contains("--timing graph --verify"), "{calls}");
    assert!(
        calls.contains("--timing graph --out") && calls.contains("--compare-device h200_fp32_b32"),
        "{calls}"
    );
    let summary = std::fs::read_to_string(first.join("summary.txt")).unwrap();
    for expected in [
        "== unit_tests: exit 0",
        "test result: ok. 9 passed",
        "| 5 | 0.9900 |",
        "| median | 0.50 % |",
        "h200_fp32_b32 30",
        "per minute",
    ] {
        assert!(summary.contains(expected), "{expected:?} in\n{summary}");
    }

    // A second run continues the first: longer campaigns extend the same
    // devices, finished ones add nothing, the checks run again, and the
    // comparison and spread are not repeated.
    std::fs::write(root.join("calls.log"), "").unwrap();
    let tarball = first.join("gpu_results.tar.gz");
    let second = run_script(
        root,
        "out2",
        &[("PREVIOUS", tarball.to_str().unwrap()), ("N_NB201", "50")],
    );
    let nb201 = rows_in(&second, "nb201_cuda.csv");
    assert_eq!(nb201["h200_fp32_b32"], 50);
    assert_eq!(nb201["h200_fp16_b32"], 10);
    assert_eq!(rows_in(&second, "smoke.csv").values().sum::<usize>(), 4);
    let calls = std::fs::read_to_string(root.join("calls.log")).unwrap();
    assert!(
        !calls.contains("torch ") && !calls.contains("--check"),
        "{calls}"
    );
}

#[test]
fn a_step_past_the_budget_is_stopped_and_what_it_measured_comes_back() {
    let dir = checkout();
    let root = dir.path();
    let began = Instant::now();
    // Every row of the main campaign takes a second; the budget leaves it
    // about ten (the script keeps 15 s back for packing).
    let out = run_script(
        root,
        "out",
        &[
            ("BUDGET_S", "30"),
            ("SLOW_DEVICE", "h200_fp32_b32"),
            ("N_NB201", "1000"),
        ],
    );
    assert!(
        began.elapsed() < Duration::from_secs(60),
        "{:?}",
        began.elapsed()
    );
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(summary.contains("stopped at its"), "{summary}");
    assert!(
        summary.contains("not run"),
        "later steps are not started: {summary}"
    );
    let rows = rows_in(&out, "nb201_cuda.csv")["h200_fp32_b32"];
    assert!(
        (3..1000).contains(&rows),
        "{rows} rows kept from the stopped campaign"
    );
}
