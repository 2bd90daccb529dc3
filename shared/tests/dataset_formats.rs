//! The layouts on small inline inputs: long files with optional columns and
//! several spaces, missing cells, gzip and plain files on disk, auto-detection.

use latscope_shared::dataset::{
    group_by_space, gz, read_long, read_long_path, read_long_tables, read_tables_path, read_wide,
    read_wide_path, tables_from_records, write_long, write_long_path, write_wide, write_wide_path,
    LatencyRecord, LatencyTable,
};
use latscope_shared::space::fbnet::{FbnetArch, FbnetOp};
use latscope_shared::space::nb201::{Cell, Nb201Op};
use latscope_shared::space::{Arch, SpaceId};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

const NB_A: &str = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const NB_B: &str = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";

fn fb(op: &str) -> String {
    [op; 22].join("-")
}

/// A fresh path in the system temp folder (no tempfile crate needed).
fn temp_path(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "latscope-dataset-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn long_with_optional_columns_in_any_order() {
    let text = format!(
        "source,device,runs,latency_ms,arch,p90_ms,space,precision,batch,p10_ms\n\
         latscope-cuda,h100_fp16_b32,100,1.25,{NB_A},1.5,nb201,fp16,32,1.0\n\
         ,h100_fp16_b32,,2.5,{NB_B},,NB201,,,\n"
    );
    let records = read_long(text.as_bytes(), "in.csv").unwrap();
    assert_eq!(records.len(), 2);
    let r = &records[0];
    assert_eq!(
        (r.space, r.arch.as_str(), r.device.as_str()),
        (SpaceId::Nb201, NB_A, "h100_fp16_b32")
    );
    assert_eq!(
        (r.latency_ms, r.p10_ms, r.p90_ms),
        (1.25, Some(1.0), Some(1.5))
    );
    assert_eq!((r.runs, r.batch), (Some(100), Some(32)));
    assert_eq!(
        (r.precision.as_deref(), r.source.as_deref()),
        (Some("fp16"), Some("latscope-cuda"))
    );
    let s = &records[1];
    assert_eq!(
        (s.p10_ms, s.runs, s.precision.as_ref(), s.source.as_ref()),
        (None, None, None, None)
    );

    // Written back in the contract's column order, then read back equal.
    let mut out = Vec::new();
    write_long(&records, &mut out, "out.csv").unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out.lines().next().unwrap(),
        "space,arch,device,latency_ms,p10_ms,p90_ms,runs,batch,precision,source"
    );
    assert_eq!(read_long(out.as_bytes(), "out.csv").unwrap(), records);
    assert!(
        out.contains(&format!("nb201,{NB_B},h100_fp16_b32,2.5,,,,,,\n")),
        "{out}"
    );

    // Only the columns somebody uses are written.
    let mut lean = Vec::new();
    let plain: Vec<LatencyRecord> = records
        .iter()
        .map(|r| LatencyRecord {
            runs: Some(7),
            ..LatencyRecord::new(
                &Arch::Nb201(Cell::uniform(Nb201Op::None)),
                &r.device,
                r.latency_ms,
            )
        })
        .collect();
    write_long(&plain[..1], &mut lean, "lean.csv").unwrap();
    assert_eq!(
        String::from_utf8(lean).unwrap().lines().next().unwrap(),
        "space,arch,device,latency_ms,runs"
    );
}

#[test]
fn long_files_may_mix_spaces() {
    let text = format!(
        "space,arch,device,latency_ms\n\
         fbnet,{},cpu,30\n\
         nb201,{NB_A},cpu,10\n\
         nb201,{NB_B},gpu,2\n\
         fbnet,{},cpu,31\n",
        fb("skip"),
        fb("k5_e6")
    );
    let records = read_long(text.as_bytes(), "mixed.csv").unwrap();
    let groups = group_by_space(records.clone());
    assert_eq!(
        groups.keys().copied().collect::<Vec<_>>(),
        [SpaceId::Nb201, SpaceId::Fbnet]
    );
    assert_eq!(groups[&SpaceId::Fbnet].len(), 2);

    let tables = read_long_tables(text.as_bytes(), "mixed.csv").unwrap();
    assert_eq!(tables, tables_from_records(records).unwrap());
    let (nb, fbt) = (&tables[0], &tables[1]);
    assert_eq!(
        (nb.space(), nb.n_archs(), nb.n_devices(), nb.missing()),
        (SpaceId::Nb201, 2, 2, 2)
    );
    assert_eq!(nb.devices(), ["cpu", "gpu"]);
    assert_eq!(nb.row(0), &[Some(10.0), None]);
    assert_eq!(nb.row(1), &[None, Some(2.0)]);
    assert!(
        nb.bench_index().is_some(),
        "nb201 indices are derived from the cells"
    );
    assert_eq!(
        (fbt.space(), fbt.n_archs(), fbt.n_devices()),
        (SpaceId::Fbnet, 2, 1)
    );
    assert_eq!(fbt.bench_index(), None);
}

