//! The shipped HELP data (`static/data/`): shapes, the NB201 benchmark index,
//! the embedded index table, and a lossless wide → long → wide round trip.

use latscope_shared::dataset::{
    gz, read_accuracy, read_accuracy_path, read_long, read_reference_archs_path, read_wide,
    read_wide_path, write_long, write_wide, AccuracyDataset, LatencyTable,
};
use latscope_shared::space::nb201::Cell;
use latscope_shared::space::{Arch, SpaceId};
use std::io::Read;
use std::time::Instant;

const NB201: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../static/data/nb201_latency.csv.gz"
);
const FBNET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../static/data/fbnet_latency.csv.gz"
);
const NB201_REFS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../static/data/nb201_reference_archs.txt"
);
const FBNET_REFS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../static/data/fbnet_reference_archs.txt"
);
const NB201_ACCURACY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../static/data/nb201_accuracy.csv.gz"
);
const INDEX_BIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/space/nb201_index.bin");

/// The device columns both files share, apart from the GPU batch sizes.
fn expected_devices(big_batch: &str) -> Vec<String> {
    let gpus = ["1080ti", "2080ti"];
    let mut d: Vec<String> = Vec::new();
    for g in gpus {
        let mut batches = ["1".to_string(), "32".to_string(), big_batch.to_string()];
        batches.sort(); // HELP sorts the names as strings
        d.extend(batches.iter().map(|b| format!("{g}_{b}")));
    }
    d.extend(
        [
            "essential_ph_1",
            "eyeriss",
            "fpga",
            "gold_6226",
            "gold_6240",
            "pixel2",
            "pixel3",
            "raspi4",
            "samsung_a50",
            "samsung_s7",
            "silver_4114",
            "silver_4210r",
        ]
        .map(String::from),
    );
    for g in ["titan_rtx", "titanx", "titanxp"] {
        let mut batches = ["1".to_string(), "32".to_string(), big_batch.to_string()];
        batches.sort();
        d.extend(batches.iter().map(|b| format!("{g}_{b}")));
    }
    d
}

fn load(path: &str) -> LatencyTable {
    let start = Instant::now();
    let table = read_wide_path(path, None).unwrap();
    println!(
        "loaded {} in {:.3} s: {} archs × {} devices ({}), {} missing",
        path.rsplit('/').next().unwrap(),
        start.elapsed().as_secs_f64(),
        table.n_archs(),
        table.n_devices(),
        table.devices().join(","),
        table.missing()
    );
    table
}

#[test]
fn nb201_shape() {
    let t = load(NB201);
    assert_eq!(t.space(), SpaceId::Nb201);
    assert_eq!((t.n_archs(), t.n_devices(), t.missing()), (15625, 27, 0));
    assert_eq!(t.devices(), expected_devices("256"));
    println!("{}", t.stats());
}

#[test]
fn fbnet_shape() {
    let t = load(FBNET);
    assert_eq!(t.space(), SpaceId::Fbnet);
    assert_eq!((t.n_archs(), t.n_devices(), t.missing()), (5000, 27, 0));
    assert_eq!(t.devices(), expected_devices("64"));
    assert_eq!(t.bench_index().unwrap(), (0..5000).collect::<Vec<_>>());
    println!("{}", t.stats());
}

#[test]
fn every_nb201_index_round_trips() {
    let t = read_wide_path(NB201, None).unwrap();
    let index = t.bench_index().unwrap();
    assert_eq!(
        index,
        (0..15625).collect::<Vec<_>>(),
        "rows are in benchmark order"
    );
    for (arch, &i) in t.archs().iter().zip(index) {
        let Arch::Nb201(cell) = arch else {
            panic!("not nb201: {arch}")
        };
        assert_eq!(cell.benchmark_index(), i);
        assert_eq!(&Cell::from_benchmark_index(i).unwrap(), cell);
    }
}

#[test]
fn embedded_index_table_rebuilds_byte_identical() {
    let t = read_wide_path(NB201, None).unwrap();
    let mut rebuilt = vec![0u8; 2 * 15625];
    for (arch, &i) in t.archs().iter().zip(t.bench_index().unwrap()) {
        let Arch::Nb201(cell) = arch else {
            panic!("not nb201")
        };
        rebuilt[2 * i..2 * i + 2].copy_from_slice(&(cell.code() as u16).to_le_bytes());
    }
    let embedded = std::fs::read(INDEX_BIN).unwrap();
    assert!(
        embedded == rebuilt,
        "nb201_index.bin differs from the table rebuilt from the CSV"
    );
}

/// The decompressed text of a shipped file, one entry per line, without
/// line ends (HELP's files use CRLF, latscope writes LF).
fn lines_of(path: &str) -> Vec<String> {
    let mut text = String::new();
    gz::decompressing_reader(std::fs::File::open(path).unwrap())
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(str::to_string).collect()
}

fn assert_bitwise_equal(a: &LatencyTable, b: &LatencyTable) {
    assert_eq!(a.archs(), b.archs());
    assert_eq!(a.devices(), b.devices());
    assert_eq!(a.bench_index(), b.bench_index());
    for (x, y) in a.latency().iter().zip(b.latency()) {
        assert_eq!(x.map(f64::to_bits), y.map(f64::to_bits));
    }
}

