//! Every committed corpus file replayed on stable through the code its fuzz target runs:
//! `corpus/diff_ops` and `corpus/diff_small` through all three engines, `corpus/memory_raw`
//! through the invariant driver, `corpus/c_api` through the C API driver, `corpus/diff_evm`
//! through stock revm and `MemoryEvm` step by step; and every crash
//! reproducer under `corpus/regressions/<target>/` the same way. All failures are collected
//! before the test fails.
#![cfg(feature = "harness")]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use evm_memory::harness::{fuzz_diff_evm, fuzz_diff_ops, fuzz_diff_small, fuzz_memory_raw};

/// What a fuzz target runs on one input.
type Driver = fn(&[u8]);

/// Each fuzz target's name and the function it runs.
const TARGETS: [(&str, Driver); 5] = [
    ("diff_ops", fuzz_diff_ops),
    ("diff_small", fuzz_diff_small),
    ("memory_raw", fuzz_memory_raw),
    ("c_api", evm_memory::harness::c_api::drive_c_api),
    ("diff_evm", fuzz_diff_evm),
];

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "md"))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

fn replay(dir: &Path, run: Driver, failures: &mut Vec<String>) -> usize {
    let files = files(dir);
    for path in &files {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(&bytes))) {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}:\n{msg}", path.display()));
        }
    }
    files.len()
}

#[test]
fn every_corpus_file_replays_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut failures = Vec::new();
    for (target, run) in TARGETS {
        let n = replay(&root.join(target), run, &mut failures);
        assert!(n > 0, "corpus/{target} has no seeds");
        let r = replay(&root.join("regressions").join(target), run, &mut failures);
        eprintln!("corpus/{target}: {n} files, {r} regressions");
    }
    assert!(
        failures.is_empty(),
        "{} corpus files fail:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The pricing and setup selectors took limit-selector values that no committed input used:
/// every committed `diff_ops` and `diff_small` input but the scenarios written with a pricing
/// or a setup still decodes as before, with mainnet pricing and the engines' buffers reused
/// (the format is extended, not changed).
#[test]
fn committed_inputs_keep_mainnet_pricing() {
    use evm_memory::harness::generate::{PRICING_SELECTORS, SETUP_SELECTORS};
    use evm_memory::harness::{decode, decode_small, Capacity};
    use evm_memory::MemoryPricing;

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let scenarios = evm_memory::harness::scenarios::all();
    let with_setup: Vec<_> = scenarios
        .iter()
        .filter(|s| {
            let first = s.encode().ok().and_then(|b| b.first().copied());
            first.is_some_and(|b| SETUP_SELECTORS[s.profile() as usize].contains(&b))
        })
        .map(|s| root.join(s.target).join(s.name))
        .collect();
    assert!(
        with_setup.len() >= 3,
        "scenarios with a setup: {with_setup:?}"
    );
    let repriced: Vec<_> = scenarios
        .into_iter()
        .filter(|s| s.case.pricing != MemoryPricing::MAINNET)
        .map(|s| root.join(s.target).join(s.name))
        .collect();
    assert!(
        repriced.len() >= 2,
        "a scenario per profile prices otherwise"
    );
    let mut checked = 0;
    for (target, selectors, setups, decode) in [
        (
            "diff_ops",
            &PRICING_SELECTORS[0],
            &SETUP_SELECTORS[0],
            decode as Decoder,
        ),
        (
            "diff_small",
            &PRICING_SELECTORS[1],
            &SETUP_SELECTORS[1],
            decode_small,
        ),
    ] {
        for dir in [root.join(target), root.join("regressions").join(target)] {
            for path in files(&dir) {
                let bytes = std::fs::read(&path).unwrap();
                let selector = bytes.first().copied().unwrap_or(0);
                if with_setup.contains(&path) {
                    continue;
                }
                assert!(!setups.contains(&selector), "{}", path.display());
                assert_eq!(decode(&bytes).capacity, Capacity::Reuse);
                if repriced.contains(&path) {
                    assert!(selectors.contains(&selector), "{}", path.display());
                    assert_ne!(decode(&bytes).pricing, MemoryPricing::MAINNET);
                    continue;
                }
                assert!(!selectors.contains(&selector), "{}", path.display());
                assert_eq!(decode(&bytes).pricing, MemoryPricing::MAINNET);
                checked += 1;
            }
        }
    }
    assert!(checked > 900, "only {checked} inputs checked");
}

/// A decoder of one profile.
type Decoder = fn(&[u8]) -> evm_memory::harness::Case;

/// Each named scenario is in its target's corpus, byte for byte (so the corpus is what the
/// documented `conformance write-corpus` command produces, plus fuzzing finds).
#[test]
fn named_scenarios_are_in_the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut missing = Vec::new();
    for s in evm_memory::harness::scenarios::all() {
        let path = root.join(s.target).join(s.name);
        let expected = s.encode().expect("scenarios encode");
        match std::fs::read(&path) {
            Ok(bytes) if bytes == expected => {}
            Ok(_) => missing.push(format!("{} is stale", path.display())),
            Err(_) => missing.push(format!("{} is missing", path.display())),
        }
    }
    for (name, build) in evm_memory::harness::evm::SCENARIOS {
        let path = root.join("diff_evm").join(name);
        let expected = evm_memory::harness::evm::encode_program(&build()).expect("encodes");
        match std::fs::read(&path) {
            Ok(bytes) if bytes == expected => {}
            Ok(_) => missing.push(format!("{} is stale", path.display())),
            Err(_) => missing.push(format!("{} is missing", path.display())),
        }
    }
    assert!(
        missing.is_empty(),
        "run `cargo run --release --features harness --bin conformance -- write-corpus`:\n{}",
        missing.join("\n")
    );
}
