//! Tasks: which devices a method pretrains on and which it must transfer to.
//!
//! * The published tasks N0, N5, F0 and F5 ([`Task::builtin`]), with the
//!   device lists of NASFLAT (Akhauri & Abdelfattah, MLSys 2024) restricted
//!   to the devices of the public HELP data.
//! * Generated tasks `auto-<space>-<n>` ([`super::autotask`]): the device set
//!   bisected by Kernighan–Lin on the devices' latency correlations, seed `n`.
//! * The "plenty of data" protocol `plenty-<space>-<device>`: no training
//!   device at all, the method adapts to one device from many samples (the
//!   CLI's default K there is 1000) and predicts the rest of that device;
//!   `loo-<space>-<device>` is the same with every other device of the data
//!   as training devices (leave one device out).
//! * The one-proxy protocol `proxy-<space>-<device>` (One Proxy Device Is
//!   Enough): pretrain on that single device, transfer to every other one.

use super::autotask::{auto_split, AutoTaskOptions};
use crate::error::{Error, Result, TaskProblem};
use latscope_shared::dataset::LatencyTable;
use latscope_shared::space::SpaceId;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// A transfer task: pretrain on `train_devices`, adapt to each of
/// `test_devices` from a few samples.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Task {
    /// The task's name as given on the command line and printed in reports (`N0`,
    /// `auto-nb201-3`, `loo-fbnet-pixel3`...).
    pub name: String,
    /// The search space of the architectures, which fixes the latency table to use.
    pub space: SpaceId,
    /// Devices the method pretrains on, with all their latencies; empty for the `plenty-`
    /// protocol.
    pub train_devices: Vec<String>,
    /// Devices the method adapts to from K samples each and is scored on; never empty and
    /// disjoint from the training devices.
    pub test_devices: Vec<String>,
    /// Things a reader of the results must know (devices of the published
    /// task that the data lacks, how a generated task was made).
    pub notes: Vec<String>,
}

fn names(list: &str) -> Vec<String> {
    list.split(',').map(|s| s.trim().to_string()).collect()
}

/// The published tasks' names, in the order [`Task::builtin`] knows them.
pub const BUILTIN_TASKS: [&str; 4] = ["N0", "N5", "F0", "F5"];

/// The validation tasks' names. Every design choice and hyperparameter of
/// the few-shot methods is made on these; their devices are disjoint from
/// the test devices of N0, N5, F0 and F5 in *both* spaces (titan_rtx_256,
/// gold_6226, fpga, pixel2, raspi4, eyeriss, essential_ph_1, samsung_s7
/// appear in no validation task, not even as training devices), so the
/// reported tasks never steer a choice.
pub const VALIDATION_TASKS: [&str; 4] = ["val-N0", "val-N5", "val-F0", "val-F5"];

/// Devices that are the test devices of a reported task (in either space):
/// no validation task may use them.
pub const REPORTED_TEST_DEVICES: [&str; 8] = [
    "titan_rtx_256",
    "gold_6226",
    "fpga",
    "pixel2",
    "raspi4",
    "eyeriss",
    "essential_ph_1",
    "samsung_s7",
];

