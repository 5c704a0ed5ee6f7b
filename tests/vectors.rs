//! The named conformance vectors (`tests/vectors/conformance.txt`) run against every engine;
//! every failure is collected before the test fails.
#![cfg(feature = "harness")]

use evm_memory::harness::vectors::{parse, run_all};
use evm_memory::harness::{
    check_case, u, Case, Engine, ModelEngine, Op, OursEngine, Outcome, RevmEngine,
};

fn vectors() -> Vec<evm_memory::harness::vectors::Vector> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/conformance.txt"
    ))
    .expect("tests/vectors/conformance.txt is readable");
    parse(&text).unwrap_or_else(|e| panic!("tests/vectors/conformance.txt: {e}"))
}

#[test]
fn every_engine_meets_every_vector() {
    let vectors = vectors();
    assert!(vectors.len() >= 20, "only {} vectors", vectors.len());
    let engines: Vec<Box<dyn Engine>> = vec![
        Box::new(OursEngine::new()),
        Box::new(RevmEngine::new()),
        Box::new(ModelEngine::new()),
    ];
    let mut failures = Vec::new();
    for mut engine in engines {
        failures.extend(run_all(&vectors, engine.as_mut()));
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn vectors_also_agree_op_by_op() {
    for v in vectors() {
        check_case(&v.case);
    }
}

/// The 1025th nested CALL fails softly at the EVM's depth limit (too long for the data file).
#[test]
fn call_depth_limit() {
    let call = Op::Call {
        args_offset: u(0),
        args_len: u(0),
        ret_offset: u(0),
        ret_len: u(0),
        gas: u64::MAX,
    };
    let mut ops = vec![call.clone(); 1025];
    ops.push(Op::MStore8 {
        offset: u(0),
        value: 1,
    });
    let case = Case {
        ops,
        ..Case::default()
    };
    let stats = check_case(&case);
    assert_eq!(stats.max_depth, 1024);
    assert_eq!(stats.outcomes.get(&Outcome::CallDepth), Some(&1));
}
