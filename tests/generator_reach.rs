//! The generator reaches what it must: every op kind, depth ≥ 8, out-of-gas, limit hits, huge
//! offsets (zero-length and not), word boundaries, the limit's edge and memory priced other
//! than mainnet's (with small limits and running out of gas too) — within a bounded
//! number of random inputs, not by hoping.
#![cfg(feature = "harness")]

use std::collections::BTreeSet;

use evm_memory::harness::{decode, decode_small, run_case, Case, OpKind, Outcome, RunStats};
use evm_memory::{MemoryPricing, U256};

/// Deterministic xorshift byte strings of varied length.
fn inputs(seed: u64, count: usize, max_len: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count).map(move |_| {
        let len = (next() % max_len as u64) as usize;
        (0..len).map(|_| next() as u8).collect()
    })
}

#[derive(Default)]
struct Seen {
    stats: RunStats,
    features: BTreeSet<&'static str>,
}

impl Seen {
    fn add(&mut self, case: &Case) {
        let stats = run_case(case).unwrap_or_else(|d| panic!("{d}"));
        let big = U256::from(u64::MAX);
        for op in &case.ops[..stats.ops as usize] {
            for (offset, len) in op.memory_regions().into_iter().flatten() {
                if offset > big && len.is_zero() {
                    self.features.insert("huge offset, zero length");
                }
                if offset > big && !len.is_zero() {
                    self.features.insert("offset above 2^64 - 1");
                }
                if offset == big {
                    self.features.insert("offset 2^64 - 1");
                }
                if offset == U256::from(1u64 << 32) {
                    self.features.insert("offset 2^32");
                }
                for edge in [31u64, 32, 33] {
                    if offset == U256::from(edge) {
                        self.features
                            .insert(["offset 31", "offset 32", "offset 33"][edge as usize - 31]);
                    }
                }
                let end = offset.saturating_add(len);
                if case.limit < (1 << 32)
                    && end >= U256::from(case.limit.saturating_sub(32))
                    && end <= U256::from(case.limit + 32)
                    && !len.is_zero()
                {
                    self.features.insert("access at the limit's edge");
                }
            }
        }
        if case.limit <= 2048 {
            self.features.insert("small limit");
        }
        if case.pricing != MemoryPricing::MAINNET {
            self.features.insert("pricing other than mainnet's");
            if case.limit <= 2048 {
                self.features
                    .insert("pricing other than mainnet's, small limit");
            }
            if stats.outcomes.contains_key(&Outcome::OutOfGas) {
                self.features
                    .insert("pricing other than mainnet's, out of gas");
            }
            if case.pricing.quadratic_denominator != 512 {
                self.features.insert("quadratic denominator other than 512");
            }
            if case.pricing.word_cost != 3 {
                self.features.insert("word cost other than 3");
            }
        }
        let mut s = stats;
        s.expansions.clear();
        self.stats.merge(&s);
    }
}

#[test]
fn generator_reaches_every_feature_within_a_bounded_budget() {
    let mut seen = Seen::default();
    for (i, bytes) in inputs(0x5EED_CAFE, 6_000, 3_000).enumerate() {
        let case = if i % 3 == 2 {
            decode_small(&bytes)
        } else {
            decode(&bytes)
        };
        seen.add(&case);
    }
    let mut missing = Vec::new();
    for kind in OpKind::ALL {
        if !seen.stats.ops_by_kind.contains_key(&kind) {
            missing.push(format!("op kind {kind:?}"));
        }
    }
    for outcome in [
        Outcome::OutOfGas,
        Outcome::Limit,
        Outcome::InvalidOperand,
        Outcome::ReturnDataOutOfBounds,
        Outcome::Returned,
        Outcome::Reverted,
        Outcome::Halted,
    ] {
        if !seen.stats.outcomes.contains_key(&outcome) {
            missing.push(format!("outcome {outcome:?}"));
        }
    }
    if seen.stats.max_depth < 8 {
        missing.push(format!("depth 8 (reached {})", seen.stats.max_depth));
    }
    for feature in [
        "huge offset, zero length",
        "offset above 2^64 - 1",
        "offset 2^64 - 1",
        "offset 2^32",
        "offset 31",
        "offset 32",
        "offset 33",
        "access at the limit's edge",
        "small limit",
        "pricing other than mainnet's",
        "pricing other than mainnet's, small limit",
        "pricing other than mainnet's, out of gas",
        "quadratic denominator other than 512",
        "word cost other than 3",
    ] {
        if !seen.features.contains(feature) {
            missing.push(feature.to_string());
        }
    }
    // The paths a harness easily misses (see the campaign report's reach section).
    let reach = &seen.stats;
    for (what, n, at_least) in [
        (
            "zero-length calls into our memory",
            reach.reach.zero_length_calls,
            1000,
        ),
        ("frames of 2 MiB or more", reach.large_frames, 1),
        (
            "reallocations inside a child frame",
            reach.reach.child_reallocations,
            1,
        ),
        (
            "RETURNDATACOPYs in the root frame",
            reach.root_returndatacopies,
            10,
        ),
    ] {
        if n < at_least {
            missing.push(format!("{what}: {n} (at least {at_least})"));
        }
    }
    eprintln!(
        "reached: depth {}, {} ops, outcomes {:?}, features {:?}, reach {:?}, frames of 2 MiB {}, \
         root RETURNDATACOPYs {}",
        seen.stats.max_depth,
        seen.stats.ops,
        seen.stats.outcomes,
        seen.features,
        seen.stats.reach,
        seen.stats.large_frames,
        seen.stats.root_returndatacopies
    );
    assert!(
        missing.is_empty(),
        "the generator never produced: {missing:?}"
    );
}

/// The generator's deep setup reaches call depth 1,024 and the `CallDepth` outcome within a
/// bounded number of inputs (the default campaign's random phase reaches it too: its committed
/// report says how often, and `tests/campaign.rs` checks that it does).
#[test]
fn deep_setups_reach_the_call_depth_limit() {
    use evm_memory::harness::generate::SETUP_SELECTORS;
    let mut stats = RunStats::default();
    for (i, mut bytes) in inputs(0xDEE9_CA11, 400, 1_500).enumerate() {
        // A setup byte with the deep kind (7) and any capacity.
        let (profile_selector, decode_as): (u8, fn(&[u8]) -> Case) = if i % 2 == 0 {
            (*SETUP_SELECTORS[0].start(), decode)
        } else {
            (*SETUP_SELECTORS[1].start(), decode_small)
        };
        let setup = 0xE0 | (bytes.first().copied().unwrap_or(0) & 0x1F);
        bytes.splice(0..0, [profile_selector, setup]);
        let mut s = run_case(&decode_as(&bytes)).unwrap_or_else(|d| panic!("{d}"));
        s.expansions.clear();
        stats.merge(&s);
    }
    eprintln!(
        "deep setups: depth {}, outcomes {:?}",
        stats.max_depth, stats.outcomes
    );
    assert_eq!(stats.max_depth, 1024);
    assert!(
        stats
            .outcomes
            .get(&Outcome::CallDepth)
            .copied()
            .unwrap_or(0)
            > 0
    );
}