fn round_trip(path: &str) {
    let name = path.rsplit('/').next().unwrap();
    let original = read_wide_path(path, None).unwrap();

    let records = original.to_records();
    assert_eq!(records.len(), original.n_archs() * original.n_devices());
    let mut long = Vec::new();
    write_long(&records, &mut long, "long.csv").unwrap();
    let reread = read_long(&long[..], "long.csv").unwrap();
    assert_eq!(reread, records);

    let mut back = LatencyTable::from_records(&reread).unwrap();
    if back.space() == SpaceId::Fbnet {
        // The long layout has no `index` column; FBNet's is the row order.
        assert_eq!(back.bench_index(), None);
        let rows = (0..back.n_archs()).collect();
        back = back.with_bench_index(Some(rows)).unwrap();
    }
    assert_bitwise_equal(&original, &back);

    let mut wide = Vec::new();
    write_wide(&back, &mut wide, "wide.csv").unwrap();
    let written: Vec<&str> = std::str::from_utf8(&wide).unwrap().lines().collect();
    let source = lines_of(path);
    assert_eq!(written.len(), source.len());
    for (n, (w, s)) in written.iter().zip(&source).enumerate() {
        assert_eq!(
            w,
            s,
            "{name} line {} differs after wide → long → wide",
            n + 1
        );
    }
    assert_bitwise_equal(&original, &read_wide(&wide[..], "wide.csv", None).unwrap());
    println!(
        "{name}: wide → long ({} bytes) → wide reproduces all {} lines",
        long.len(),
        source.len()
    );
}

#[test]
fn nb201_wide_long_wide_is_lossless() {
    round_trip(NB201);
}

#[test]
fn fbnet_wide_long_wide_is_lossless() {
    round_trip(FBNET);
}

#[test]
fn reference_archs_are_in_the_tables() {
    for (refs, table) in [(NB201_REFS, NB201), (FBNET_REFS, FBNET)] {
        let refs = read_reference_archs_path(refs, None).unwrap();
        let t = read_wide_path(table, None).unwrap();
        assert_eq!(refs.len(), 10);
        let positions = t.arch_positions();
        for (index, arch) in &refs {
            assert_eq!(arch.space(), t.space());
            let row = positions[arch];
            assert_eq!(t.bench_index().unwrap()[row], *index, "{arch}");
        }
        println!(
            "{} reference archs: {:?}",
            t.space(),
            refs.iter().map(|r| r.0).collect::<Vec<_>>()
        );
    }
}

#[test]
fn whole_millisecond_devices_are_whole() {
    for path in [NB201, FBNET] {
        let t = read_wide_path(path, None).unwrap();
        for device in ["pixel2", "samsung_a50", "samsung_s7", "essential_ph_1"] {
            let d = t.require_device(device).unwrap();
            assert!(t.measured(d).all(|(_, v)| v.fract() == 0.0), "{device}");
        }
        let sub = t.select_devices(&["pixel2", "fpga"]).unwrap();
        assert_eq!(
            sub.value(7, 1),
            t.value(7, t.require_device("fpga").unwrap())
        );
    }
}

#[test]
fn errors_in_the_real_file_point_at_the_right_line() {
    // HELP's files use CRLF line ends, which trip the csv crate's own line
    // numbers; break a cell deep inside and check the reported line.
    let mut text = String::new();
    gz::decompressing_reader(std::fs::File::open(NB201).unwrap())
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
    let mut fields: Vec<&str> = lines[9999].split(',').collect(); // line 10000
    fields[5] = "-3.5";
    lines[9999] = fields.join(",");
    let broken = lines.join("\r\n");
    let e = read_wide(broken.as_bytes(), "nb201.csv", None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("nb201.csv:10000: device \"2080ti_1\": latency \"-3.5\""),
        "{e}"
    );
}

#[test]
fn nb201_accuracy_covers_every_cell() {
    let t = read_accuracy_path(NB201_ACCURACY).unwrap();
    assert_eq!((t.space(), t.len()), (SpaceId::Nb201, 15625));
    // The benchmark's known optima, as static/data/README.md states them.
    for (dataset, best) in [
        (AccuracyDataset::Cifar10, 94.37),
        (AccuracyDataset::Cifar100, 73.51),
        (AccuracyDataset::ImageNet16_120, 47.31),
    ] {
        let (index, value) = t.best(dataset).unwrap();
        assert!(
            (value - best).abs() < 0.005,
            "{dataset}: {value} at {index}"
        );
        assert!(t.column(dataset).iter().all(|v| (0.0..=100.0).contains(v)));
    }
    // The file's row order is the latency table's (benchmark index), and a
    // lookup by arch agrees with the row of its index.
    let mut text = String::new();
    gz::decompressing_reader(std::fs::File::open(NB201_ACCURACY).unwrap())
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let latency = read_wide_path(NB201, None).unwrap();
    for (i, line) in text.lines().skip(1).enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[0].parse::<usize>().unwrap(), i);
        assert_eq!(fields[1], latency.archs()[i].to_string(), "row {i}");
    }
    let row = text.lines().nth(1 + 1462).unwrap();
    let fields: Vec<&str> = row.split(',').collect();
    let arch = SpaceId::Nb201.parse_arch(fields[1]).unwrap();
    assert_eq!(arch.benchmark_index(), Some(1462));
    for (d, dataset) in AccuracyDataset::ALL.into_iter().enumerate() {
        let want: f64 = fields[2 + d].parse().unwrap();
        assert_eq!(t.get(&arch, dataset), Some(want));
        assert_eq!(t.at_index(1462, dataset), Some(want));
    }
    // FBNet has no accuracy data.
    let fbnet = SpaceId::Fbnet.parse_arch(&["skip"; 22].join("-")).unwrap();
    assert_eq!(t.get(&fbnet, AccuracyDataset::Cifar10), None);
    // Plain text reads the same as gzip.
    assert_eq!(read_accuracy(text.as_bytes(), "plain.csv").unwrap(), t);
}
