//! The shipped predictor files used as any ONNX runtime's user would: in
//! onnxruntime from Python, from architecture strings through the raw
//! `arch_ops` input, with no latscope code (`tests/reference/
//! predict_from_strings.py`, and the README's snippet as written), giving
//! `profiler predict`'s numbers to 1e-5 relative.
//!
//! Needs a Python with `onnx`, `onnxruntime` and `numpy` (`$LATSCOPE_PYTHON`,
//! else `python3`); without one the test prints why and passes.

mod common;

use common::{missing_python, python, shipped, stdout_of};
use latscope_shared::dataset::read_tables_path;
use latscope_shared::space::SpaceId;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// `profiler predict` of `archs`, as its CSV.
fn profiler_predict(predictor: &Path, archs: &[String]) -> String {
    let mut args = vec!["predict", "--predictor", predictor.to_str().unwrap()];
    args.extend(archs.iter().map(String::as_str));
    stdout_of(&args)
}

#[test]
fn onnxruntime_predicts_from_architecture_strings_as_profiler_predict_does() {
    if let Some(why) = missing_python() {
        latscope_shared::test_dependency::skip_or_fail(&why);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for space in SpaceId::ALL {
        // Every 53rd measured architecture of the shipped data (295 NB201
        // cells, 95 FBNet networks), and the reference architectures.
        let table = read_tables_path(common::data(&format!("{space}_latency.csv.gz")))
            .unwrap()
            .remove(0);
        let mut archs: Vec<String> = table
            .archs()
            .iter()
            .step_by(53)
            .map(|a| a.to_string())
            .collect();
        let predictor = shipped(&format!("predictors/{space}.onnx"));
        let meta = latscope_model::predictor_onnx::Predictor::reference_from_bytes(
            &std::fs::read(&predictor).unwrap(),
        )
        .unwrap()
        .meta()
        .clone();
        archs.extend(meta.reference_archs.iter().cloned());
        let archs_file = dir.path().join(format!("{space}.txt"));
        let expected = dir.path().join(format!("{space}.csv"));
        std::fs::write(&archs_file, archs.join("\n") + "\n").unwrap();
        std::fs::write(&expected, profiler_predict(&predictor, &archs)).unwrap();
        let out = Command::new(python())
            .arg(repo_root().join("tests/reference/predict_from_strings.py"))
            .args([&predictor, &archs_file, &expected])
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        eprintln!("{report}{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{space}: {report}");
        assert!(report.contains(&format!("{} architectures", archs.len())));
    }
}

/// The README's Python snippet, run as written from the repository root.
#[test]
fn the_readme_snippet_gives_profiler_predict_numbers() {
    if let Some(why) = missing_python() {
        latscope_shared::test_dependency::skip_or_fail(&why);
        return;
    }
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = &readme[readme
        .find("#### From any ONNX runtime")
        .expect("the README's section")..];
    let start = section.find("```python\n").unwrap() + "```python\n".len();
    let snippet = &section[start..start + section[start..].find("```").unwrap()];
    let out = Command::new(python())
        .args(["-c", snippet])
        .current_dir(repo_root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The snippet prints `device ms` per device of its one architecture.
    let arch = snippet
        .split('"')
        .find(|s| s.starts_with('|'))
        .expect("the snippet's architecture");
    let printed: BTreeMap<&str, f64> = stdout
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(d, v)| (d, v.trim().parse().unwrap()))
        .collect();
    let predicted = profiler_predict(&shipped("predictors/nb201.onnx"), &[arch.to_string()]);
    let mut compared = 0;
    for line in predicted.lines().skip(1) {
        let mut fields = line.rsplitn(3, ',');
        let (ms, device) = (fields.next().unwrap(), fields.next().unwrap());
        let want: f64 = ms.parse().unwrap();
        let got = printed[device];
        assert!(
            (got - want).abs() <= 1e-5 * want,
            "{device}: the snippet {got}, profiler predict {want}"
        );
        compared += 1;
    }
    assert_eq!(compared, printed.len());
    assert_eq!(compared, 27);
}
