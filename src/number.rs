//! Decimal text of `f64` values, written into byte buffers exactly as
//! `format!` writes them, without the formatting machinery.
//!
//! Scoring a large file formats a few numbers per address range, and the
//! standard library's exact-precision formatting often falls back to a
//! big-number algorithm (Dragon4): measured with callgrind, it took a
//! quarter of all instructions of batch scoring with cold row caches. The
//! values here are rounded exactly (half to even, on the binary value, as
//! the standard library does) with 128-bit integers; values out of that
//! range go through `format!`. Tests compare both on millions of values.

use std::io::Write;

/// `(mantissa, binary exponent)` of a finite `v`: `|v| = m × 2^e`.
fn decompose(v: f64) -> (u64, i32) {
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), exp - 1075)
    }
}

/// `round_half_even(m × scale / 2^sh)`, or `None` when `m × scale`
/// overflows.
fn scaled(m: u64, scale: u128, sh: u32) -> Option<u128> {
    let num = u128::from(m).checked_mul(scale)?;
    if sh == 0 {
        return Some(num);
    }
    if sh >= 128 {
        // Below 2^-128 × 2^128: less than one half.
        return Some(0);
    }
    let q = num >> sh;
    let r = num & ((1u128 << sh) - 1);
    let half = 1u128 << (sh - 1);
    Some(if r > half || (r == half && q & 1 == 1) {
        q + 1
    } else {
        q
    })
}

/// Appends `v` with `prec` decimals (at most 9), as `format!("{v:.prec$}")`.
pub(crate) fn write_fixed(out: &mut Vec<u8>, v: f64, prec: usize) {
    if let Some(n) = fixed_digits(v, prec) {
        if v.is_sign_negative() {
            out.push(b'-');
        }
        let scale = 10u128.pow(prec as u32);
        // The integer part fits 64 bits (checked in `fixed_digits`), the
        // fraction is below 10^9.
        out.extend_from_slice(itoa::Buffer::new().format((n / scale) as u64).as_bytes());
        if prec > 0 {
            out.push(b'.');
            let mut buf = itoa::Buffer::new();
            let frac = buf.format((n % scale) as u64).as_bytes();
            out.extend(std::iter::repeat_n(b'0', prec - frac.len()));
            out.extend_from_slice(frac);
        }
    } else {
        let _ = write!(out, "{v:.prec$}");
    }
}

/// `round(|v| × 10^prec)`, when it can be computed exactly here.
fn fixed_digits(v: f64, prec: usize) -> Option<u128> {
    if !v.is_finite() || prec > 9 {
        return None;
    }
    let (m, e) = decompose(v);
    let scale = 10u128.pow(prec as u32);
    if e >= 0 {
        // An integer: exact when it fits.
        if e >= 64 {
            return None;
        }
        let int = u128::from(m) << e;
        if int >> 64 != 0 {
            return None;
        }
        return int.checked_mul(scale);
    }
    scaled(m, scale, (-e) as u32)
}

/// Appends `v` as `format!("{v:.2e}")`: three significant digits.
pub(crate) fn write_sci2(out: &mut Vec<u8>, v: f64) {
    match sci2_digits(v) {
        Some((d, k)) => {
            if v.is_sign_negative() {
                out.push(b'-');
            }
            out.push(b'0' + (d / 100) as u8);
            out.push(b'.');
            out.push(b'0' + (d / 10 % 10) as u8);
            out.push(b'0' + (d % 10) as u8);
            out.push(b'e');
            out.extend_from_slice(itoa::Buffer::new().format(k).as_bytes());
        }
        None => {
            let _ = write!(out, "{v:.2e}");
        }
    }
}

/// Appends a feature value as reasons show it: an integer as is, a small
/// value with three significant digits, others with four decimals.
pub(crate) fn write_value(out: &mut Vec<u8>, v: f64) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        write_fixed(out, v, 0);
    } else if v.abs() < 1e-3 {
        write_sci2(out, v);
    } else {
        write_fixed(out, v, 4);
    }
}

/// `(d, k)` with `100 ≤ d ≤ 999` and `|v| ≈ d × 10^(k − 2)`, rounded half
/// to even; for `|v|` in [1e-20, 1) only.
fn sci2_digits(v: f64) -> Option<(u32, i32)> {
    let a = v.abs();
    if !(1e-20..1.0).contains(&a) {
        return None;
    }
    let (m, e) = decompose(v);
    let sh = (-e) as u32;
    // An estimate of the decimal exponent, corrected below.
    let mut k = a.log10().floor() as i32;
    for _ in 0..3 {
        let t = 2 - k;
        if !(0..=38).contains(&t) {
            return None;
        }
        let d = scaled(m, 10u128.pow(t as u32), sh)?;
        if d >= 1000 {
            k += 1;
        } else if d < 100 {
            k -= 1;
        } else {
            return Some((d as u32, k));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(v: f64, prec: usize) -> String {
        let mut out = Vec::new();
        write_fixed(&mut out, v, prec);
        String::from_utf8(out).unwrap()
    }

    fn sci(v: f64) -> String {
        let mut out = Vec::new();
        write_sci2(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    /// Values that stress rounding: ties at every precision, powers of ten
    /// and their neighbours, probabilities near 0 and 1, and random bits.
    fn values() -> Vec<f64> {
        let mut v = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            0.25,
            0.125,
            0.03125,
            0.00005,
            0.99995,
            9.996e-5,
            1e-300,
            -3.2e-5,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            1e15,
            123456.78905,
            f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
            2f64.powi(60),
            2f64.powi(64) + 4096.0,
        ];
        for k in 0..=20_000u32 {
            v.push(f64::from(k) / 32.0);
            v.push(f64::from(k) / 20_000.0);
            v.push(f64::from(k) / 1024.0 / 1024.0);
        }
        for p in -25..=20 {
            let x = 10f64.powi(p);
            v.extend([x, x.next_up(), x.next_down(), -x]);
        }
        let mut s = 0x1234_5678_9abc_def0u64;
        for _ in 0..60_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            // Random bits, and random probabilities.
            v.push(f64::from_bits(s));
            v.push((s >> 11) as f64 / (1u64 << 53) as f64);
            v.push((s >> 11) as f64 / (1u64 << 53) as f64 * 1e-3);
        }
        v
    }

    #[test]
    fn fixed_matches_format() {
        for v in values() {
            for prec in [0, 1, 2, 4, 6, 9] {
                assert_eq!(fixed(v, prec), format!("{v:.prec$}"), "{v:e} at {prec}");
            }
        }
    }

    #[test]
    fn sci2_matches_format() {
        for v in values() {
            assert_eq!(sci(v), format!("{v:.2e}"), "{v:e}");
        }
    }

    #[test]
    fn values_match_their_format_definition() {
        for v in values() {
            let want = if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{v:.0}")
            } else if v.abs() < 1e-3 {
                format!("{v:.2e}")
            } else {
                format!("{v:.4}")
            };
            let mut out = Vec::new();
            write_value(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{v:e}");
        }
    }

    #[test]
    fn the_fast_paths_are_taken() {
        assert!(fixed_digits(0.1234, 4).is_some());
        assert!(fixed_digits(1e-300, 4).is_some());
        assert!(sci2_digits(3.59e-5).is_some());
        assert!(sci2_digits(1.5e-20).is_some());
    }
}
