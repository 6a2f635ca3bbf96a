//! Read-only decoder for version-1 shares, made by the `blahaj` crate until format version 2
//! (docs/adr/0006-constant-time-shamir.md). Kits already printed and pieces already stored hold
//! such shares, so they must still combine; nothing new is split with this module.
//!
//! Version 1 is Shamir's scheme over GF(2^8) with the reduction polynomial
//! x^8 + x^4 + x^3 + x^2 + 1 (0x11d), x-coordinates 1, 2, 3, … and a share laid out `x(1) || y(n)`.
//! The secret is the value at x = 0 of the polynomial through the shares, by Lagrange interpolation
//! (A. Shamir, "How to share a secret", CACM 22(11), 1979):
//!
//! ```text
//! secret[k] = Σ_i y_i[k] · Π_{j≠i} x_j / (x_j − x_i)        (− is + is XOR in GF(2^8))
//! ```
//!
//! Constant time, unlike `blahaj` (log/exp tables indexed by share bytes): no table lookup and no
//! branch depends on a share byte. Multiplication is shift-and-add with masks, inversion is a^254
//! by a fixed chain of squarings (the multiplicative group has order 255).

use zeroize::Zeroizing;

/// The low byte of the reduction polynomial 0x11d (x^8 is the carry out of the shift).
const REDUCTION: u8 = 0x1d;

/// Product in GF(2^8) modulo 0x11d, without tables or data-dependent branches.
fn mul(a: u8, b: u8) -> u8 {
    let (mut a, mut b, mut product) = (a, b, 0u8);
    for _ in 0..8 {
        product ^= a & (b & 1).wrapping_neg();
        b >>= 1;
        let carry = (a >> 7).wrapping_neg();
        a = (a << 1) ^ (REDUCTION & carry);
    }
    product
}

/// Inverse in GF(2^8): a^254 = a^(2+4+…+128). Zero has none (gives 0; callers refuse x = 0 and
/// equal x-coordinates first).
fn invert(a: u8) -> u8 {
    let (mut square, mut result) = (a, 1u8);
    for _ in 0..7 {
        square = mul(square, square);
        result = mul(result, square);
    }
    result
}

/// The secret from version-1 shares (`x || y`, already checked: at least two, all of one length,
/// x-coordinates non-zero and different). `None` if they are not.
pub(crate) fn combine(shares: &[&[u8]]) -> Option<Zeroizing<Vec<u8>>> {
    let xs: Vec<u8> = shares.iter().map(|s| s.first().copied()).collect::<Option<_>>()?;
    let len = shares.first()?.len();
    let distinct = xs.iter().enumerate().all(|(i, x)| *x != 0 && !xs[..i].contains(x));
    if shares.len() < 2 || len < 2 || shares.iter().any(|s| s.len() != len) || !distinct {
        return None;
    }
    let lagrange_at_zero =
        xs.iter().map(|&xi| xs.iter().filter(|&&xj| xj != xi).fold(1u8, |acc, &xj| mul(acc, mul(xj, invert(xj ^ xi)))));
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (share, coefficient) in shares.iter().zip(lagrange_at_zero) {
        for (out, y) in secret.iter_mut().zip(&share[1..]) {
            *out ^= mul(coefficient, *y);
        }
    }
    Some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference products in GF(2^8) mod 0x11d: 2 is a generator, 2^8 = 0x1d, 2^255 = 1.
    #[test]
    fn field_arithmetic_matches_the_polynomial() {
        assert_eq!(mul(0x80, 2), 0x1d);
        assert_eq!(mul(0x53, 1), 0x53);
        assert_eq!(mul(0, 0xff), 0);
        let mut power = 1u8;
        for i in 1..=255 {
            power = mul(power, 2);
            assert_eq!(power == 1, i == 255, "2 generates the group, order 255 (at {i})");
        }
        for a in 1..=255u8 {
            assert_eq!(mul(a, invert(a)), 1, "inverse of {a}");
        }
    }

    /// `blahaj` 0.7, `Sharks(3)`, five shares of "coffre v1 threshold 3" (captured before it was
    /// removed): any three give the secret, two give something else.
    #[test]
    fn blahaj_threshold_3_vector() {
        let shares: Vec<Vec<u8>> = [
            "01da60421c456f6fbff28072c5aea4a636c29e1e6946",
            "023a359b9b1e3af2f35eb27fb8a3c75ab772f030dc91",
            "03833abfe12930bd3a9d1279157f068fe9df024a95e4",
            "0409d66fa5a2eab44918027eb300c8635a20c0766057",
            "05b0d94bdf95e0fb80dba2781edc09b6048d320c2922",
        ]
        .iter()
        .map(|h| hex::decode(h).expect("hex"))
        .collect();
        let pick = |idx: &[usize]| combine(&idx.iter().map(|&i| shares[i].as_slice()).collect::<Vec<_>>());
        for idx in [[0, 1, 2], [0, 2, 4], [4, 3, 1]] {
            assert_eq!(pick(&idx).expect("three").as_slice(), b"coffre v1 threshold 3");
        }
        assert_eq!(pick(&[0, 1, 2, 3, 4]).expect("all five").as_slice(), b"coffre v1 threshold 3");
        assert_ne!(pick(&[0, 1]).expect("two").as_slice(), b"coffre v1 threshold 3");
    }

    #[test]
    fn refuses_what_cannot_be_interpolated() {
        assert!(combine(&[&[1, 5]]).is_none(), "one share");
        assert!(combine(&[&[1, 5], &[1, 6]]).is_none(), "same x");
        assert!(combine(&[&[0, 5], &[1, 6]]).is_none(), "x = 0 is the secret itself");
        assert!(combine(&[&[1, 5], &[2, 6, 7]]).is_none(), "lengths differ");
        assert!(combine(&[&[1], &[2]]).is_none(), "no y");
        assert!(combine(&[&[], &[2, 1]]).is_none(), "empty");
    }
}
