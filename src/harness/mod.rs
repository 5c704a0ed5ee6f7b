//! The differential harness (feature `harness`): random EVM memory op sequences run against
//! this crate's [`Memory`](crate::Memory), revm's `SharedMemory` and a reference model written
//! from the EVM rules, comparing contents, size and expansion gas after every op.
//!
//! Layout, after wasmtime's `crates/fuzzing`: one folder per level, and above them what spans
//! the levels. Imports flow one way: the levels ← [`campaign`] ← [`report`] (and [`export`]).
//!
//! The levels, each importing only the levels listed before it and the helpers at the end
//! (never the campaign, the report or the other modules that span the levels; `clients` reads
//! the `diff_evm` corpus through [`corpus`], which imports only `ops` and `evm`):
//! * [`ops`] — the op level: cases of memory ops ([`Case`], [`Op`]) run against memory engines
//!   ([`Engine`], [`engines`]: ours, revm's `SharedMemory`, the reference model, C libraries,
//!   processes speaking the engine protocol) and compared by the [`Oracle`] after every op; its
//!   generator, scenarios, vectors, observations, budget and reproducers;
//! * [`evm`] — the bytecode-level differential `diff_evm`: transactions over generated
//!   contracts (biased toward memory) through stock revm and `MemoryEvm`, compared before
//!   every instruction (it builds on the op level: a case compiles to a program);
//! * [`statetest`] — the ethereum/tests state-test runner behind `conformance statetest`:
//!   whole transactions through revm's EVM (and any other engine registered there), checked
//!   against the files' post-states and against each other;
//! * [`clients`] — foreign EVMs (the execution specs, geth, besu, evmone, revme) run on the
//!   `diff_evm` programs exported as state tests, their EIP-3155 traces compared with
//!   `MemoryEvm`'s step by step, memory included.
//!
//! Drivers of one implementation alone, from raw bytes (no case, no engine to compare with):
//! * [`raw`] — unstructured input driving our memory through every public call, with
//!   invariant checks (the `memory_raw` fuzz target);
//! * [`c_api`] — the C API driven from raw bytes as a C caller would, checked against a plain
//!   [`Memory`](crate::Memory) (the `c_api` fuzz target).
//!
//! Across the levels (they import the levels; no level imports them):
//! * [`campaign`] — the seeded conformance campaign behind the `conformance` command (the run;
//!   its inputs, result sections, cost sweep and spec phase in its submodules); it imports
//!   the levels, never the report;
//! * [`report`] — renders the campaign's results (the `diff_evm` phase's included):
//!   `conformance.json`, `conformance.md` and the SVG figures; no module of the harness
//!   imports it;
//! * [`export`] — the op-level cases with their expected observations as JSON vectors
//!   (`export-vectors`), drawn as the campaign draws them;
//! * [`corpus`] — the corpus: listing it for replay, writing the named scenarios into it,
//!   regression inputs and their tests (`write-corpus`, `tmin`);
//! * [`cargo_fuzz`] — `cargo fuzz` command lines (`cmin`, `tmin`, `run`) and the throughput
//!   report `fuzz-rate` writes; [`fuzz_profile`] — where a target's time goes (`perf`);
//!   [`fuzz_find`] — how soon each target finds each planted bug (the mutants) under four
//!   builds, and the default build it chose (`fuzz-find`); [`fuzz_command`] — the command
//!   line type they share;
//! * [`fuzz_stats`] — what a fuzz target ran (outcomes, call depth), printed at exit;
//! * [`dicts`] — the fuzz dictionaries, spelled by each level's own encoder.
//!
//! Small helpers every part may use, importing no part of the harness, each named for what it
//! holds: `text` (`thousands` number formatting), [`rng`] (the seeded PRNG every random input
//! is drawn from, and the committed reports' seed), [`counts`] (named counts in a fixed order,
//! as the reports list them), [`json_diff`] (`--check`: a committed JSON report against a
//! regenerated one), [`asm`] (a bytecode assembler for transactions run through revm's EVM)
//! and `panics` (a panic inside one case as that case's failure).
//!
//! Fuzz targets, tests and the conformance campaign all call these same functions.

