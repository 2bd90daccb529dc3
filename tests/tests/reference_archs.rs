//! HELP's reference architectures (the ones whose latencies describe a
//! device) travel the whole path: the shipped list is read by the dataset
//! module, lowered to the IR, costed, exported to ONNX, run by tract, and
//! summarised by the web API, and every stage agrees with the others.

use latscope_profiler::network::parameter_count;
use latscope_profiler::network::{export_network, ArchRunner, ExportOptions};
use latscope_shared::dataset::{read_reference_archs_path, read_wide_path};
use latscope_shared::features::cost_features;
use latscope_shared::space::SpaceId;
use latscope_tests::shipped_data;

fn check_space(space: SpaceId, list: &str, table: &str) {
    let refs = read_reference_archs_path(shipped_data(list), Some(space)).unwrap();
    assert_eq!(refs.len(), 10, "HELP uses 10 reference architectures");
    let table = read_wide_path(shipped_data(table), Some(space)).unwrap();
    for (index, arch) in &refs {
        // The reference list's index is the dataset row of that architecture.
        let row = table
            .position_of(arch)
            .expect("reference arch is in the dataset");
        if let Some(bench) = table.bench_index() {
            assert_eq!(bench[row], *index, "{arch}");
        }
        let net = arch.lower_default().unwrap();
        let features = cost_features(&net);

        let model = export_network(&net, &ExportOptions::new(*index as u64)).unwrap();
        assert_eq!(parameter_count(&model).trainable, features.params, "{arch}");
        let bytes = prost::Message::encode_to_vec(&model);
        let out = ArchRunner::new(&bytes, 2).unwrap().run_random(0).unwrap();
        let classes = space.default_dataset().num_classes();
        assert_eq!(out.shape, [2, classes]);
        assert!(out.values.iter().all(|v| v.is_finite()), "{arch}");

        let summary = latscope_web::arch_summary(space.name(), &arch.to_string()).unwrap();
        assert_eq!(summary.mparams, features.mparams());
        assert_eq!(summary.mflops, features.mflops());
        assert_eq!(summary.arch, arch.to_string());
    }
}

#[test]
fn nb201_reference_archs_agree_across_crates() {
    check_space(
        SpaceId::Nb201,
        "nb201_reference_archs.txt",
        "nb201_latency.csv.gz",
    );
}

#[test]
fn fbnet_reference_archs_agree_across_crates() {
    check_space(
        SpaceId::Fbnet,
        "fbnet_reference_archs.txt",
        "fbnet_latency.csv.gz",
    );
}
