//! The README cannot drift from its results files. A table preceded by
//! `<!-- figures: static/results/A.txt [static/results/B.txt ...] -->` must be made of numbers
//! read from those files: for each row, the lines of the files that begin with the row's label
//! (its first cell, without backticks or emphasis) are taken in order, and the row's numbers,
//! left to right, must be found among those lines' numbers in the same order, each equal to
//! the file's value rounded to as many decimals as the README prints. A cell edited by hand, a
//! stale table after a re-run, or a row whose label the files do not have fails the test.

use regex::Regex;
use std::path::Path;

const MARKER: &str = "<!-- figures:";

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// A number as printed: its value and how many decimals it was printed with.
#[derive(Clone, Copy, Debug)]
struct Printed {
    value: f64,
    decimals: i32,
}

/// An optional sign, digits with an optional fraction, or a bare fraction (".973").
fn number_pattern() -> Regex {
    Regex::new(r"[-−]?(?:\d+(?:\.\d+)?|\.\d+)").unwrap()
}

fn numbers(text: &str) -> Vec<Printed> {
    number_pattern()
        .find_iter(text)
        .map(|m| {
            let s = m.as_str().replace('−', "-");
            let decimals = s.split_once('.').map_or(0, |(_, f)| f.len() as i32);
            Printed {
                value: s.parse().unwrap(),
                decimals,
            }
        })
        .collect()
}

/// Whether `file` rounds to `readme` at the README's precision.
fn agrees(readme: Printed, file: Printed) -> bool {
    let half_unit = 0.5 * 10f64.powi(-readme.decimals);
    (readme.value - file.value).abs() <= half_unit + 1e-9
}

fn label_of(cell: &str) -> String {
    cell.trim()
        .trim_matches(|c| c == '`' || c == '*')
        .trim()
        .to_string()
}

/// A marked table: the files it cites and its data rows (label, the rest of the row).
struct Table {
    line: usize,
    files: Vec<String>,
    rows: Vec<(usize, String, String)>,
}

fn marked_tables(readme: &str) -> Vec<Table> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut tables = vec![];
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim().strip_prefix(MARKER) else {
            continue;
        };
        let files = rest
            .trim_end_matches("-->")
            .split_whitespace()
            .map(String::from)
            .collect();
        let mut rows = vec![];
        let body = lines[i + 1..]
            .iter()
            .enumerate()
            .take_while(|(_, l)| l.trim_start().starts_with('|'));
        // The header row and the |---| separator carry no figures.
        for (j, row) in body.skip(2) {
            let cells: Vec<&str> = row.trim().trim_matches('|').split('|').collect();
            let label = label_of(cells[0]);
            rows.push((i + 2 + j, label, cells[1..].join("|")));
        }
        tables.push(Table {
            line: i + 1,
            files,
            rows,
        });
    }
    tables
}

/// Checks one table against its files; returns what disagrees.
fn check(table: &Table, read: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut problems = vec![];
    let mut texts = vec![];
    for f in &table.files {
        match read(f) {
            Some(t) => texts.push(t),
            None => problems.push(format!(
                "README line {}: cites {f}, which does not exist",
                table.line
            )),
        }
    }
    if table.rows.is_empty() {
        problems.push(format!(
            "README line {}: marker without a table",
            table.line
        ));
    }
    for (line, label, rest) in &table.rows {
        let source: Vec<Printed> = texts
            .iter()
            .flat_map(|t| t.lines())
            .filter(|l| {
                l.trim_start()
                    .strip_prefix(label.as_str())
                    .is_some_and(|after| after.is_empty() || after.starts_with(char::is_whitespace))
            })
            .flat_map(numbers)
            .collect();
        if source.is_empty() {
            problems.push(format!(
                "README line {line}: no line of {} begins with {label:?}",
                table.files.join(", ")
            ));
            continue;
        }
        let mut from = 0;
        for n in numbers(rest) {
            match source[from..].iter().position(|s| agrees(n, *s)) {
                Some(p) => from += p + 1,
                None => {
                    problems.push(format!(
                        "README line {line} ({label}): {} (printed with {} decimals) is not in \
                         {}'s {label:?} lines at that place",
                        n.value,
                        n.decimals,
                        table.files.join(", ")
                    ));
                    break;
                }
            }
        }
    }
    problems
}

fn read_repo_file(f: &str) -> Option<String> {
    std::fs::read_to_string(repo().join(f)).ok()
}

#[test]
fn every_marked_readme_table_matches_its_results_files() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let tables = marked_tables(&readme);
    let problems: Vec<String> = tables
        .iter()
        .flat_map(|t| check(t, &read_repo_file))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        tables.len() >= 8,
        "only {} marked tables in the README",
        tables.len()
    );
}

/// The check bites: editing any one figure of a marked table, or citing a missing file, fails.
#[test]
fn an_edited_figure_fails_the_check() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let tables = marked_tables(&readme);
    let table = tables
        .iter()
        .find(|t| t.files.iter().any(|f| f.ends_with("eval_F5.txt")))
        .expect("the F5 table is marked");
    assert!(check(table, &read_repo_file).is_empty());
    let mut edited_any = false;
    let re = number_pattern();
    for (r, (_, _, rest)) in table.rows.iter().enumerate() {
        // Raise the row's first figure by two units of its last printed decimal.
        let Some(first) = numbers(rest).into_iter().next() else {
            continue;
        };
        let m = re.find(rest).unwrap();
        let bumped = first.value + 2.0 * 10f64.powi(-first.decimals);
        let printed = format!("{bumped:.*}", first.decimals as usize);
        let printed = if m.as_str().starts_with('.') {
            printed.trim_start_matches('0').to_string()
        } else {
            printed
        };
        let mut edited = Table {
            line: table.line,
            files: table.files.clone(),
            rows: table.rows.clone(),
        };
        edited.rows[r].2 = format!("{}{}{}", &rest[..m.start()], printed, &rest[m.end()..]);
        let problems = check(&edited, &read_repo_file);
        assert!(
            !problems.is_empty(),
            "editing row {r} ({rest}) to {printed} went unnoticed"
        );
        edited_any = true;
    }
    assert!(edited_any);
    let missing = Table {
        line: 1,
        files: vec!["static/results/no_such_file.txt".into()],
        rows: table.rows.clone(),
    };
    assert!(!check(&missing, &read_repo_file).is_empty());
}
