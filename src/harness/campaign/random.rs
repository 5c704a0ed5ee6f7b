//! The random inputs of a campaign, each a fixed function of the seed and its index, drawn
//! from the harness's seeded PRNG ([`SplitMix64`]).

use crate::harness::ops::generate::Profile;
use crate::harness::rng::SplitMix64;

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
