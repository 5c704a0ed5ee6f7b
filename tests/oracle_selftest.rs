//! The oracle can fail: a deliberately broken engine — wrong rounding, wrong gas, stale child
//! bytes — is caught within a bounded number of random cases, and the report names it.
#![cfg(feature = "harness")]

use evm_memory::harness::{
    decode, Divergence, ModelBugs, ModelEngine, Oracle, OursEngine, RevmEngine,
};

fn first_divergence(bugs: ModelBugs, budget: usize) -> Option<(usize, Box<Divergence>)> {
    let mut oracle = Oracle::new(vec![
        Box::new(OursEngine::new()),
        Box::new(RevmEngine::new()),
        Box::new(ModelEngine::with_bugs(bugs)),
    ]);
    let mut state = 0xDEC0_DED0_5EEDu64;
    for i in 0..budget {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let len = (next() % 2000) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if let Err(d) = oracle.run(&decode(&bytes)) {
            return Some((i, d));
        }
    }
    None
}

fn assert_caught(name: &str, bugs: ModelBugs, field: &str) {
    let (cases, d) = first_divergence(bugs, 5_000)
        .unwrap_or_else(|| panic!("{name}: not caught within 5,000 cases"));
    eprintln!(
        "{name}: caught after {} cases at op #{}",
        cases + 1,
        d.op_index
    );
    assert_eq!(
        d.suspects(),
        vec!["model"],
        "{name}: the broken engine is the odd one out"
    );
    assert!(
        d.differing_fields().contains(&field),
        "{name}: expected {field} to differ, got {:?}",
        d.differing_fields()
    );
    let report = d.to_string();
    assert!(
        report.contains("fn divergence_repro()"),
        "{name}: the report carries a reproducer"
    );
    assert!(report.contains("[ours]") && report.contains("[revm]") && report.contains("[model]"));
}

#[test]
fn wrong_rounding_is_caught() {
    let bugs = ModelBugs {
        word: 16,
        ..ModelBugs::default()
    };
    assert_caught("16-byte words", bugs, "frame_sizes");
}

#[test]
fn wrong_gas_is_caught() {
    let bugs = ModelBugs {
        quadratic_divisor: Some(256),
        ..ModelBugs::default()
    };
    assert_caught("quadratic divisor 256", bugs, "gas_charged");
}

#[test]
fn stale_child_bytes_are_caught() {
    let bugs = ModelBugs {
        stale_child_bytes: true,
        ..ModelBugs::default()
    };
    assert_caught("stale child bytes", bugs, "memory");
}

#[test]
fn the_correct_model_agrees() {
    assert!(first_divergence(ModelBugs::default(), 500).is_none());
}
