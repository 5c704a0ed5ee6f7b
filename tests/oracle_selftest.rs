//! The oracle can fail: a deliberately broken engine — wrong rounding, wrong gas, stale child
//! bytes, a stray write outside the region an op writes — is caught within a bounded number of
//! random cases, in the fast mode as in the full one, and the report names it and the first op
//! after which it differs.
#![cfg(feature = "harness")]

use evm_memory::harness::engine::FrameBytes;
use evm_memory::harness::{
    decode, u, Case, Divergence, Engine, Mode, ModelBugs, ModelEngine, Observation, Op, Oracle,
    OursEngine, Outcome, RevmEngine,
};
use evm_memory::U256;

fn oracle(bugs: ModelBugs, mode: Mode) -> Oracle {
    Oracle::new(vec![
        Box::new(OursEngine::new()),
        Box::new(RevmEngine::new()),
        Box::new(ModelEngine::with_bugs(bugs)),
    ])
    .with_mode(mode)
}

fn first_divergence(bugs: ModelBugs, budget: usize) -> Option<(usize, Box<Divergence>)> {
    first_divergence_in(bugs, budget, Mode::Fast)
}

fn first_divergence_in(
    bugs: ModelBugs,
    budget: usize,
    mode: Mode,
) -> Option<(usize, Box<Divergence>)> {
    let mut oracle = oracle(bugs, mode);
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

/// A broken engine that also writes one byte outside the word each MSTORE stores: the fast
/// mode, which compares only the stored word after the op, sees it at its next whole
/// comparison, runs the case again comparing everything, and names the MSTORE that did it —
/// the same op a full-mode oracle names.
#[test]
fn a_stray_write_is_caught_in_the_fast_mode_and_named_at_its_op() {
    let bugs = ModelBugs {
        stray_write: true,
        ..ModelBugs::default()
    };
    let (cases, d) = first_divergence_in(bugs, 5_000, Mode::Fast)
        .unwrap_or_else(|| panic!("a stray write is not caught within 5,000 cases"));
    eprintln!(
        "stray write: caught after {} cases, seen at op #{:?}, named at op #{}",
        cases + 1,
        d.seen_at,
        d.op_index
    );
    assert_eq!(
        d.mode,
        Mode::Full,
        "the fast mode's divergence is run again"
    );
    assert!(d.seen_at.is_some_and(|seen| seen >= d.op_index));
    assert_eq!(d.suspects(), vec!["model"]);
    assert!(matches!(d.case.ops[d.op_index], Op::MStore { .. }));
    assert!(d.differing_fields().contains(&"memory"));
    let full = oracle(bugs, Mode::Full)
        .run(&d.case)
        .expect_err("the full mode catches it too");
    assert_eq!(full.op_index, d.op_index);
    assert!(d.to_string().contains("seen by the fast comparison"));

    // One that the op's own comparison cannot see: the root's first word (no stray byte fits
    // outside it), then a word far from the first byte, then ops that write nothing. The fast
    // mode sees the stray byte at the end of the case.
    let store = |offset| Op::MStore {
        offset: u(offset),
        value: U256::from(7),
    };
    let mut ops = vec![store(0), store(64)];
    ops.extend((0..20).map(|_| Op::MSize));
    let case = Case {
        ops,
        ..Case::default()
    };
    let d = oracle(bugs, Mode::Fast).run(&case).unwrap_err();
    assert_eq!((d.seen_at, d.op_index), (Some(21), 1));
    assert_eq!(d.suspects(), vec!["model"]);
}

/// The correct model agrees in both modes, over the same cases.
#[test]
fn the_correct_model_agrees_in_the_full_mode() {
    assert!(first_divergence_in(ModelBugs::default(), 300, Mode::Full).is_none());
}

/// Our memory when the allocator fails at op `at` of every case: the rest as `ours`.
struct AllocationFailsAt {
    inner: OursEngine,
    at: usize,
    op: usize,
}

impl Engine for AllocationFailsAt {
    fn name(&self) -> &'static str {
        "ours (allocation fails)"
    }
    fn begin(&mut self, case: &Case) {
        self.inner.begin(case);
        self.op = 0;
    }
    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        self.inner.step(case, op, obs);
        if self.op == self.at {
            obs.outcome = Outcome::OutOfMemory;
            obs.ended = true;
        }
        self.op += 1;
    }
    fn frame_sizes(&self, out: &mut Vec<usize>) {
        self.inner.frame_sizes(out);
    }
    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>> {
        self.inner.frame(frame)
    }
}

/// An allocation failure where the rules cannot explain one (a 4 KiB growth the case pays
/// for) is a divergence naming the engine, not a case without a verdict (see
/// `evm_memory::harness::budget` and tests/earned_verdicts.rs for a credible one); the oracle
/// goes on to the next case.
#[test]
fn an_allocation_failure_the_rules_cannot_explain_is_a_divergence() {
    let store = |offset: u64| Op::MStore {
        offset: u(offset),
        value: U256::from(offset + 1),
    };
    let case = Case {
        ops: vec![store(0), store(64), store(4096), Op::MLoad { offset: u(0) }],
        ..Case::default()
    };
    for mode in [Mode::Fast, Mode::Full] {
        let mut oracle = Oracle::new(vec![
            Box::new(AllocationFailsAt {
                inner: OursEngine::new(),
                at: 2,
                op: 0,
            }),
            Box::new(RevmEngine::new()),
            Box::new(ModelEngine::new()),
        ])
        .with_mode(mode);
        let d = oracle
            .run(&case)
            .expect_err("a false allocation failure is a divergence");
        assert_eq!(d.op_index, 2);
        assert_eq!(d.suspects(), ["ours (allocation fails)"]);
        assert!(
            d.to_string()
                .contains("answered OutOfMemory where no allocation can credibly fail"),
            "{d}"
        );
        let short = Case {
            ops: case.ops[..2].to_vec(),
            ..Case::default()
        };
        let stats = oracle
            .run(&short)
            .expect("the next case is compared as usual");
        assert_eq!((stats.not_comparable, stats.ops), (0, 2));
    }
}

/// Every engine runs by default, our memory's plain path among them; a selection by name
/// builds exactly what it names.
#[test]
fn engines_by_name() {
    use evm_memory::harness::engines::{engines_by_names, parse_engine_selection, ENGINE_NAMES};
    assert_eq!(Oracle::default().engine_names(), ENGINE_NAMES);
    assert!(ENGINE_NAMES.contains(&"ours-plain"));
    let names = parse_engine_selection("-revm").unwrap();
    let oracle = Oracle::new(engines_by_names(&names));
    assert_eq!(oracle.engine_names(), ["ours", "ours-plain", "model"]);
}
