//! The state-test runner behind `conformance statetest PATH...`: ethereum/tests
//! GeneralStateTests files (as revm's `revme statetest` reads them) run through every engine,
//! each engine checked against the file and the engines against each other.
//!
//! For every file, test unit, fork under `post` that revm runs and indexed post entry, the
//! runner sets up the configuration (chain id, the fork's spec with mainnet gas parameters, its
//! blob limit), block and transaction, commits the transaction with every engine on a fresh
//! state built from the unit's pre-state, and checks: the expected exception (expected → the
//! transaction must be rejected; none → it must not be), the unit's `out` when given, the logs
//! hash and the post-state root. Two engines that differ in status, halt reason, gas, output,
//! logs or state are a failure even where the file says nothing.
//!
//! * [`discover`](mod@discover) — the `*.json` files under the given paths, named relative to them;
//! * [`skips`] — files, forks and cases not run, each with its reason;
//! * [`setup`] — configuration, block and transaction of a case, malformed values rejected;
//! * [`engine`] — the [`StateTestEngine`] trait and [`EngineRun`];
//! * [`engines`] — the adapters ([`StockRevm`], [`OursInRevm`]) and the registry ([`engines_by_name`]);
//! * [`roots`] — the logs hash and the post-state root;
//! * [`check`] — a run against the file, two runs against each other;
//! * [`outcome`] — what a file produced: counts, [`Failure`]s, [`Skip`]s;
//! * [`runner`] — files over worker threads, cases through engines ([`run_paths`]);
//! * [`report`] — [`StateTestReport`]: `statetests.json`, `statetests.md`, the summary;
//! * [`prepared`] — cases set up once for replaying ([`prepare_cases`]) and where the state
//!   tests live ([`locate_statetests`]);
//!
//! A panic inside a case becomes that case's failure (`harness::panics`).
//!
//! ```no_run
//! use evm_memory::harness::statetest::{engines_by_name, run_paths, RunConfig};
//!
//! let engines = engines_by_name(&[])?; // every registered engine
//! let report = run_paths(&["../shared/ethereum-tests".into()], &engines, &RunConfig::default())?;
//! print!("{}{}", report.summary_text(), report.failures_text());
//! report.write("reports".as_ref())?;
//! assert!(report.passed());
//! # Ok::<(), String>(())
//! ```

pub mod check;
pub mod discover;
pub mod engine;
pub mod engines;
pub mod outcome;
pub mod prepared;
pub mod report;
pub mod roots;
pub mod runner;
pub mod setup;
pub mod skips;

#[cfg(test)]
mod tests;

pub use check::{check_against_file, compare_runs, Mismatch};
pub use discover::{discover, TestFile};
pub use engine::{execute_in_context, fresh_state, EngineRun, StateTestContext, StateTestEngine};
pub use engines::{engine_by_name, engines_by_name, OursInRevm, StockRevm, ENGINE_NAMES};
pub use outcome::{CaseIndex, Failure, FailureKind, FileOutcome, Location, Skip};
pub use prepared::{locate_statetests, prepare_cases, prepare_suite, Evm, Located, PreparedCase};
pub use report::{Counts, StateTestReport, REPORT_FILES};
pub use roots::{cache_state_root, logs_root, state_root};
pub use runner::{default_jobs, run_file, run_files, run_paths, run_suite, RunConfig};

/// The revm crates the runner and the stock engine are built on, with the versions
/// `Cargo.toml` pins exactly (a test keeps the two equal).
pub const REVM_CRATES: [(&str, &str); 5] = [
    ("revm-handler", "43.0.3"),
    ("revm-context", "43.0.3"),
    ("revm-interpreter", "43.0.2"),
    ("revm-database", "43.0.1"),
    ("revm-statetest-types", "43.0.2"),
];
