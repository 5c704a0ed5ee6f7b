//! The proptest differential: random op sequences (generated through the same decoder the fuzz
//! targets use) run against ours, revm and the reference model, compared after every op.
//! Shrinking works on the input bytes, so a failure shrinks to few, small ops; failures are
//! persisted in `tests/proptest-regressions/differential.txt` and replayed first on every run.
#![cfg(feature = "harness")]

use evm_memory::harness::{decode, decode_small, run_case};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Sequences per profile: 2 × 5,000 = 10,000 in every `cargo test` (override with
/// `PROPTEST_CASES`).
const CASES: u32 = 5_000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/differential.txt",
        ))),
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn full_profile_engines_agree(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let case = decode(&bytes);
        if let Err(d) = run_case(&case) {
            prop_assert!(false, "{}", d);
        }
    }

    #[test]
    fn small_profile_engines_agree(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let case = decode_small(&bytes);
        if let Err(d) = run_case(&case) {
            prop_assert!(false, "{}", d);
        }
    }
}
