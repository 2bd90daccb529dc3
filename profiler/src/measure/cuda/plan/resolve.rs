//! What each node's value is once aliases, zeros and repeated weightless
//! ops are resolved, which nodes the output needs, and who reads them: the
//! analysis the planner runs before it emits a step.

use latscope_shared::ir::{Network, NodeId, Op};
use std::collections::HashMap;

/// What a node's value turned out to be after aliasing and folding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Resolved {
    /// The value of this (representative) node.
    Node(NodeId),
    /// All zeros.
    Zero,
}

impl Resolved {
    /// The representative node, unless the value is all zeros.
    pub(super) fn node(self) -> Option<NodeId> {
        match self {
            Resolved::Node(n) => Some(n),
            Resolved::Zero => None,
        }
    }
}

/// Aliases, zero folding and common weightless ops, in one forward pass.
pub(super) fn resolve(net: &Network) -> Vec<Resolved> {
    let mut resolved = Vec::with_capacity(net.nodes.len());
    let mut seen: HashMap<(Op, Vec<NodeId>), NodeId> = HashMap::new();
    for (id, node) in net.nodes.iter().enumerate() {
        let ins: Vec<Resolved> = node.inputs.iter().map(|&i| resolved[i]).collect();
        let r = match &node.op {
            Op::Identity => ins[0],
            Op::Zero => Resolved::Zero,
            Op::Add => {
                let mut terms: Vec<NodeId> = ins.iter().filter_map(|r| r.node()).collect();
                match terms.len() {
                    0 => Resolved::Zero,
                    1 => Resolved::Node(terms[0]),
                    _ => {
                        terms.sort_unstable();
                        Resolved::Node(*seen.entry((Op::Add, terms)).or_insert(id))
                    }
                }
            }
            // Single-input ops with f(0) = 0: relu, relu6 and hswish of 0 are
            // 0; the pools of zeros (zero-padded) are 0; a shuffle moves zeros.
            Op::Activation { .. }
            | Op::AvgPool { .. }
            | Op::MaxPool { .. }
            | Op::GlobalAvgPool
            | Op::ChannelShuffle { .. } => match ins[0].node() {
                None => Resolved::Zero,
                Some(n) => Resolved::Node(*seen.entry((node.op.clone(), vec![n])).or_insert(id)),
            },
            // Ops with weights (each node has its own) and the input.
            _ => Resolved::Node(id),
        };
        resolved.push(r);
    }
    resolved
}

/// Which representative nodes the output depends on.
pub(super) fn live_nodes(net: &Network, resolved: &[Resolved]) -> Vec<bool> {
    let mut live = vec![false; net.nodes.len()];
    let mut stack: Vec<NodeId> = resolved[net.output].node().into_iter().collect();
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut live[id], true) {
            continue;
        }
        for &i in &net.nodes[id].inputs {
            stack.extend(resolved[i].node());
        }
    }
    live
}

/// For every representative node, the live representative nodes reading it
/// (one entry per read).
pub(super) fn consumers(net: &Network, resolved: &[Resolved], live: &[bool]) -> Vec<Vec<NodeId>> {
    let mut readers = vec![Vec::new(); net.nodes.len()];
    for (id, node) in net.nodes.iter().enumerate() {
        if !live[id] || resolved[id] != Resolved::Node(id) {
            continue;
        }
        for &i in &node.inputs {
            if let Some(n) = resolved[i].node() {
                readers[n].push(id);
            }
        }
    }
    readers
}
