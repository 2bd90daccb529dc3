//! Latency numbers as text.
//!
//! HELP's files were written by Python, whose `repr(float)` is the shortest
//! string that reads back to the same `f64`, with `.0` on whole numbers and
//! an exponent outside `1e-4 <= |x| < 1e16`. Rust's `Display` picks the same
//! shortest digits but never uses an exponent and drops the `.0`, so
//! [`format_latency`] puts those back: every value re-reads to the same bits,
//! and a HELP file converted wide → long → wide comes back as the same text.

/// Formats `x` like Python's `repr(float)`: shortest round-trip digits,
/// `9.0` rather than `9`, `1e-05` rather than `0.00001`.
pub fn format_latency(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let (digits, exponent) = shortest_digits(x);
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 || (-4..16).contains(&exponent) {
        format!("{sign}{}", fixed(&digits, exponent))
    } else {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{first}{dot}{rest}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        )
    }
}

/// The shortest significant digits that read back as `x` (no sign, no
/// trailing zeros), and the decimal exponent of the first one.
///
/// Rust's shortest formatting rounds a value lying exactly halfway between
/// two shortest candidates up, Python's picks the even one (HELP's GPU
/// timings are float32 values widened to f64, so such ties do occur:
/// 9.4391632080078125 is written `9.439163208007812`). Rust's fixed-precision
/// formatting is exact and rounds ties to even, so re-formatting at the
/// shortest length gives Python's choice.
fn shortest_digits(x: f64) -> (String, i32) {
    let split = |sci: &str| -> (String, i32) {
        let (mantissa, exponent) = sci.split_once('e').expect("`{:e}` writes an exponent");
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let digits = digits.trim_end_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        (
            digits.to_string(),
            exponent.parse().expect("`{:e}` writes an integer exponent"),
        )
    };
    let shortest = split(&format!("{:e}", x.abs()));
    let even = format!("{:.*e}", shortest.0.len() - 1, x.abs());
    if even.parse::<f64>() == Ok(x.abs()) {
        split(&even)
    } else {
        shortest
    }
}

/// `digits × 10^exponent` (first digit in the units place for exponent 0)
/// in positional notation, always with a fractional part.
fn fixed(digits: &str, exponent: i32) -> String {
    if exponent < 0 {
        let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
        return format!("0.{zeros}{digits}");
    }
    let int_len = exponent as usize + 1;
    if digits.len() <= int_len {
        format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
    } else {
        format!("{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // The exact binary values of the halfway cases are spelled out on purpose.
    #[allow(clippy::excessive_precision)]
    fn matches_python_repr() {
        // Expected strings are Python 3's repr() of the same values.
        let cases = [
            (9.0, "9.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (10.75437068939209, "10.75437068939209"),
            (3.645620000000001, "3.645620000000001"),
            (0.00327686, "0.00327686"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1.234e20, "1.234e+20"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e-300, "1e-300"),
            (123456.0, "123456.0"),
            (1e15, "1000000000000000.0"),
            (0.5, "0.5"),
            (-2.5e-9, "-2.5e-09"),
            // A halfway case: Python rounds to even, Rust's `{}` rounds up.
            (9.4391632080078125, "9.439163208007812"),
            (12.1234130859375, "12.1234130859375"),
        ];
        for (x, want) in cases {
            assert_eq!(format_latency(x), want, "formatting {x:?}");
            assert_eq!(
                format_latency(x).parse::<f64>().unwrap().to_bits(),
                x.to_bits()
            );
        }
    }

    #[test]
    fn always_reads_back_to_the_same_bits() {
        // A fixed pseudo-random walk over bit patterns of all magnitudes.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f64::from_bits(state);
            if x.is_finite() {
                let text = format_latency(x);
                assert_eq!(
                    text.parse::<f64>().unwrap().to_bits(),
                    x.to_bits(),
                    "{x:e} -> {text}"
                );
            }
            let y = (state >> 40) as f32 as f64 / 1024.0; // float32-widened, tie-prone
            assert_eq!(format_latency(y).parse::<f64>().unwrap(), y);
        }
    }
}