#[test]
fn missing_cells_survive_both_layouts() {
    let text = format!("arch,a,b,c\n{NB_A},1.5,,3\n{NB_B},,2,\n");
    let wide = read_wide(text.as_bytes(), "w.csv", None).unwrap();
    assert_eq!(wide.missing(), 3);
    assert_eq!(
        wide.latency(),
        &[Some(1.5), None, Some(3.0), None, Some(2.0), None]
    );

    let records = wide.to_records();
    assert_eq!(records.len(), 3);
    let back = LatencyTable::from_records(&records).unwrap();
    // Devices come back in order of first appearance: a, c (row 1), then b.
    let back = back.select_devices(&["a", "b", "c"]).unwrap();
    assert_eq!(back, wide);

    let mut out = Vec::new();
    write_wide(&wide, &mut out, "w.csv").unwrap();
    let out = String::from_utf8(out).unwrap();
    let nb_a_index = Cell::from_benchmark_index(1462).unwrap().to_string();
    assert_eq!(nb_a_index, NB_A);
    let b_index = match &wide.archs()[1] {
        Arch::Nb201(c) => c.benchmark_index(),
        _ => unreachable!(),
    };
    assert_eq!(
        out,
        format!("index,arch,a,b,c\n1462,{NB_A},1.5,,3.0\n{b_index},{NB_B},,2.0,\n")
    );
}

#[test]
fn files_on_disk_plain_and_gzip() {
    let text = format!(
        "index,arch,x,y\n0,{},1.0,2.0\n1,{},3.0,4.0\n",
        fb("skip"),
        fb("k3_e1")
    );
    let table = read_wide(text.as_bytes(), "t.csv", None).unwrap();
    assert_eq!(table.space(), SpaceId::Fbnet);

    for name in ["t.csv", "t.csv.gz", "t.CSV.GZ"] {
        let path = temp_path(name);
        write_wide_path(&table, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            bytes.starts_with(&gz::MAGIC),
            name.to_lowercase().ends_with(".gz"),
            "{name}"
        );
        assert_eq!(read_wide_path(&path, None).unwrap(), table);
        assert_eq!(read_tables_path(&path).unwrap(), vec![table.clone()]);

        let long_path = path.with_file_name(format!("long-{name}"));
        write_long_path(&table.to_records(), &long_path).unwrap();
        let records = read_long_path(&long_path).unwrap();
        assert_eq!(records, table.to_records());
        let via_long = read_tables_path(&long_path).unwrap();
        assert_eq!(via_long.len(), 1);
        assert_eq!(via_long[0].latency(), table.latency());
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    // A gzip file under a plain name is still recognised by its bytes.
    let path = temp_path("disguised.csv");
    let gz_path = path.with_file_name("real.csv.gz");
    write_wide_path(&table, &gz_path).unwrap();
    std::fs::rename(&gz_path, &path).unwrap();
    assert_eq!(read_wide_path(&path, None).unwrap(), table);

    // A missing file is an I/O error that names it.
    let missing = path.with_file_name("nope.csv");
    let e = read_wide_path(&missing, None).unwrap_err().to_string();
    assert!(e.contains("nope.csv"), "{e}");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn explicit_space_and_table_building() {
    let text = format!("arch,gpu\n{},4\n", fb("k3_e6"));
    let t = read_wide(text.as_bytes(), "f.csv", Some(SpaceId::Fbnet)).unwrap();
    assert_eq!(t.archs(), [Arch::Fbnet(FbnetArch::uniform(FbnetOp::K3E6))]);
    assert_eq!(t.arch_position(&fb("k3_e6")), Some(0));
    assert_eq!(t.stats().per_device[0].median, Some(4.0));

    let built = LatencyTable::new(
        SpaceId::Fbnet,
        t.archs().to_vec(),
        None,
        vec!["gpu".to_string()],
        vec![Some(4.0)],
    )
    .unwrap();
    assert_eq!(built, t);
    let records = vec![LatencyRecord::new(&t.archs()[0], "gpu", 4.0)];
    assert_eq!(LatencyTable::from_records(&records).unwrap(), t);
    let json = serde_json::to_string(&records[0]).unwrap();
    assert_eq!(
        json,
        format!(
            r#"{{"space":"fbnet","arch":"{}","device":"gpu","latency_ms":4.0}}"#,
            fb("k3_e6")
        )
    );
    assert_eq!(
        serde_json::from_str::<LatencyRecord>(&json).unwrap(),
        records[0]
    );
}

#[test]
fn utf8_byte_order_mark_is_ignored() {
    // Spreadsheet exports often start with a BOM.
    let wide = format!("\u{feff}arch,gpu\n{NB_A},1\n");
    assert_eq!(
        read_wide(wide.as_bytes(), "bom.csv", None)
            .unwrap()
            .devices(),
        ["gpu"]
    );
    let long = format!("\u{feff}space,arch,device,latency_ms\nnb201,{NB_A},gpu,1\n");
    assert_eq!(read_long(long.as_bytes(), "bom.csv").unwrap().len(), 1);
    let auto = latscope_shared::dataset::read_tables(long.as_bytes(), "bom.csv").unwrap();
    assert_eq!(auto[0].n_archs(), 1);
}
