//! Buffer assignment: every value of a plan gets a slot, and slots are
//! reused once their last reader has run.

use super::Step;
use latscope_shared::ir::{NodeId, Shape};
use std::collections::HashMap;

/// Gives every value a buffer slot: a step's output takes the smallest free
/// slot that fits it (or a new one), and a slot is freed after the last step
/// that reads its value. The network input and output keep theirs.
pub(super) fn assign_slots(
    steps: &[Step],
    shapes: &[Shape],
    output: NodeId,
) -> (HashMap<NodeId, usize>, Vec<u64>) {
    let mut last_read: HashMap<NodeId, usize> = HashMap::new();
    for (i, step) in steps.iter().enumerate() {
        for v in step.inputs() {
            last_read.insert(v, i);
        }
    }
    let mut slot_of = HashMap::from([(0, 0)]);
    let mut capacity = vec![shapes[0].elements()];
    let mut free: Vec<usize> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let out = step.output();
        let need = shapes[out].elements();
        let slot = match free
            .iter()
            .enumerate()
            .filter(|(_, &s)| capacity[s] >= need)
            .min_by_key(|(_, &s)| capacity[s])
        {
            Some((pos, _)) => free.swap_remove(pos),
            None => {
                capacity.push(need);
                capacity.len() - 1
            }
        };
        slot_of.insert(out, slot);
        for v in step.inputs() {
            if v != 0
                && v != output
                && last_read.get(&v) == Some(&i)
                && !free.contains(&slot_of[&v])
            {
                free.push(slot_of[&v]);
            }
        }
        // A value nobody reads (only the output, which stays) frees at once.
        if out != output && !last_read.contains_key(&out) {
            free.push(slot);
        }
    }
    (slot_of, capacity)
}
