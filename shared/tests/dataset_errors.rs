//! Malformed input: every error names the file, the 1-based line (header =
//! line 1) and the offending value.

use latscope_shared::dataset::{read_accuracy, read_long, read_reference_archs, read_wide};
use latscope_shared::space::SpaceId;
use latscope_shared::Error;

const NB_A: &str = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const NB_B: &str = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
const NB_A_INDEX: usize = 1462;
const NB_B_INDEX: usize = 1651;

fn fb(op: &str) -> String {
    [op; 22].join("-")
}

fn wide_error(text: &str) -> String {
    read_wide(text.as_bytes(), "bad.csv", None)
        .unwrap_err()
        .to_string()
}

fn long_error(text: &str) -> String {
    read_long(text.as_bytes(), "bad.csv")
        .unwrap_err()
        .to_string()
}

/// Asserts the message starts with `bad.csv:<line>:` and quotes each value.
#[track_caller]
fn assert_names(message: &str, line: u64, values: &[&str]) {
    assert!(
        message.starts_with(&format!("bad.csv:{line}: ")),
        "wrong file/line in: {message}"
    );
    for v in values {
        assert!(message.contains(v), "{v:?} missing from: {message}");
    }
}

// ---- architecture strings ----

#[test]
fn unknown_op_in_arch() {
    let bad = NB_A
        .replace("nor_conv_1x1", "x")
        .replacen("nor_conv_3x3~1|+", "conv_5x5~1|+", 1);
    let e = wide_error(&format!("arch,gpu\n{NB_B},1.0\n{bad},2.0\n"));
    assert_names(&e, 3, &["conv_5x5", &bad]);
    let e = long_error(&format!(
        "space,arch,device,latency_ms\nfbnet,{},gpu,1.0\n",
        fb("k7_e9")
    ));
    assert_names(&e, 2, &["k7_e9"]);
}

#[test]
fn wrong_number_of_edges() {
    let bad = "|none~0|+|none~0|none~1|+|none~0|none~1|";
    let e = wide_error(&format!("arch,gpu\n{bad},1.0\n"));
    assert_names(&e, 2, &[bad, "node 3 needs 3 incoming edge(s), found 2"]);
}

#[test]
fn wrong_number_of_layers() {
    let bad = ["k3_e1"; 21].join("-");
    let e = wide_error(&format!("arch,gpu\n{},1.0\n{bad},2.0\n", fb("skip")));
    assert_names(&e, 3, &[&bad, "expected 22 layers", "found 21"]);
}

#[test]
fn wrong_space_in_an_arch() {
    // Wide, space detected from the first row.
    let e = wide_error(&format!("arch,gpu\n{NB_B},1.0\n{},2.0\n", fb("skip")));
    assert_names(
        &e,
        3,
        &[
            &fb("skip"),
            "is a fbnet architecture, expected nb201",
            "from line 2",
        ],
    );
    // Wide, space given.
    let text = format!("arch,gpu\n{NB_B},1.0\n");
    let e = read_wide(text.as_bytes(), "bad.csv", Some(SpaceId::Fbnet))
        .unwrap_err()
        .to_string();
    assert_names(&e, 2, &[NB_B, "is a nb201 architecture, expected fbnet"]);
    // Long: the row's own space column disagrees with its arch.
    let e = long_error(&format!(
        "space,arch,device,latency_ms\nnb201,{NB_B},a,1\nnb201,{},a,1\n",
        fb("k3_e3")
    ));
    assert_names(
        &e,
        3,
        &[&fb("k3_e3"), "is a fbnet architecture, expected nb201"],
    );
}

#[test]
fn unknown_space_name() {
    let e = long_error(&format!("space,arch,device,latency_ms\nnb101,{NB_B},a,1\n"));
    assert_names(&e, 2, &["\"nb101\"", "nb201, fbnet"]);
}

#[test]
fn nb201_index_must_match_arch() {
    let e = wide_error(&format!(
        "index,arch,gpu\n{NB_A_INDEX},{NB_A},1.0\n5,{NB_B},2.0\n"
    ));
    let actual = latscope_shared::space::nb201::Cell::from_benchmark_index(5).unwrap();
    assert_ne!(actual.to_string(), NB_B);
    assert_names(&e, 3, &["index 5", NB_B, "nb201 benchmark index is"]);
    let e = wide_error(&format!("index,arch,gpu\nfive,{NB_A},1.0\n"));
    assert_names(&e, 2, &["\"five\""]);
}

