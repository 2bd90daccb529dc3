//! Samples a runtime folded into a constant instead of running the network.

/// Which samples a runtime evidently folded into a constant: a network whose output cannot
/// depend on its input (`constant_output[i]`, from
/// [`latscope_shared::space::Arch::output_depends_on_input`]) measured below a tenth of the
/// fastest sample that does depend on its input. tract times the all-`none` NB201 cell at
/// 0.00024 ms, and HELP's pixel3 and raspi4 measured such cells at 0.003 and 0.011 ms, where
/// their fastest real network takes 1.05 and 2.5 ms: those times say nothing about the device
/// and would drag a fit towards absurdly fast predictions. Constant-output networks measured
/// by a runtime that runs every layer (their time in line with the others) are kept. Indices
/// into the samples; none when no sample depends on its input.
pub fn folded(constant_output: &[bool], ms: &[f64]) -> Vec<usize> {
    let fastest_real = constant_output
        .iter()
        .zip(ms)
        .filter(|(c, _)| !**c)
        .map(|(_, v)| *v)
        .fold(f64::INFINITY, f64::min);
    if !fastest_real.is_finite() {
        return vec![];
    }
    (0..ms.len())
        .filter(|&i| constant_output[i] && ms[i] < 0.1 * fastest_real)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::folded;

    #[test]
    fn only_implausibly_fast_constant_networks_are_folded() {
        let constant = [true, false, true, false];
        // 0.0002 ms beside 2 ms: folded; 3 ms: a runtime that ran the layers.
        assert_eq!(folded(&constant, &[0.0002, 2.0, 3.0, 4.0]), vec![0]);
        assert_eq!(
            folded(&constant, &[0.5, 2.0, 3.0, 4.0]),
            Vec::<usize>::new()
        );
        // Nothing to compare with: nothing is called folded.
        assert!(folded(&[true, true], &[0.0002, 0.0003]).is_empty());
    }
}