impl Task {
    /// One of the published tasks N0, N5, F0, F5 (case-insensitive), device
    /// lists as in NASFLAT's task suite (`ANCHORS.md`).
    pub fn builtin(name: &str) -> Option<Task> {
        let (name, space, train, test, notes): (&str, SpaceId, &str, &str, Vec<String>) =
            match name.to_ascii_uppercase().as_str() {
                "N0" => (
                    "N0",
                    SpaceId::Nb201,
                    "1080ti_1,1080ti_32,1080ti_256,silver_4114,silver_4210r,samsung_a50,pixel3,essential_ph_1,samsung_s7",
                    "titan_rtx_256,gold_6226,fpga,pixel2,raspi4,eyeriss",
                    vec!["HELP's NB201 split (its meta-test devices)".into()],
                ),
                "N5" => (
                    "N5",
                    SpaceId::Nb201,
                    "titan_rtx_1,titan_rtx_32,titanxp_1,2080ti_1,titanx_1,1080ti_1,titanx_32,titanxp_32,2080ti_32,1080ti_32,gold_6226,samsung_s7,silver_4114,gold_6240,silver_4210r,samsung_a50,pixel2",
                    "eyeriss",
                    vec![
                        "the published N5 also tests on 2 HW-NAS-Bench devices that the HELP data \
                         lacks; only eyeriss is evaluated here, so results are not directly \
                         comparable with the published N5 mean"
                            .into(),
                    ],
                ),
                "F0" => (
                    "F0",
                    SpaceId::Fbnet,
                    "1080ti_1,1080ti_32,1080ti_64,silver_4114,silver_4210r,samsung_a50,pixel3,essential_ph_1,samsung_s7",
                    "fpga,raspi4,eyeriss",
                    vec!["HELP's FBNet split".into()],
                ),
                "F5" => (
                    "F5",
                    SpaceId::Fbnet,
                    "1080ti_1,1080ti_32,1080ti_64,2080ti_1,2080ti_32,2080ti_64,titan_rtx_1,titan_rtx_32,titan_rtx_64,titanx_1,titanx_32,titanx_64,titanxp_1,titanxp_32,titanxp_64",
                    "gold_6226,essential_ph_1,samsung_s7,pixel2",
                    vec!["all 15 desktop-GPU configurations → CPUs and phones".into()],
                ),
                // Validation tasks: the shapes of the published ones, on the
                // devices no published task tests on.
                "VAL-N0" => (
                    "val-N0",
                    SpaceId::Nb201,
                    "1080ti_1,1080ti_32,1080ti_256,silver_4114,gold_6240,samsung_a50,titanx_1,titanx_32,titanxp_1",
                    "titanx_256,silver_4210r,pixel3,titan_rtx_1,titan_rtx_32,titanxp_32",
                    vec!["validation (N0's shape: GPUs at 3 batch sizes, CPUs, a phone → a large-batch GPU, a CPU, a phone, GPUs)".into()],
                ),
                "VAL-N5" => (
                    "val-N5",
                    SpaceId::Nb201,
                    "titan_rtx_1,2080ti_1,titanx_1,1080ti_1,titanx_32,2080ti_32,1080ti_32,silver_4114,gold_6240,samsung_a50,pixel3",
                    "titanxp_256,titanx_256",
                    vec!["validation (N5's shape: no training device resembles the additive test devices)".into()],
                ),
                "VAL-F0" => (
                    "val-F0",
                    SpaceId::Fbnet,
                    "1080ti_1,1080ti_32,1080ti_64,silver_4114,samsung_a50,titanx_1,titanx_32,2080ti_1,titanxp_64",
                    "pixel3,silver_4210r,gold_6240,titan_rtx_64,2080ti_32",
                    vec!["validation (F0's shape)".into()],
                ),
                "VAL-F5" => (
                    "val-F5",
                    SpaceId::Fbnet,
                    "1080ti_1,1080ti_32,1080ti_64,2080ti_1,2080ti_32,2080ti_64,titan_rtx_1,titan_rtx_32,titan_rtx_64,titanx_1,titanx_32,titanx_64,titanxp_1,titanxp_32,titanxp_64",
                    "silver_4114,silver_4210r,gold_6240,samsung_a50,pixel3",
                    vec!["validation (F5's shape: desktop GPUs → CPUs and phones)".into()],
                ),
                _ => return None,
            };
        Some(Task {
            name: name.to_string(),
            space,
            train_devices: names(train),
            test_devices: names(test),
            notes,
        })
    }

    /// The per-device protocol: adapt to `device` from many samples and
    /// predict the rest of it. `others` makes every other device of `table`
    /// a training device (leave one out); otherwise there is none.
    pub fn single_device(table: &LatencyTable, device: &str, others: bool) -> Result<Task> {
        table.require_device(device)?;
        let train_devices = if others {
            table
                .devices()
                .iter()
                .filter(|d| *d != device)
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let (prefix, note) = if others {
            (
                "loo",
                "pretrained on every other device; absolute accuracy on one device",
            )
        } else {
            (
                "plenty",
                "no training device; absolute accuracy on one device from K samples",
            )
        };
        Ok(Task {
            name: format!("{prefix}-{}-{device}", table.space()),
            space: table.space(),
            train_devices,
            test_devices: vec![device.to_string()],
            notes: vec![note.to_string()],
        })
    }

    /// `proxy-<space>-<device>`: the one proxy device is the only training
    /// device, every other device of `table` a test device.
    pub fn proxy(table: &LatencyTable, device: &str) -> Result<Task> {
        table.require_device(device)?;
        Ok(Task {
            name: format!("proxy-{}-{device}", table.space()),
            space: table.space(),
            train_devices: vec![device.to_string()],
            test_devices: table
                .devices()
                .iter()
                .filter(|d| *d != device)
                .cloned()
                .collect(),
            notes: vec![format!(
                "one proxy device ({device}); nearest-device keeps the proxy's ranking \
                 (its ρ is the proxy's monotonicity), op-lut-transfer is the paper's \
                 per-operator adaptation"
            )],
        })
    }

    /// Checks that the task fits `table`: same space, every device present,
    /// no device twice, training and test devices disjoint, at least one test
    /// device.
    pub fn validate(&self, table: &LatencyTable) -> Result<()> {
        let bad = |problem| {
            Err(Error::InvalidTask {
                task: self.name.clone(),
                problem,
            })
        };
        if table.space() != self.space {
            return bad(TaskProblem::WrongSpace {
                task: self.space,
                data: table.space(),
            });
        }
        if self.test_devices.is_empty() {
            return bad(TaskProblem::NoTestDevice);
        }
        let mut seen = HashSet::new();
        for d in self.train_devices.iter().chain(&self.test_devices) {
            if table.device_position(d).is_none() {
                return bad(TaskProblem::DeviceNotInData {
                    device: d.clone(),
                    known: table.devices().to_vec(),
                });
            }
            if !seen.insert(d.as_str()) {
                return bad(TaskProblem::DeviceTwice { device: d.clone() });
            }
        }
        Ok(())
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {} → {}",
            self.name,
            self.space,
            if self.train_devices.is_empty() {
                "(no training device)".to_string()
            } else {
                self.train_devices.join(",")
            },
            self.test_devices.join(",")
        )
    }
}

