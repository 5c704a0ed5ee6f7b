//! The named conformance vectors (every `tests/vectors/*.txt`, one file a topic) run against
//! every engine; every failure is collected before the test fails. `EVM_MEMORY_VECTORS`
//! (comma-separated patterns: a vector's name contains one, or its file stem is one) runs a
//! subset; a filter that selects nothing fails.
#![cfg(feature = "harness")]

use std::path::Path;

use evm_memory::harness::engines::{engines_by_names, selected_engine_names};
use evm_memory::harness::vectors::{load_dir, run_all, Filter, Summary, Vector, ENV};
use evm_memory::harness::{
    check_case, Case, Engine, ModelBugs, ModelEngine, Observation, Op, Oracle, OursEngine,
    RevmEngine,
};
use evm_memory::MemoryPricing;

/// The engines every vector runs against: those `EVM_MEMORY_ENGINES` chooses, every engine
/// (ours along both of its paths, revm, the model) when it is unset.
fn engines() -> Vec<Box<dyn Engine>> {
    let names = selected_engine_names().unwrap_or_else(|e| panic!("{e}"));
    engines_by_names(&names)
}

/// Every vector, from every file.
fn all_vectors() -> Vec<Vector> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    load_dir(&dir).unwrap_or_else(|e| panic!("{e}"))
}

/// The vectors `EVM_MEMORY_VECTORS` selects (all when it is unset), after printing how many
/// of how many; panics when a filter selects none.
fn selected() -> Vec<Vector> {
    let all = all_vectors();
    let filter = Filter::from_env();
    let chosen: Vec<Vector> = filter.select(&all).into_iter().cloned().collect();
    if filter.is_empty() {
        eprintln!("vectors: running all {}", all.len());
    } else {
        eprintln!(
            "vectors: running {} of {} ({ENV}={})",
            chosen.len(),
            all.len(),
            filter.patterns().join(",")
        );
        assert!(
            !chosen.is_empty(),
            "{ENV}={}: no vector's name contains any of these patterns and no file stem is one",
            filter.patterns().join(",")
        );
    }
    chosen
}

fn print_summary(summary: &Summary, of: usize) {
    eprintln!(
        "[{}] ran {} of {} vectors, {} failures, {} declined",
        summary.engine,
        summary.ran,
        of,
        summary.failures.len(),
        summary.declined_total()
    );
    for (reason, n) in &summary.declined {
        eprintln!("[{}]   declined {n}: {reason}", summary.engine);
    }
}

#[test]
fn every_engine_meets_every_vector() {
    let vectors = selected();
    let mut failures = Vec::new();
    for mut engine in engines() {
        let summary = run_all(&vectors, engine.as_mut());
        print_summary(&summary, vectors.len());
        failures.extend(summary.failures);
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
    for v in selected() {
        check_case(&v.case);
    }
}

#[test]
fn every_file_holds_vectors_with_a_source() {
    let vectors = all_vectors();
    assert!(vectors.len() >= 30, "only {} vectors", vectors.len());
    for stem in [
        "words",
        "copies",
        "calls",
        "returndata",
        "limits_and_gas",
        "pricing",
    ] {
        assert!(
            vectors.iter().any(|v| v.stem() == stem),
            "no vector in {stem}.txt"
        );
    }
    // The parser refuses a vector without one; nothing empty slipped through.
    assert!(vectors.iter().all(|v| !v.source.is_empty()));
}

#[test]
fn the_filter_selects_by_name_and_by_file() {
    let vectors = all_vectors();
    let count = |spec: &str| Filter::new(spec).select(&vectors).len();
    let in_calls = vectors.iter().filter(|v| v.stem() == "calls").count();
    assert!(in_calls > 0);
    assert_eq!(
        count("calls"),
        in_calls + count_containing(&vectors, "calls")
    );
    assert_eq!(count(""), vectors.len());
    assert_eq!(count("eip5656"), 4);
    assert_eq!(count("seed_"), 3);
    assert_eq!(count("eip5656, seed_"), 7);
    assert_eq!(count("no_such_vector"), 0);
}

/// Vectors outside `calls.txt` whose name contains `pattern`.
fn count_containing(vectors: &[Vector], pattern: &str) -> usize {
    vectors
        .iter()
        .filter(|v| v.stem() != "calls" && v.name.contains(pattern))
        .count()
}

/// An engine that declines every case priced other than mainnet's and runs the rest as `E`.
struct MainnetOnly<E>(E);

const NOT_MAINNET: &str = "test wrapper: runs mainnet pricing only";

impl<E: Engine> Engine for MainnetOnly<E> {
    fn name(&self) -> &'static str {
        "mainnet-only"
    }
    fn begin(&mut self, case: &Case) {
        self.0.begin(case)
    }
    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        self.0.step(case, op, obs)
    }
    fn frame_sizes(&self, out: &mut Vec<usize>) {
        self.0.frame_sizes(out)
    }
    fn frame(&self, frame: usize) -> Option<evm_memory::harness::engine::FrameBytes<'_>> {
        self.0.frame(frame)
    }
    fn declines(&self, case: &Case) -> Option<&'static str> {
        (case.pricing != MemoryPricing::MAINNET).then_some(NOT_MAINNET)
    }
}

