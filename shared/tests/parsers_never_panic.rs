//! Property tests of every user-facing parser of the shared crate:
//! architecture strings of both spaces and `#index`, wide and long latency
//! CSVs, samples CSVs, reference-architecture lists, the accuracy table and
//! campaign files opened for resuming. Fed arbitrary text and valid files
//! mutated (characters inserted, deleted and replaced, lines cut short), a
//! parser returns a value or an error that says where the problem is
//! (`file:line:` and the value, or the architecture string itself); it never
//! panics. Cases per parser: [`CASES`] (campaign files: [`FILE_CASES`]).

use latscope_shared::dataset::{
    read_accuracy, read_long, read_reference_archs, read_samples, read_wide, LongAppender,
};
use latscope_shared::space::SpaceId;
use latscope_shared::Error;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::io::Read;
use std::path::PathBuf;

/// Cases per in-memory parser.
const CASES: u32 = 1000;
/// Cases for parsers that read a file from disk.
const FILE_CASES: u32 = 200;

const NB201: &str = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|skip_connect~1|nor_conv_3x3~2|";
const FBNET: &str = "k3_e1-k3_e1_g2-k3_e3-k3_e6-k5_e1-k5_e1_g2-k5_e3-k5_e6-skip-k3_e1-k3_e1_g2-k3_e3-k3_e6-k5_e1-k5_e1_g2-k5_e3-k5_e6-skip-k3_e1-k3_e1-k3_e1-k3_e1";

/// The first `lines` lines of a shipped file of `static/data/` (gunzipped).
fn shipped_head(name: &str, lines: usize) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../static/data")
        .join(name);
    let file = std::fs::File::open(&path).unwrap();
    let mut text = String::new();
    if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(file)
            .take(1 << 20)
            .read_to_string(&mut text)
            .ok();
    } else {
        std::io::BufReader::new(file)
            .read_to_string(&mut text)
            .unwrap();
    }
    text.lines().take(lines).map(|l| format!("{l}\n")).collect()
}

/// One edit of a text: insert, delete or replace a character, or cut the
/// text short. Positions are fractions of the length, so they fit any text.
#[derive(Clone, Debug)]
enum Edit {
    Insert(f64, char),
    Delete(f64, usize),
    Replace(f64, char),
    Cut(f64),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Characters that matter to these formats, and any other.
    let interesting = prop_oneof![
        proptest::sample::select(vec![
            ',', '\n', '\r', '"', '|', '~', '+', '-', '_', '#', ' ', '\t', '.', 'e', 'E', '0', '9',
            '\u{feff}', 'é', '\0'
        ]),
        any::<char>(),
    ];
    prop_oneof![
        (0.0..1.0, interesting.clone()).prop_map(|(at, c)| Edit::Insert(at, c)),
        (0.0..1.0, 1usize..12).prop_map(|(at, n)| Edit::Delete(at, n)),
        (0.0..1.0, interesting).prop_map(|(at, c)| Edit::Replace(at, c)),
        (0.0..1.0).prop_map(Edit::Cut),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
        match *e {
            Edit::Insert(f, c) => {
                let i = at(f, chars.len());
                chars.insert(i, c);
            }
            Edit::Delete(f, n) => {
                let i = at(f, chars.len());
                let end = (i + n).min(chars.len());
                chars.drain(i..end);
            }
            Edit::Replace(f, c) => {
                if !chars.is_empty() {
                    let i = at(f, chars.len() - 1);
                    chars[i] = c;
                }
            }
            Edit::Cut(f) => {
                let i = at(f, chars.len());
                chars.truncate(i);
            }
        }
    }
    chars.into_iter().collect()
}

/// A valid `text` with 1 to 6 edits, or (one case in five) any string.
fn mutated(text: String) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::collection::vec(edit(), 1..6).prop_map(move |edits| apply(&text, &edits)),
        1 => any::<String>(),
    ]
}

