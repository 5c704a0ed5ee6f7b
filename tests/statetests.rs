//! The ethereum/tests state tests through every registered engine: zero failures.
//!
//! The tests are not part of the repository. They are looked for in `$EVM_MEMORY_STATETESTS`,
//! then `../shared/ethereum-tests` beside the crate, then `/work/shared/ethereum-tests`; when
//! none exists the test says so and passes.
#![cfg(feature = "harness")]

use std::path::PathBuf;

use evm_memory::harness::statetest::{engines_by_name, run_paths, RunConfig};

/// The state-test folder, or why there is none.
fn statetests_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("EVM_MEMORY_STATETESTS") {
        let dir = PathBuf::from(dir);
        // Named explicitly: a wrong path is an error, not a skip.
        assert!(
            dir.exists(),
            "EVM_MEMORY_STATETESTS={} does not exist",
            dir.display()
        );
        return Ok(dir);
    }
    let candidates = [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/ethereum-tests"),
        PathBuf::from("/work/shared/ethereum-tests"),
    ];
    candidates
        .iter()
        .find(|dir| dir.is_dir())
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
            format!(
                "EVM_MEMORY_STATETESTS is not set and none of {} exists",
                looked.join(", ")
            )
        })
}

#[test]
fn every_state_test_passes_on_every_engine() {
    let dir = match statetests_dir() {
        Ok(dir) => dir,
        Err(why) => {
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