#[test]
fn declined_vectors_are_counted_not_run() {
    let vectors = all_vectors();
    let repriced = vectors
        .iter()
        .filter(|v| v.case.pricing != MemoryPricing::MAINNET)
        .count();
    assert!(repriced >= 3, "pricing.txt has repriced vectors");
    let summary = run_all(&vectors, &mut MainnetOnly(OursEngine::new()));
    print_summary(&summary, vectors.len());
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    assert_eq!(summary.ran, vectors.len() - repriced);
    assert_eq!(summary.declined.get(NOT_MAINNET), Some(&repriced));
    assert_eq!(summary.declined_total(), repriced);
    // An engine that declines nothing runs everything.
    let summary = run_all(&vectors, &mut OursEngine::new());
    assert_eq!((summary.ran, summary.declined_total()), (vectors.len(), 0));
}

#[test]
fn the_oracle_leaves_a_declining_engine_out() {
    // A model that expands in 16-byte steps diverges on the first store.
    let broken = || {
        ModelEngine::with_bugs(ModelBugs {
            word: 16,
            ..ModelBugs::default()
        })
    };
    let case = |pricing| Case {
        ops: vec![Op::MStore8 {
            offset: evm_memory::harness::u(40),
            value: 1,
        }],
        pricing,
        ..Case::default()
    };
    let cheap = MemoryPricing {
        word_cost: 1,
        quadratic_denominator: 1024,
    };
    let mut oracle = Oracle::new(vec![
        Box::new(OursEngine::new()),
        Box::new(MainnetOnly(broken())),
        Box::new(RevmEngine::new()),
    ]);
    // Repriced: the broken engine declines and the other two agree.
    let stats = oracle.run(&case(cheap)).expect("the others agree");
    assert_eq!(stats.declined.get(&("mainnet-only", NOT_MAINNET)), Some(&1));
    assert_eq!(stats.ops, 1);
    // Mainnet: it runs, and is caught, in its place among the engines.
    let d = oracle
        .run(&case(MemoryPricing::MAINNET))
        .expect_err("the broken engine runs and diverges");
    assert_eq!(d.suspects(), vec!["mainnet-only"]);
    assert_eq!(oracle.engine_names(), ["ours", "mainnet-only", "revm"]);
    // Every engine declining: nothing runs, every decline is counted.
    let mut oracle = Oracle::new(vec![
        Box::new(MainnetOnly(OursEngine::new())),
        Box::new(MainnetOnly(broken())),
    ]);
    let stats = oracle.run(&case(cheap)).expect("nothing to compare");
    assert_eq!(stats.ops, 0);
    assert_eq!(stats.declined.get(&("mainnet-only", NOT_MAINNET)), Some(&2));
}
