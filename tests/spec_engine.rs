//! The execution specs as an engine (`python/spec_engine.py` over `ethereum-execution`):
//! it agrees with the built-in engines on the scenarios, declines what it cannot express, and
//! a deliberately wrong variant of the driver (CALLDATACOPY without the zero-fill past the end
//! of calldata) is caught and named at its op. Skipped, saying how to enable it, where the
//! spec engine is not available (`bash .ci/spec-venv`).
#![cfg(feature = "harness")]

use evm_memory::harness::campaign::{spec_available, spec_engines};
use evm_memory::harness::engines::ExternalEngine;
use evm_memory::harness::{scenarios, u, Case, ModelEngine, Op, Oracle, OursEngine};
use evm_memory::U256;

fn available() -> bool {
    match spec_available() {
        Ok(_) => true,
        Err(why) => {
            eprintln!("skipped: the spec engine is not available: {why}");
            false
        }
    }
}

#[test]
fn the_spec_agrees_on_the_scenarios_and_declines_what_it_cannot_express() {
    if !available() {
        return;
    }
    let mut oracle = Oracle::new(spec_engines());
    let (mut ran, mut declined) = (0, 0);
    for s in scenarios::all() {
        let stats = oracle
            .run(&s.case)
            .unwrap_or_else(|d| panic!("scenario {}: {d}", s.name));
        assert_eq!(
            stats.not_comparable, 0,
            "{}: {:?}",
            s.name, stats.failure_details
        );
        if stats.declined.keys().any(|(e, _)| *e == "spec") {
            declined += 1;
        } else {
            ran += 1;
        }
    }
    assert!(ran >= 10 && declined >= 1, "ran {ran}, declined {declined}");
}

#[test]
fn a_driver_that_skips_the_zero_fill_is_caught_at_its_op() {
    if !available() {
        return;
    }
    let case = Case {
        calldata: vec![1, 2, 3, 4],
        ops: vec![
            Op::MStore {
                offset: u(0),
                value: U256::MAX,
            },
            Op::CallDataCopy {
                mem_offset: u(0),
                data_offset: u(0),
                len: u(32),
            },
            Op::MLoad { offset: u(0) },
        ],
        ..Case::default()
    };
    // The correct driver agrees.
    let mut good = Oracle::new(vec![
        Box::new(OursEngine::new()),
        Box::new(ModelEngine::new()),
        Box::new(ExternalEngine::spec()),
    ]);
    good.run(&case).expect("the correct driver agrees");
    // The wrong one is caught at the CALLDATACOPY, and named.
    let mut bad = Oracle::new(vec![
        Box::new(OursEngine::new()),
        Box::new(ModelEngine::new()),
        Box::new(ExternalEngine::spec().with_env("EVM_MEMORY_SPEC_BUG", "calldata-pad")),
    ]);
    let d = bad.run(&case).expect_err("the wrong driver must be caught");
    assert_eq!(d.op_index, 1, "{d}");
    assert_eq!(d.suspects(), ["spec"], "{d}");
    let text = d.to_string();
    assert!(
        text.contains("DIVERGENCE at op #1: Op::CallDataCopy"),
        "{text}"
    );
}

#[test]
fn exported_vectors_replay_through_the_specs_alone() {
    if !available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("evm-memory-vectors-{}", std::process::id()));
    let summary = evm_memory::harness::export::export_vectors(&dir, None, 30, 0x5EED)
        .expect("the engines agree");
    assert!(summary.engines.contains(&"spec"), "{:?}", summary.engines);
    assert_eq!(summary.files.len(), 3, "{:?}", summary.files);
    let python = std::env::var("EVM_MEMORY_SPEC_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/spec-venv/bin/python").to_string()
    });
    let out = std::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/python/replay_vectors.py"
        ))
        .arg(&dir)
        .output()
        .expect("the replayer runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("every vector passed"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