/// A dataset error names the input and a line within it (0 only when the
/// CSV layer cannot say), and gives a reason.
fn located(e: &Error, name: &str, text: &str) -> Result<(), TestCaseError> {
    let lines = text.lines().count() as u64 + 1;
    match e {
        Error::Dataset { file, line, reason } => {
            prop_assert_eq!(file.as_str(), name);
            prop_assert!(*line <= lines, "line {} of {} lines: {}", line, lines, e);
            prop_assert!(!reason.is_empty());
        }
        Error::Io { path, .. } => prop_assert_eq!(path.as_str(), name),
        other => prop_assert!(false, "{name}: an error that names no place: {other}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config::with_cases(CASES))]

    #[test]
    fn architecture_strings_parse_or_say_what_is_wrong(
        space in proptest::sample::select(SpaceId::ALL.to_vec()),
        s in prop_oneof![mutated(NB201.into()), mutated(FBNET.into()), "#[0-9a-z+-]{0,8}"],
    ) {
        match space.parse_arch_or_index(&s) {
            Ok(arch) => prop_assert_eq!(arch.space(), space),
            Err(Error::InvalidArch { space: named, arch, reason }) => {
                prop_assert_eq!(named, space.name());
                prop_assert_eq!(arch, s);
                prop_assert!(!reason.is_empty());
            }
            Err(Error::IndexOutOfRange { .. } | Error::NoBenchmarkIndex { .. }) => {
                prop_assert!(s.starts_with('#'));
            }
            Err(other) => prop_assert!(false, "{s:?}: unexpected {other}"),
        }
    }

    #[test]
    fn wide_csv_reads_or_names_the_line(text in mutated(shipped_head("nb201_latency.csv.gz", 6))) {
        if let Err(e) = read_wide(text.as_bytes(), "w.csv", None) {
            located(&e, "w.csv", &text)?;
        }
    }

    #[test]
    fn long_csv_reads_or_names_the_line(text in mutated(long_sample())) {
        if let Err(e) = read_long(text.as_bytes(), "l.csv") {
            located(&e, "l.csv", &text)?;
        }
    }

    #[test]
    fn samples_csv_reads_or_names_the_line(text in mutated(samples_sample())) {
        if let Err(e) = read_samples(text.as_bytes(), "s.csv", SpaceId::Nb201) {
            located(&e, "s.csv", &text)?;
        }
    }

    #[test]
    fn reference_lists_read_or_name_the_line(text in mutated(shipped_head("nb201_reference_archs.txt", 8))) {
        if let Err(e) = read_reference_archs(text.as_bytes(), "r.txt", None) {
            located(&e, "r.txt", &text)?;
        }
    }

    #[test]
    fn accuracy_tables_read_or_name_the_line(text in mutated(shipped_head("nb201_accuracy.csv.gz", 6))) {
        if let Err(e) = read_accuracy(text.as_bytes(), "a.csv") {
            located(&e, "a.csv", &text)?;
        }
    }
}

/// A long file of three complete rows, as campaigns write them.
fn long_sample() -> String {
    let mut text =
        String::from("space,arch,device,latency_ms,p10_ms,p90_ms,runs,batch,precision,source\n");
    for (i, arch) in [NB201, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"]
        .iter()
        .enumerate()
    {
        text.push_str(&format!(
            "nb201,{arch},cpu_fp32_b1,{}.5,1.2,2.5,20,1,fp32,latscope-cpu\n",
            i + 1
        ));
    }
    text.push_str(&format!("fbnet,{FBNET},cpu_fp32_b1,12.25,,,,,,\n"));
    text
}

fn samples_sample() -> String {
    format!(
        "arch,latency_ms\n{NB201},3.5\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,0.25\n\
         |skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|,1e-1\n"
    )
}

proptest! {
    #![proptest_config(Config::with_cases(FILE_CASES))]

    /// A campaign file in any state (cut at any byte, edited) opens for
    /// resuming, setting a torn last row aside, or gives a located error;
    /// the rows it returns were in the file.
    #[test]
    fn campaign_files_resume_or_name_the_line(text in mutated(long_sample())) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        std::fs::write(&path, &text).unwrap();
        let name = path.display().to_string();
        match LongAppender::open(&path) {
            Ok((writer, existing)) => {
                for r in &existing {
                    prop_assert!(text.contains(&r.arch));
                }
                if let Some(torn) = writer.torn() {
                    prop_assert!(torn.line >= 1);
                }
            }
            Err(Error::Dataset { file, line, .. }) => {
                prop_assert_eq!(&file, &name);
                prop_assert!(line <= text.lines().count() as u64 + 1);
            }
            Err(other) => prop_assert!(false, "{other}"),
        }
    }
}