#[test]
fn fbnet_index_must_be_unique() {
    let e = wide_error(&format!(
        "index,arch,gpu\n7,{},1\n7,{},2\n",
        fb("skip"),
        fb("k3_e1")
    ));
    assert_names(&e, 3, &["duplicate index 7", "first on line 2"]);
}

// ---- latency values ----

fn bad_value(value: &str, extra: &str) {
    let e = wide_error(&format!(
        "arch,gpu,cpu\n{NB_A},1.0,2.0\n{NB_B},3.0,{value}\n"
    ));
    assert_names(&e, 3, &[&format!("{value:?}"), "device \"cpu\"", extra]);
    let e = long_error(&format!(
        "space,arch,device,latency_ms\nnb201,{NB_A},cpu,1\nnb201,{NB_B},cpu,{value}\n"
    ));
    assert_names(&e, 3, &[&format!("{value:?}"), "latency_ms", extra]);
}

#[test]
fn nan_latency() {
    bad_value("NaN", "not finite");
    bad_value("nan", "not finite");
}

#[test]
fn infinite_latency() {
    bad_value("inf", "not finite");
    bad_value("-Infinity", "not finite");
}

#[test]
fn negative_latency() {
    bad_value("-1.5", "must be positive");
}

#[test]
fn zero_latency_is_rejected() {
    bad_value("0", "must be positive");
    bad_value("0.0", "must be positive");
}

#[test]
fn non_numeric_latency() {
    bad_value("fast", "not a number");
    bad_value("1_5", "not a number");
}

#[test]
fn optional_columns_are_checked_too() {
    let head = "space,arch,device,latency_ms,p10_ms,p90_ms,runs,batch";
    let e = long_error(&format!("{head}\nnb201,{NB_A},a,2,1,3,0,1\n"));
    assert_names(&e, 2, &["runs \"0\""]);
    let e = long_error(&format!("{head}\nnb201,{NB_A},a,2,1,3,5,x\n"));
    assert_names(&e, 2, &["batch \"x\""]);
    let e = long_error(&format!("{head}\nnb201,{NB_A},a,2,nan,3,5,1\n"));
    assert_names(&e, 2, &["p10_ms", "\"nan\""]);
    let e = long_error(&format!("{head}\nnb201,{NB_A},a,2,4,3,5,1\n"));
    assert_names(&e, 2, &["p10_ms 4 is above p90_ms 3"]);
    let e = long_error(&format!("{head}\nnb201,{NB_A},a,,1,3,5,1\n"));
    assert_names(&e, 2, &["latency_ms is empty"]);
}

// ---- structure ----

#[test]
fn missing_required_column() {
    let e = wide_error(&format!("index,gpu\n1,{NB_A}\n"));
    assert_names(&e, 1, &["missing required column \"arch\"", "index,gpu"]);
    let e = long_error(&format!("space,arch,latency_ms\nnb201,{NB_A},1\n"));
    assert_names(&e, 1, &["missing required column \"device\""]);
    // A wide file handed to the long reader says what it is.
    let e = long_error(&format!("index,arch,gpu\n{NB_A_INDEX},{NB_A},1\n"));
    assert_names(&e, 1, &["missing required column \"space\"", "wide layout"]);
    // And the other way round.
    let e = wide_error(&format!("space,arch,device,latency_ms\nnb201,{NB_A},a,1\n"));
    assert_names(&e, 1, &["long layout", "read_long"]);
}

#[test]
fn unknown_column_in_long() {
    let e = long_error(&format!(
        "space,arch,device,latency_ms,p90ms\nnb201,{NB_A},a,1,2\n"
    ));
    assert_names(&e, 1, &["unknown column \"p90ms\"", "p90_ms"]);
}

#[test]
fn duplicate_header_column() {
    let e = wide_error(&format!("arch,gpu,cpu,gpu\n{NB_A},1,2,3\n"));
    assert_names(&e, 1, &["duplicate column \"gpu\"", "columns 2 and 4"]);
}

