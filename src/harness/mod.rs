//! The differential harness (feature `harness`): random EVM memory op sequences run against
//! this crate's [`Memory`](crate::Memory), revm's `SharedMemory` and a reference model written
//! from the EVM rules, comparing contents, size and expansion gas after every op.
//!
//! Layout, after wasmtime's `crates/fuzzing`:
//! * [`asm`] — a small bytecode assembler for transactions run through revm's EVM;
//! * [`c_api`] — the C API driven from raw bytes as a C caller would, checked against a plain
//!   [`Memory`](crate::Memory) (the `c_api` fuzz target);
//! * [`case`] — the op model ([`Case`], [`Op`]);
//! * [`generate`] — bytes to a valid case, biased toward the edges ([`decode`], [`encode`]);
//! * [`engine`] and [`engines`] — one trait, one adapter file per engine, engines built by name
//!   (`EVM_MEMORY_ENGINES` chooses them for tests, fuzz targets and the campaign);
//! * [`observation`] — what every engine shows after each op, compared with `==`;
//! * [`oracle`] — runs a case through the engines and reports the first divergence;
//! * [`reproducer`] — a case as pasteable Rust;
//! * [`raw`] — unstructured input driving our memory alone, with invariant checks;
//! * [`scenarios`] — named cases that seed the corpus;
//! * [`vectors`] — named conformance vectors with expected observations (`tests/vectors/*.txt`);
//! * [`campaign`] — the seeded conformance campaign behind the `conformance` command (the run;
//!   its inputs, report sections, cost sweep and `--check` comparison in its submodules);
//! * [`corpus`] — the corpus: listing it for replay, writing the named scenarios into it,
//!   regression inputs and their tests (`write-corpus`, `tmin`);
//! * [`cargo_fuzz`] — `cargo fuzz` command lines (`cmin`, `tmin`, `run`) and the throughput
//!   report `fuzz-rate` writes; [`fuzz_profile`] — where a target's time goes (`perf`);
//! * [`fuzz_stats`] — what a fuzz target ran (outcomes, call depth), printed at exit;
//! * [`report`] — the campaign's JSON and Markdown reports and SVG figures;
//! * [`evm`] — the bytecode-level differential `diff_evm`: transactions over generated
//!   contracts (biased toward memory) through stock revm and `MemoryEvm`, compared before
//!   every instruction;
//! * [`clients`] — foreign EVMs (the execution specs, geth, besu, evmone, revme) run on the
//!   `diff_evm` programs exported as state tests, their EIP-3155 traces compared with
//!   `MemoryEvm`'s step by step, memory included;
//! * [`statetest`] — the ethereum/tests state-test runner behind `conformance statetest`:
//!   whole transactions through revm's EVM (and any other engine registered there), checked
//!   against the files' post-states and against each other.
//!
//! Fuzz targets, tests and the conformance campaign all call these same functions.

pub mod asm;
pub mod budget;
pub mod c_api;
pub mod campaign;
pub mod cargo_fuzz;
pub mod case;
pub mod clients;
pub mod corpus;
pub mod dicts;
pub mod engine;
pub mod engines;
pub mod evm;
pub mod export;
pub mod fuzz_find;
pub mod fuzz_profile;
pub mod fuzz_stats;
pub mod generate;
pub mod observation;
pub mod oracle;
pub(crate) mod panics;
pub mod protocol;
pub mod raw;
pub mod report;
pub mod reproducer;
pub mod scenarios;
pub mod serve;
pub mod statetest;
pub mod vectors;

pub use case::{child_gas, u, Capacity, Case, Op, OpKind};
pub use engine::{Engine, Reach};
pub use engines::{ModelBugs, ModelEngine, OursEngine, RevmEngine};
pub use generate::{decode, decode_small, encode, encode_with, Profile, SmallCase};
pub use observation::{Observation, Outcome, Output};
pub use oracle::{check_case, run_case, Divergence, Mode, Oracle, RunStats};
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
        generate::decode_into(data, profile, &mut case);
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
