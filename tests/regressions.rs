//! Crash and divergence reproducers found by fuzzing, one test each, with the root cause.
//!
//! Each input lives in `corpus/regressions/<target>/<name>` (minimised with `cargo fuzz tmin`,
//! through `conformance tmin <target> <artifact>`, which also appends a skeleton here) and is
//! replayed through the code its fuzz target runs. Every test's doc comment is the root-cause
//! paragraph: what was wrong, in which engine, and how it was fixed (or, for a revm deviation
//! from the EVM rules, where in `reports/` it is written up). `tests/corpus.rs` replays them too.
//!
//! `every_regression_input_has_a_test` keeps the rule enforced.
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
        "c_api" => evm_memory::harness::c_api::drive_c_api(&bytes),
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

/// **A reallocation moved a child's empty parent source below zero (this crate's memory; found
/// by `memory_raw`).** Since contexts are laid out on 32-byte boundaries, a growth that
/// outgrows the allocation moves every context by the change in the padding before the root.
/// `set_data_from_parent_with_gas` therefore finds its source again after the growth, from its
/// distance back from the child's base. For a zero-length argument region the source was the
/// placeholder `0..0`, not a place in the parent, so that distance was the child's whole base;
/// when the move went down (the padding shrank) and the copy straddled the child's end,
/// `start - memory_offset - back` underflowed: an overflow panic with debug assertions on (the
/// fuzz targets and tests), and in release an empty range nothing was copied from, so no byte
/// was ever wrong. Fixed where the placeholder came from: a zero-length parent region is now
/// the empty range at the parent's base, which moves with the contexts like any other range
/// (the first fix special-cased the empty source in the copy instead). Which way a
/// reallocation moves the contexts is the allocator's choice, so the input is replayed many
/// times;
/// `parent_copies_survive_reallocations_that_move_the_contexts` (in `src/context.rs`) covers
/// both directions, straddling or not, with and without gas.
#[test]
fn realloc_moves_empty_parent_source() {
    // Allocations of assorted sizes kept alive between replays vary where the memory's
    // reallocations land.
    let mut keep = Vec::new();
    for round in 0..200 {
        keep.push(vec![0u8; 16 * (round % 13) + 1]);
        replay("memory_raw", "realloc-moves-empty-parent-source");
    }
}