/// A task as named on the command line, before the data is read (generated
/// tasks need the data to exist).
#[derive(Clone, Debug, PartialEq)]
pub enum TaskSpec {
    /// N0, N5, F0, F5.
    Builtin(Task),
    /// `auto-<space>-<n>`: Kernighan–Lin bisection with seed `n`.
    Auto {
        /// The search space whose table's devices are split.
        space: SpaceId,
        /// Seed of the bisection's random start, so that each `n` names a different split.
        seed: u64,
    },
    /// `plenty-<space>-<device>` (`others` false) or `loo-<space>-<device>`.
    SingleDevice {
        /// The search space whose table holds the device.
        space: SpaceId,
        /// The single device adapted to and scored on.
        device: String,
        /// Whether every other device of the table is a training device (`loo-`) or none is
        /// (`plenty-`).
        others: bool,
    },
    /// `proxy-<space>-<device>`: pretrain on one device, test on the rest.
    Proxy {
        /// The search space whose table holds the device.
        space: SpaceId,
        /// The one training device; every other device of the table is a test device.
        device: String,
    },
}

impl TaskSpec {
    /// The search space the task's latency table must be of.
    pub fn space(&self) -> SpaceId {
        match self {
            TaskSpec::Builtin(t) => t.space,
            TaskSpec::Auto { space, .. }
            | TaskSpec::SingleDevice { space, .. }
            | TaskSpec::Proxy { space, .. } => *space,
        }
    }

    /// True for the per-device protocols (plenty / loo), whose natural K is
    /// large.
    pub fn is_single_device(&self) -> bool {
        matches!(self, TaskSpec::SingleDevice { .. })
    }

    /// The task on `table`, validated against it.
    pub fn resolve(&self, table: &LatencyTable) -> Result<Task> {
        let task = match self {
            TaskSpec::Builtin(t) => t.clone(),
            TaskSpec::Auto { seed, .. } => {
                let split = auto_split(table, *seed, &AutoTaskOptions::default())?;
                Task {
                    name: format!("auto-{}-{seed}", table.space()),
                    space: table.space(),
                    train_devices: split.train_devices,
                    test_devices: split.test_devices,
                    notes: split.notes,
                }
            }
            TaskSpec::SingleDevice { device, others, .. } => {
                Task::single_device(table, device, *others)?
            }
            TaskSpec::Proxy { device, .. } => Task::proxy(table, device)?,
        };
        task.validate(table)?;
        Ok(task)
    }
}

impl FromStr for TaskSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if let Some(task) = Task::builtin(s) {
            return Ok(TaskSpec::Builtin(task));
        }
        let unknown = || Error::UnknownTask {
            name: s.to_string(),
            builtin: BUILTIN_TASKS.map(String::from).to_vec(),
            spaces: SpaceId::names().into_iter().map(String::from).collect(),
        };
        let (kind, rest) = s.split_once('-').ok_or_else(unknown)?;
        let (space, tail) = rest.split_once('-').ok_or_else(unknown)?;
        let space: SpaceId = space.parse().map_err(|_| unknown())?;
        match kind {
            "auto" => {
                let seed = tail.parse::<u64>().map_err(|_| unknown())?;
                Ok(TaskSpec::Auto { space, seed })
            }
            "plenty" | "loo" if !tail.is_empty() => Ok(TaskSpec::SingleDevice {
                space,
                device: tail.to_string(),
                others: kind == "loo",
            }),
            "proxy" if !tail.is_empty() => Ok(TaskSpec::Proxy {
                space,
                device: tail.to_string(),
            }),
            _ => Err(unknown()),
        }
    }
}
