//! `profiler measure`: campaigns that append, resume, shard and check.

mod common;

use common::{long_rows, profiler, stderr_of_failure, stdout_of};
use std::path::Path;

/// `measure ARGS… -o OUT`, with `args` split at white space.
fn measure_to<'a>(out: &'a Path, args: &'a str) -> Vec<&'a str> {
    let mut all = vec!["measure"];
    all.extend(args.split_whitespace());
    all.extend(["-o", out.to_str().unwrap()]);
    all
}

#[test]
fn measure_appends_resumes_and_shards_merge_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cpu.csv");
    let out_s = out.to_str().unwrap();
    let common = ["--warmup", "1", "--runs", "3", "--quiet"];
    let run = |extra: &[&str]| {
        let mut args = vec!["measure", "-s", "nb201"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&common);
        profiler(&args)
    };
    assert!(run(&["--random", "3", "--seed", "4", "-o", out_s])
        .status
        .success());
    let first = long_rows(&out);
    assert_eq!(first.len(), 3);
    for r in &first {
        assert_eq!(r.device, "cpu_fp32_b1");
        assert_eq!((r.batch, r.runs.is_some()), (Some(1), true));
        assert!(r.latency_ms > 0.0 && r.p10_ms.unwrap() <= r.p90_ms.unwrap());
    }
    // Extending the campaign keeps the 3 rows and adds 2.
    let again = run(&["--random", "5", "--seed", "4", "-o", out_s]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("2 measured, 3 already there"));
    let second = long_rows(&out);
    assert_eq!(&second[..3], &first[..]);
    assert_eq!(second.len(), 5);

    // Two shards of the same 5 archs merge into the same set of rows.
    let s0 = dir.path().join("s0.csv");
    let s1 = dir.path().join("s1.csv");
    for (shard, path) in [("0/2", &s0), ("1/2", &s1)] {
        let o = run(&[
            "--random",
            "5",
            "--seed",
            "4",
            "--shard",
            shard,
            "-o",
            path.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!((long_rows(&s0).len(), long_rows(&s1).len()), (3, 2));
    let merged = dir.path().join("merged.csv");
    stdout_of(&[
        "data",
        "merge",
        s0.to_str().unwrap(),
        s1.to_str().unwrap(),
        "-o",
        merged.to_str().unwrap(),
    ]);
    let mut a: Vec<String> = long_rows(&merged).into_iter().map(|r| r.arch).collect();
    let mut b: Vec<String> = second.into_iter().map(|r| r.arch).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // The same archs measured twice with different numbers do not merge.
    let err = stderr_of_failure(&[
        "data",
        "merge",
        s0.to_str().unwrap(),
        out_s,
        "-o",
        dir.path().join("x.csv").to_str().unwrap(),
    ]);
    assert!(err.contains("different values"), "{err}");
}

#[test]
fn measure_refuses_unclear_requests() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.csv");
    let err = stderr_of_failure(&measure_to(&out, "-s fbnet --all"));
    assert!(err.contains("--random"), "{err}");
    let err = stderr_of_failure(&measure_to(&out, "-s nb201"));
    assert!(err.contains("choose what to measure"), "{err}");
    let err = stderr_of_failure(&measure_to(&out, "-s nb201 --all --shard 2/2"));
    assert!(err.contains("i/n"), "{err}");
    assert!(!out.exists());
}

#[test]
fn measure_records_the_machine_and_samples_by_cost() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cpu.csv");
    let o = profiler(&measure_to(
        &out,
        "-s nb201 --stratified 4 --seed 2 --warmup 1 --runs 3 --quiet",
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = long_rows(&out);
    assert_eq!(rows.len(), 4);
    assert!(rows
        .iter()
        .all(|r| r.source.as_deref() == Some("latscope-cpu(tract)")));
    let runs = std::fs::read_to_string(dir.path().join("cpu.csv.runs.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(runs.lines().next().unwrap()).unwrap();
    assert_eq!(line["device"], "cpu_fp32_b1");
    assert_eq!(line["backend"]["kind"], "cpu");
    assert!(line["backend"]["model"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert!(line["command"].to_string().contains("--stratified"));
}

#[test]
fn measure_check_reports_the_spread_of_repeated_campaigns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("check.csv");
    let text = stdout_of(&measure_to(
        &out,
        "-s nb201 --random 3 --seed 1 --check 3 --warmup 1 --runs 3 --quiet",
    ));
    assert!(text.contains("run-to-run spread of the median"), "{text}");
    assert!(text.contains("3 architectures × 3 rounds"), "{text}");
    assert!(text.contains("| share ≤ 3 % |"), "{text}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().count(), 1 + 9);
    assert!(csv
        .lines()
        .skip(1)
        .all(|l| l.split(',').nth(2).unwrap().parse::<f64>().unwrap() > 0.0));
    // The medians file is not overwritten without --force.
    let err = stderr_of_failure(&measure_to(&out, "-s nb201 --random 3 --check 2"));
    assert!(err.contains("exists"), "{err}");
    let err = stderr_of_failure(&["measure", "-s", "nb201", "--random", "3", "--check", "1"]);
    assert!(err.contains("at least 2 rounds"), "{err}");
}

#[test]
fn measure_cuda_without_a_gpu_says_what_is_missing_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gpu.csv");
    let o = profiler(&measure_to(
        &out,
        "-s nb201 --random 2 --backend cuda --runs 3 --quiet",
    ));
    if o.status.success() {
        eprintln!("skipped: this machine has a usable GPU (the GPU tests cover it)");
        return;
    }
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the cuda backend cannot start"), "{err}");
    assert!(
        err.contains("is not installed")
            || err.contains("no CUDA GPU")
            || err.contains("cannot start"),
        "{err}"
    );
    assert!(!out.exists() && !dir.path().join("gpu.csv.runs.jsonl").exists());
    let err = stderr_of_failure(&measure_to(&out, "-s nb201 --random 2 --precision fp16"));
    assert!(
        err.contains("--precision fp16 needs --backend cuda"),
        "{err}"
    );
    for (flag, value) in [
        ("--timing", "graph"),
        ("--timing", "eager"),
        ("--layout", "nhwc"),
    ] {
        let args = format!("-s nb201 --random 2 {flag} {value}");
        let err = stderr_of_failure(&measure_to(&out, &args));
        assert!(err.contains("needs --backend cuda"), "{flag}: {err}");
    }
    let err = stderr_of_failure(&measure_to(
        &out,
        "-s nb201 --random 2 --backend cuda --threads 4",
    ));
    assert!(err.contains("--threads is for --backend cpu"), "{err}");
    assert!(!out.exists());
}

/// The campaign's output lines after the header: its complete rows.
fn complete_rows(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
    if !text.ends_with('\n') {
        lines.pop();
    }
    lines
}

#[test]
fn a_campaign_killed_at_random_points_resumes_with_nothing_lost_or_twice() {
    use rand::{Rng, SeedableRng};
    use std::process::{Command, Stdio};
    const ARCHS: usize = 16;
    const KILLS: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("killed.csv");
    let args = format!("-s nb201 --random {ARCHS} --seed 11 --warmup 0 --runs 1 --quiet");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let (mut kept, mut cuts) = (Vec::<String>::new(), Vec::<String>::new());
    for _ in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_profiler"))
            .args(measure_to(&out, &args))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(
            rng.random_range(300..3000),
        ));
        // SIGKILL: no destructor, no flush, as a preempted node ends.
        child.kill().unwrap();
        child.wait().unwrap();
        let rows = complete_rows(&out);
        // Every row an earlier run finished is still there, in order.
        assert_eq!(rows[..kept.len()], kept[..], "rows were lost or rewritten");
        kept = rows;
        // Now and then the kill lands mid-write: cut the last row short.
        if rng.random_bool(0.4) {
            if let Some(last) = kept.pop() {
                let cut = &last[..rng.random_range(1..last.len())];
                let text = std::fs::read_to_string(&out).unwrap();
                let start = text.len() - last.len() - 1;
                std::fs::write(&out, format!("{}{cut}", &text[..start])).unwrap();
                cuts.push(cut.to_string());
            }
        }
    }
    assert!(
        kept.len() < ARCHS,
        "the kills came too late to interrupt anything"
    );
    let finish = profiler(&measure_to(&out, &args));
    let stderr = String::from_utf8_lossy(&finish.stderr);
    assert!(finish.status.success(), "{stderr}");
    let rows = long_rows(&out);
    let mut archs: Vec<&str> = rows.iter().map(|r| r.arch.as_str()).collect();
    archs.sort();
    archs.dedup();
    assert_eq!((rows.len(), archs.len()), (ARCHS, ARCHS), "{stderr}");
    assert_eq!(complete_rows(&out)[..kept.len()], kept[..]);
    // Every row cut short was set aside, none dropped.
    let torn = std::fs::read_to_string(dir.path().join("killed.csv.torn")).unwrap_or_default();
    let torn: Vec<&str> = torn.lines().collect();
    for cut in &cuts {
        assert!(
            torn.contains(&cut.as_str()),
            "{cut:?} is not in the .torn file: {torn:?}"
        );
    }
    eprintln!(
        "{KILLS} kills, {} rows cut mid-write, {} rows before the last run; the last run: {}",
        cuts.len(),
        kept.len(),
        stderr.trim()
    );
}

#[test]
fn a_second_campaign_on_the_same_output_is_refused_while_the_first_runs() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shared.csv");
    let args = "-s nb201 --random 30 --seed 3 --warmup 0 --runs 1 --quiet";
    let mut first = Command::new(env!("CARGO_BIN_EXE_profiler"))
        .args(measure_to(&out, args))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first holds the file (its header is written then).
    let started = std::time::Instant::now();
    while !out.exists() && started.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let err = stderr_of_failure(&measure_to(&out, args));
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(
        err.contains("being written by another process") && err.contains("shared.csv.lock"),
        "{err}"
    );
    // The refused run wrote nothing, not even its machine record.
    let records = std::fs::read_to_string(dir.path().join("shared.csv.runs.jsonl")).unwrap();
    assert_eq!(records.lines().count(), 1, "{records}");
    // Once the first is gone (killed: the OS dropped its lock), a rerun resumes.
    let o = profiler(&measure_to(
        &out,
        "-s nb201 --random 1 --seed 3 --warmup 0 --runs 1 --quiet",
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A network whose output cannot depend on its input (the all-`none` NB201 cell) is folded
/// into a constant by tract: the row says so in its source, and a real network's does not.
#[test]
fn measure_says_when_the_runtime_computed_a_constant() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let none = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
    let conv = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|";
    std::fs::write(&list, format!("{none}\n{conv}\n")).unwrap();
    let out = dir.path().join("cpu.csv");
    let o = profiler(&measure_to(
        &out,
        &format!(
            "-s nb201 --list {} --warmup 1 --runs 3 --quiet",
            list.display()
        ),
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("computed a constant"), "{stderr}");
    let rows = long_rows(&out);
    let source = |arch: &str| {
        rows.iter()
            .find(|r| r.arch == arch)
            .and_then(|r| r.source.clone())
            .unwrap()
    };
    assert_eq!(source(none), "latscope-cpu(tract)+constant-output");
    assert_eq!(source(conv), "latscope-cpu(tract)");
}
