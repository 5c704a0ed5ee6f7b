//! The ethereum/tests state tests through every registered engine: zero failures.
//!
//! The tests are not part of the repository. They are looked for in `$EVM_MEMORY_STATETESTS`,
//! then `../shared/ethereum-tests` beside the crate; when neither exists the test says so and
//! passes.
#![cfg(feature = "harness")]

use evm_memory::harness::statetest::{
    engines_by_name, locate_statetests, run_paths, Located, RunConfig,
};

#[test]
fn every_state_test_passes_on_every_engine() {
    let dir = match locate_statetests() {
        Ok(dir) => dir,
        Err(Located::WrongPath(why)) => panic!("{why}"),
        Err(Located::Absent(why)) => {
            println!("state tests SKIPPED: {why}");
            eprintln!("state tests SKIPPED: {why}");
            return;
        }
    };
    let engines = engines_by_name(&[]).unwrap();
    let report = run_paths(std::slice::from_ref(&dir), &engines, &RunConfig::default())
        .unwrap_or_else(|e| panic!("cannot run the state tests in {}: {e}", dir.display()));
    println!("{}", report.summary_text());
    assert!(
        report.passed(),
        "state tests in {} failed:\n{}",
        dir.display(),
        report.failures_text()
    );
    assert!(report.totals.passed > 0, "no case ran in {}", dir.display());
}