#[test]
fn duplicate_row_in_wide() {
    let spaced = format!(" {NB_A} "); // same arch, different spelling
    let e = wide_error(&format!("arch,gpu\n{NB_A},1\n{NB_B},2\n{spaced},3\n"));
    assert_names(&e, 4, &["duplicate arch", NB_A, "first on line 2"]);
}

#[test]
fn duplicate_row_in_long() {
    let e = long_error(&format!(
        "space,arch,device,latency_ms\nnb201,{NB_A},gpu,1\nnb201,{NB_A},cpu,1\nnb201,{NB_A},gpu,2\n"
    ));
    assert_names(
        &e,
        4,
        &["duplicate row", NB_A, "\"gpu\"", "first on line 2"],
    );
    // A second spelling of the same arch is still a duplicate.
    let e = long_error(&format!(
        "space,arch,device,latency_ms\nnb201,{NB_A},gpu,1\nnb201,\"  {NB_A} \",gpu,2\n"
    ));
    assert_names(&e, 3, &["duplicate row", "first on line 2"]);
    // Same arch and device in two spaces cannot happen; same device name on
    // two archs is fine.
    let ok = format!("space,arch,device,latency_ms\nnb201,{NB_A},gpu,1\nnb201,{NB_B},gpu,1\n");
    assert_eq!(read_long(ok.as_bytes(), "ok.csv").unwrap().len(), 2);
}

#[test]
fn empty_file() {
    for text in ["", "\n", "\n\n"] {
        assert_names(&wide_error(text), 1, &["empty file", "index,arch"]);
        assert_names(
            &long_error(text),
            1,
            &["empty file", "space,arch,device,latency_ms"],
        );
    }
    let refs = read_reference_archs(&b""[..], "bad.csv", None)
        .unwrap_err()
        .to_string();
    assert_names(&refs, 1, &["empty file"]);
}

#[test]
fn header_only() {
    // Long: a valid, empty dataset (an empty measurement shard).
    assert!(read_long(&b"space,arch,device,latency_ms\n"[..], "ok.csv")
        .unwrap()
        .is_empty());
    // Wide: nothing to detect the space from, unless it is given.
    assert_names(&wide_error("arch,gpu\n"), 1, &["no data rows", "space"]);
    let t = read_wide(&b"arch,gpu\n"[..], "ok.csv", Some(SpaceId::Fbnet)).unwrap();
    assert_eq!((t.n_archs(), t.n_devices()), (0, 1));
}

#[test]
fn wrong_field_count() {
    let e = wide_error(&format!("arch,gpu,cpu\n{NB_A},1\n"));
    assert_names(&e, 2, &["expected 3 fields", "found 2"]);
    let e = long_error(&format!(
        "space,arch,device,latency_ms\nnb201,{NB_A},a,1,9\n"
    ));
    assert_names(&e, 2, &["expected 4 fields", "found 5", ",9"]);
}

#[test]
fn line_numbers_survive_crlf_and_quotes() {
    let text = format!("arch,gpu\r\n\"{NB_A}\",1\r\n{NB_B},-2\r\n");
    assert_names(&wide_error(&text), 3, &["\"-2\""]);
    let text = format!("\r\narch,gpu\r\n\r\n{NB_A},1\r\n\r\n\r\n{NB_B},x\r\n");
    assert_names(&wide_error(&text), 7, &["\"x\""]);
    let text = format!("space,arch,device,latency_ms,source\r\nnb201,{NB_A},a,1,\"two\nlines\"\r\nnb201,{NB_A},a,1,\r\n");
    assert_names(&long_error(&text), 4, &["duplicate row", "first on line 2"]);
}

#[test]
fn corrupt_gzip_is_an_io_error_naming_the_file() {
    let mut bytes = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    bytes.extend_from_slice(b"definitely not deflate");
    let e = read_wide(&bytes[..], "bad.csv.gz", None).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert!(e.to_string().starts_with("bad.csv.gz: "), "{e}");
}

