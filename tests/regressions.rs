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
        "diff_evm" => evm_memory::harness::fuzz_diff_evm(&bytes),
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

/// **A configured memory limit above 4 GiB changed the halt reason (`MemoryEvm`; found by the
/// `diff_evm` oracle).** revm's `CfgEnv::memory_limit` can be any `u64`; our memory holds at
/// most 4 GiB, so `config_for_limit` caps the memory's own limit there, and `limit_reached`
/// (revm's check before it prices an expansion) compared with that capped limit. An expansion
/// past 4 GiB under a higher configured limit therefore halted with `MemoryLimitOOG` in
/// `MemoryEvm`, where stock revm passes the limit check and halts on gas (`MemoryOOG`, an
/// expansion past 4 GiB costs more than 2^45): the same gas used and state, a different
/// `HaltReason`. Fixed by checking revm's configured limit in `limit_reached`
/// (`EvmMemory::set_limit`, set from the context at each transaction); the capped limit only
/// refuses an allocation that gas already made impossible. The input is a program with the
/// limit 0x735e…5b3b and an MSTORE8 at 2^33; `limits_above_4_gib_fail_on_gas_as_in_revm`
/// (in `tests/revm_evm.rs`) covers limits from 4 GiB to `u64::MAX`. It failed without the
/// fix.
#[test]
fn limit_above_4gib() {
    replay("diff_evm", "limit-above-4gib");
}

/// **The `diff_evm` target ran out of memory on a program with an enormous gas limit (the
/// harness, not an engine; found by `cargo fuzz run diff_evm`).** The generator's explicit form
/// spells out any gas limit (the named 1,024-deep call chain needs 2^44); this input asks for
/// 0x1919_1900_0000_90a7 gas with revm's default memory limit, so expanding memory to
/// gigabytes was affordable, and stock revm and `MemoryEvm` each held that much: past the
/// fuzzer's 4 GiB RSS limit. Both engines agreed on everything they ran. Fixed in the harness,
/// first with a memory limit for such programs, now by `fuzz_program` capping every program's
/// gas limit at `MAX_GENERATED_GAS` (10M, which bounds memory to megabytes); the fuzz target and
/// the campaign both go through it, and the named scenarios that need more gas run at full gas
/// in `tests/evm_oracle.rs`.
#[test]
fn oom_huge_gas_huge_memory() {
    replay("diff_evm", "oom-huge-gas-huge-memory");
}

/// **A program took 12 s in the `diff_evm` target (the harness, not an engine; reported by
/// libFuzzer as a slow unit).** Its gas limit is spelled out at 0x2a2a…, so under the memory
/// guard (16 MiB then) it could still KECCAK256 16 MiB regions again and again: both engines agreed,
/// but the step budget (then 200,000 instructions) let a few hundred such hashes run. Fixed in
/// the harness: the budget counts work, not instructions — an instruction counts one, plus one
/// per KiB of memory it reads or writes (`trace::touched`) — so the run stops before the
/// expensive instruction past the budget (50,000 units now); and `fuzz_program` now caps the
/// gas limit at 10M, so it takes a few milliseconds.
#[test]
fn slow_hashing_under_huge_gas() {
    replay("diff_evm", "slow-hashing-under-huge-gas");
}

/// **The data contract's code began with `0xEF01` and crashed the `diff_evm` target (the
/// harness, not an engine; found by `cargo fuzz run diff_evm` in an hour-long run).** The data
/// contract (what EXTCODECOPY reads) holds arbitrary bytes from the input, and `Program::db`
/// built every contract's code with revm's `Bytecode::new_raw`, which reads a `0xEF01` prefix as
/// an EIP-7702 delegation designator and panics ("Expect correct bytecode") when the length is
/// not 23 bytes. Fixed in the harness: `Program::db` builds legacy bytecode for every contract,
/// which is what the programs are, so any bytes are accepted and both engines see the same
/// state. The input (9 bytes after `cargo fuzz tmin`) is an empty entry contract and the data
/// code `ef 01 00 00 00 00 00 00`.
#[test]
fn data_code_starts_with_ef01() {
    replay("diff_evm", "data-code-starts-with-ef01");
}
