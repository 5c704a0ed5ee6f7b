//! Every named scenario through all three engines.
#![cfg(feature = "harness")]

use evm_memory::harness::{run_case, scenarios};

#[test]
fn named_scenarios_agree() {
    let mut failures = Vec::new();
    for s in scenarios::all() {
        match run_case(&s.case) {
            Ok(stats) => eprintln!(
                "{}: {} ops, depth {}, outcomes {:?}",
                s.name, stats.ops, stats.max_depth, stats.outcomes
            ),
            Err(d) => failures.push(format!("scenario {}:\n{d}", s.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