pub mod asm;
pub mod c_api;
pub mod campaign;
pub mod cargo_fuzz;
pub mod clients;
pub mod corpus;
pub mod counts;
pub mod dicts;
pub mod evm;
pub mod export;
pub mod fuzz_command;
pub mod fuzz_find;
pub mod fuzz_profile;
pub mod fuzz_stats;
pub mod json_diff;
pub mod ops;
pub(crate) mod panics;
pub mod raw;
pub mod report;
pub mod rng;
pub mod statetest;
pub(crate) mod text;

// The op level's modules at their paths from before it had a folder of its own.
pub use ops::{
    budget, case, engine, engines, generate, observation, oracle, protocol, reproducer, scenarios,
    serve, vectors,
};

pub use ops::{check_case, run_case, Divergence, Mode, Oracle, RunStats};
pub use ops::{child_gas, u, Capacity, Case, Op, OpKind};
pub use ops::{decode, decode_small, encode, encode_with, Profile, SmallCase};
pub use ops::{Engine, Reach};
pub use ops::{ModelBugs, ModelEngine, OursEngine, RevmEngine};
pub use ops::{Observation, Outcome, Output};
pub use raw::drive_raw;

/// The `diff_ops` fuzz target: decode as a [`Case`] (as libFuzzer's typed target would) and
/// check the engines `EVM_MEMORY_ENGINES` chooses (all of them by default; see [`engines`]).
/// The case, the engines and their observations are kept from input to input, per thread;
/// what ran is counted and printed at exit ([`fuzz_stats`]).
pub fn fuzz_diff_ops(data: &[u8]) {
    check_bytes(data, Profile::Full, "diff_ops");
}

/// The `diff_small` fuzz target: small limits and gas budgets.
pub fn fuzz_diff_small(data: &[u8]) {
    check_bytes(data, Profile::Small, "diff_small");
}

/// Decodes `data` with `profile` into this thread's reused case, checks it and records it in
/// `target`'s statistics.
fn check_bytes(data: &[u8], profile: Profile, target: &'static str) {
    thread_local! {
        static CASE: std::cell::RefCell<Case> = std::cell::RefCell::new(Case::default());
    }
    CASE.with(|case| {
        let mut case = case.borrow_mut();
        ops::generate::decode_into(data, profile, &mut case);
        let stats = check_case(&case);
        fuzz_stats::record_case(target, &stats);
    });
}

/// The `diff_evm` fuzz target: the bytes as a generated program, run through stock revm and
/// `MemoryEvm` and compared before every instruction (one oracle per thread, its buffers reused
/// from input to input).
pub fn fuzz_diff_evm(data: &[u8]) {
    thread_local! {
        static ORACLE: std::cell::RefCell<evm::EvmOracle> =
            std::cell::RefCell::new(evm::EvmOracle::new());
    }
    thread_local! {
        static FAULTS: crate::revm::faults::Faults = evm_faults_or_exit();
    }
    let program = evm::fuzz_program(&evm::decode_program(data));
    ORACLE.with(|oracle| {
        oracle.borrow_mut().faults = FAULTS.with(|f| *f);
        let agreement = evm::check_program_with(&mut oracle.borrow_mut(), &program);
        fuzz_stats::record_program(&agreement);
    });
}

/// The bytecode-level mutants [`EVM_MEMORY_ENGINES`](engines::ENGINES_ENV) names
/// ([`evm::faults_from_selection`]): none when it is unset. On a `mutant:` name that is not a
/// bytecode-level one, prints why and exits with status 2 (a configuration mistake is not a
/// crash the fuzzer found).
fn evm_faults_or_exit() -> crate::revm::faults::Faults {
    let selection = std::env::var(engines::ENGINES_ENV).unwrap_or_default();
    evm::faults_from_selection(&selection).unwrap_or_else(|e| {
        eprintln!("error: {}: {e}", engines::ENGINES_ENV);
        std::process::exit(2);
    })
}

/// The `memory_raw` fuzz target: our memory alone, unstructured input, invariants.
pub fn fuzz_memory_raw(data: &[u8]) {
    drive_raw(data);
}