#[test]
fn not_utf8() {
    let mut bytes = format!("arch,gpu\n{NB_A},1\n").into_bytes();
    bytes.extend_from_slice(b"\xff\xfe,2\n");
    let e = read_wide(&bytes[..], "bad.csv", None)
        .unwrap_err()
        .to_string();
    assert_names(&e, 3, &["UTF-8"]);
}

#[test]
fn reference_file_errors() {
    let e = read_reference_archs(
        format!("{NB_A_INDEX} {NB_A}\n\n1 {}\n", fb("skip")).as_bytes(),
        "bad.csv",
        None,
    )
    .unwrap_err()
    .to_string();
    assert_names(&e, 3, &[&fb("skip"), "expected nb201"]);
    let e = read_reference_archs(&b"x |none~0|\n"[..], "bad.csv", None)
        .unwrap_err()
        .to_string();
    assert_names(&e, 1, &["\"x\""]);
}

// ---- NB201 accuracy ----

const ACC_HEADER: &str = "index,arch,cifar10_test_acc,cifar100_test_acc,imagenet16_120_test_acc";

fn accuracy_error(text: &str) -> String {
    read_accuracy(text.as_bytes(), "bad.csv")
        .unwrap_err()
        .to_string()
}

/// The header plus a valid row for NB_A, then `rows`.
fn accuracy_file(rows: &str) -> String {
    format!("{ACC_HEADER}\n{NB_A_INDEX},{NB_A},93.5,70.1,44.2\n{rows}")
}

#[test]
fn accuracy_bad_number() {
    let e = accuracy_error(&accuracy_file(&format!(
        "{NB_B_INDEX},{NB_B},10.0,abc,1.0\n"
    )));
    assert_names(&e, 3, &["\"abc\"", "cifar100_test_acc", "not a number"]);
    let e = accuracy_error(&accuracy_file(&format!(
        "{NB_B_INDEX},{NB_B},NaN,1.0,1.0\n"
    )));
    assert_names(&e, 3, &["\"NaN\"", "cifar10_test_acc", "not finite"]);
}

#[test]
fn accuracy_out_of_range() {
    for value in ["100.5", "-1", "9400"] {
        let e = accuracy_error(&accuracy_file(&format!(
            "{NB_B_INDEX},{NB_B},10.0,1.0,{value}\n"
        )));
        assert_names(
            &e,
            3,
            &[&format!("{value:?}"), "imagenet16_120_test_acc", "[0, 100]"],
        );
    }
}

#[test]
fn accuracy_index_must_match_arch() {
    let e = accuracy_error(&accuracy_file(&format!("5,{NB_B},10.0,1.0,1.0\n")));
    assert_names(&e, 3, &["index 5", NB_B, "nb201 benchmark index is"]);
    let e = accuracy_error(&format!(
        "{ACC_HEADER}\n{NB_A_INDEX},{},1,1,1\n",
        fb("skip")
    ));
    assert_names(&e, 2, &[&fb("skip"), "is a fbnet architecture"]);
}

#[test]
fn accuracy_duplicate_cell() {
    let e = accuracy_error(&accuracy_file(&format!(
        "{NB_B_INDEX},{NB_B},10.0,1.0,1.0\n{NB_A_INDEX},{NB_A},90.0,1.0,1.0\n"
    )));
    assert_names(&e, 4, &["duplicate arch", NB_A, "first on line 2"]);
}

#[test]
fn accuracy_missing_column_and_cells() {
    let e = accuracy_error(&format!(
        "index,arch,cifar10_test_acc,imagenet16_120_test_acc\n{NB_A_INDEX},{NB_A},1,1\n"
    ));
    assert_names(&e, 1, &["missing required column \"cifar100_test_acc\""]);
    // Two cells of 15625: the error counts the others and names the first.
    let e = accuracy_error(&accuracy_file(&format!(
        "{NB_B_INDEX},{NB_B},10.0,1.0,1.0\n"
    )));
    let first = latscope_shared::space::SpaceId::Nb201
        .arch_at_benchmark_index(0)
        .unwrap();
    assert_names(
        &e,
        1,
        &[
            "15623 of the 15625 nb201 cells are missing",
            "index 0",
            &first.to_string(),
        ],
    );
}
