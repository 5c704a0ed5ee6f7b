//! A seeded PRNG and the random inputs of a campaign, each a fixed function of the seed and its
//! index.

use crate::harness::ops::generate::Profile;

/// SplitMix64 (Steele, Lea and Flood): a tiny, fast, seedable PRNG whose every output is a
/// fixed function of the seed, so that a campaign is reproducible everywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting at `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (`bound > 0`), by multiply-shift.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((self.next_u64() as u128 * bound as u128) >> 64) as u64
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// The input of random sequence `index` of a campaign seeded with `seed`: the profile it is
/// decoded with and its bytes (written into `buf`). Each sequence has its own PRNG stream, so
/// any one of them can be regenerated alone.
pub fn random_input(seed: u64, index: u64, max_len: usize, buf: &mut Vec<u8>) -> Profile {
    let mut rng = SplitMix64::new(seed ^ SplitMix64::new(index).next_u64());
    let draw = rng.next_u64();
    let profile = if draw & 1 == 0 {
        Profile::Full
    } else {
        Profile::Small
    };
    // Lengths of every order of magnitude: an eighth short, three eighths up to a quarter of
    // the maximum, three eighths up to half, an eighth up to the maximum.
    let cap = match (draw >> 1) % 8 {
        0 => 32,
        1..=3 => max_len / 4,
        4..=6 => max_len / 2,
        _ => max_len,
    }
    .min(max_len);
    let len = rng.below(cap as u64 + 1) as usize;
    buf.clear();
    buf.resize(len, 0);
    rng.fill(buf);
    profile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_the_reference_sequence() {
        // First outputs of SplitMix64 seeded with 1234567 (from the reference implementation).
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn random_inputs_are_reproducible_and_varied() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut lens = Vec::new();
        for i in 0..200 {
            let pa = random_input(7, i, 2048, &mut a);
            let pb = random_input(7, i, 2048, &mut b);
            assert_eq!((pa, &a), (pb, &b));
            lens.push(a.len());
        }
        assert!(lens.iter().any(|&l| l < 32));
        assert!(lens.iter().any(|&l| l > 1024));
        assert!(lens.iter().all(|&l| l <= 2048));
    }
}
