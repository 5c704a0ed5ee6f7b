//! Crash and divergence reproducers found by fuzzing, one test each, with the root cause.
//!
//! Each input lives in `corpus/regressions/<target>/<name>` (minimised with `cargo fuzz tmin`,
//! through `conformance tmin <target> <artifact>`, which also appends a skeleton here) and is
//! replayed through the code its fuzz target runs. Every test's doc comment is the root-cause
//! paragraph: what was wrong, in which engine, and how it was fixed (or, for a revm deviation
//! from the EVM rules, where in `reports/` it is written up). `tests/corpus.rs` replays them too.
//!
//! The fuzzing campaigns so far (see the closing notes) found no divergence and no crash, so
//! there is no regression yet; `every_regression_input_has_a_test` keeps the rule enforced.
#![cfg(feature = "harness")]

use std::path::Path;

/// Replays `corpus/regressions/<target>/<name>` through `target`'s fuzz function.
#[allow(dead_code)]
fn replay(target: &str, name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus/regressions")
        .join(target)
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match target {
        "diff_ops" => evm_memory::harness::fuzz_diff_ops(&bytes),
        "diff_small" => evm_memory::harness::fuzz_diff_small(&bytes),
        "memory_raw" => evm_memory::harness::fuzz_memory_raw(&bytes),
        "c_api" => evm_memory::ffi::fuzzing::drive_c_api(&bytes),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// Every file under `corpus/regressions/` is named by a test in this file.
#[test]
fn every_regression_input_has_a_test() {
    let source = include_str!("regressions.rs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/regressions");
    let mut orphans = Vec::new();
    for target in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(target.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") {
                continue;
            }
            if !source.contains(&format!("\"{name}\"")) {
                orphans.push(file.path().display().to_string());
            }
        }
    }
    assert!(
        orphans.is_empty(),
        "regression inputs without a test: {orphans:?}"
    );
}
