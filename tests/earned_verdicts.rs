//! Verdicts are earned and runaway engines are stopped (see `evm_memory::harness::budget`): an
//! `OutOfMemory` where the rules say otherwise is a divergence naming the engine, a credible one
//! is not comparable, a case past the memory budget ends without a verdict before anything
//! grows, and an engine that would grow past what the case pays for is stopped before it grows
//! and named at that op with both costs, in the oracle and in a whole campaign, which ends with
//! its report.
#![cfg(feature = "harness")]

use evm_memory::harness::budget::{Growth, Quote};
use evm_memory::harness::campaign::{Budget, Campaign, CampaignConfig};
use evm_memory::harness::engine::FrameBytes;
use evm_memory::harness::engines::build_engine;
use evm_memory::harness::{
    decode, u, Case, Engine, Mode, ModelEngine, Observation, Op, Oracle, OursEngine, Outcome,
    RevmEngine,
};
use evm_memory::U256;

/// Our memory with a planted bug in its growth planner, as the issue describes it: where
/// `end + 31` overflows (rounding the end up to a word), it answers `OutOfMemory` instead of
/// `MemoryOverflow` (the harness's `Limit`). One of the named mutants, shared with
/// `conformance fuzz-find`.
fn false_out_of_memory() -> Box<dyn Engine> {
    build_engine("mutant:false-oom").unwrap()
}

fn with_model(engine: Box<dyn Engine>, mode: Mode) -> Oracle {
    Oracle::new(vec![
        engine,
        Box::new(RevmEngine::new()),
        Box::new(ModelEngine::new()),
    ])
    .with_mode(mode)
}

/// An `OutOfMemory` where the rules answer `Limit` is a divergence that names the engine, in
/// both modes, with the other engines present or alone; and random cases find it.
#[test]
fn a_false_out_of_memory_is_caught() {
    let case = Case {
        ops: vec![
            Op::MStore {
                offset: u(0),
                value: U256::from(7u8),
            },
            Op::MLoad {
                offset: u(u64::MAX - 40),
            },
        ],
        ..Case::default()
    };
    for mode in [Mode::Fast, Mode::Full] {
        let d = with_model(false_out_of_memory(), mode)
            .run(&case)
            .expect_err("a false OutOfMemory must be a divergence");
        assert_eq!(d.op_index, 1);
        assert_eq!(d.suspects(), ["mutant:false-oom"]);
        let text = d.to_string();
        assert!(
            text.contains("answered OutOfMemory") && text.contains("their answer: Limit"),
            "{text}"
        );
        // Alone, with nothing to compare it with, it is caught all the same.
        let d = Oracle::new(vec![false_out_of_memory()])
            .with_mode(mode)
            .run(&case)
            .expect_err("alone too");
        assert_eq!(d.suspects(), ["mutant:false-oom"]);
    }
    // Random cases reach it quickly.
    let mut oracle = with_model(false_out_of_memory(), Mode::Fast);
    let mut state = 0x0DD_BA11u64;
    let found = (0..20_000).find_map(|i| {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let len = (next() % 1500) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        oracle.run(&decode(&bytes)).err().map(|d| (i, d))
    });
    let (cases, d) = found.expect("random cases reach the false OutOfMemory");
    eprintln!("false OutOfMemory caught after {} random cases", cases + 1);
    assert_eq!(d.suspects(), ["mutant:false-oom"]);
}

/// Our memory, except that it fails to allocate at op `at` (without running it).
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
        if self.op == self.at {
            obs.clear();
            obs.outcome = Outcome::OutOfMemory;
            obs.ended = true;
            obs.frames = 1;
        } else {
            self.inner.step(case, op, obs);
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

/// A refusal to allocate a growth the case pays for, of 1 GiB, is credible: the case is not
/// comparable, and the next one runs as usual. (Budget raised so that the case gets there.)
#[test]
fn a_credible_out_of_memory_is_not_comparable() {
    let case = Case {
        gas: u64::MAX,
        ops: vec![
            Op::MStore {
                offset: u(0),
                value: U256::from(1u8),
            },
            Op::MStore {
                offset: u(1 << 30),
                value: U256::from(2u8),
            },
        ],
        ..Case::default()
    };
    let mut oracle = Oracle::new(vec![Box::new(AllocationFailsAt {
        inner: OursEngine::new(),
        at: 1,
        op: 0,
    })])
    .with_memory_budget(2 << 30);
    let stats = oracle.run(&case).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!((stats.not_comparable, stats.ops), (1, 1));
    let short = Case {
        ops: case.ops[..1].to_vec(),
        ..case.clone()
    };
    let stats = oracle.run(&short).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!((stats.not_comparable, stats.ops), (0, 1));
}

/// Where the rules let a case grow past the memory budget, it ends there without a verdict:
/// no engine grows (a 1 GiB frame would show in the process's peak memory).
#[test]
fn a_case_past_the_memory_budget_is_not_comparable() {
    let case = Case {
        gas: u64::MAX,
        ops: vec![
            Op::MStore {
                offset: u(64),
                value: U256::from(1u8),
            },
            Op::MStore8 {
                offset: u(1 << 30),
                value: 1,
            },
        ],
        ..Case::default()
    };
    let stats = with_model(Box::new(OursEngine::new()), Mode::Fast)
        .run(&case)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!((stats.not_comparable, stats.ops), (1, 1));
}

/// A runaway memory, as the issue measured it: our memory, except that from 2 MiB up its
/// quadratic term is computed in 32 bits and wraps, so that it under-charges and makes growths
/// (up to what its limit allows) that the rules say the frame cannot pay for. Such a growth is
/// really made (the bytes are allocated and written) when the oracle lets it run.
struct Runaway {
    inner: OursEngine,
    /// What the engine agreed on last (for its own growth planning).
    last: Observation,
    hoard: Vec<u8>,
}

impl Runaway {
    fn new() -> Self {
        Self {
            inner: OursEngine::new(),
            last: Observation::default(),
            hoard: Vec::new(),
        }
    }
}

/// Mainnet's cost with the quadratic term wrapping in 32 bits.
fn wrapped_cost(words: u128) -> u64 {
    let w = words as u64;
    3 * w + u64::from((w as u32).wrapping_mul(w as u32)) / 512
}

/// The wrapped price of `growth` when it is a large one (to 2 MiB or more), else `None`.
fn wrapped_price(growth: &Growth) -> Option<u64> {
    (growth.to >= 2 << 20).then(|| {
        wrapped_cost(growth.to / 32).saturating_sub(wrapped_cost(u128::from(growth.from) / 32))
    })
}

impl Engine for Runaway {
    fn name(&self) -> &'static str {
        "runaway"
    }
    fn begin(&mut self, case: &Case) {
        self.inner.begin(case);
        self.last.clear();
        self.last.frames = 1;
        self.last.gas_remaining = case.gas;
        self.hoard = Vec::new();
    }
    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        let growth = evm_memory::harness::budget::requested_growth(case, op, &self.last);
        match growth.and_then(|g| Some((g, wrapped_price(&g)?))) {
            Some((g, price)) if g.total <= u128::from(case.limit) && price <= g.gas => {
                // The runaway growth, made for real.
                self.hoard = vec![1u8; g.to as usize];
                obs.clear();
                obs.assign_numbers(&self.last);
                obs.gas_charged = price;
                obs.gas_remaining -= price;
                obs.size = g.to as usize;
            }
            _ => self.inner.step(case, op, obs),
        }
        self.last.assign_numbers(obs);
    }
    fn frame_sizes(&self, out: &mut Vec<usize>) {
        self.inner.frame_sizes(out);
    }
    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>> {
        self.inner.frame(frame)
    }
    fn would_grow(&self, growth: &Growth) -> Quote {
        match wrapped_price(growth) {
            Some(price) if growth.total <= u128::from(growth.limit) && price <= growth.gas => {
                Quote::Grows(price)
            }
            Some(_) => Quote::Refuses,
            None => self.inner.would_grow(growth),
        }
    }
}

/// The process's peak resident memory, in bytes (Linux), if known.
fn peak_resident() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The runaway engine is stopped before it grows to 3 GiB and named at that op with both
/// costs; a whole campaign over it ends with a report naming it, in bounded memory.
#[test]
fn a_runaway_engine_is_stopped_and_the_campaign_reports_it() {
    let case = Case {
        ops: vec![
            Op::MSize,
            Op::MStore {
                offset: u(3 << 30),
                value: U256::from(2u8),
            },
        ],
        gas: 400_000_000,
        ..Case::default()
    };
    for mode in [Mode::Fast, Mode::Full] {
        let d = with_model(Box::new(Runaway::new()), mode)
            .run(&case)
            .expect_err("a runaway is a divergence");
        assert_eq!((d.op_index, d.suspects()), (1, vec!["runaway"]));
        let text = d.to_string();
        assert!(
            text.contains("would make a growth the rules refuse, charging")
                && text.contains("their answer: OutOfGas")
                && text.contains("Runaway"),
            "{text}"
        );
    }

    let config = CampaignConfig {
        seed: 0xF00D,
        budget: Budget::Sequences(3_000),
        corpus_dir: None,
        evm_programs: 0,
        ..CampaignConfig::default()
    };
    let factory =
        || -> Vec<Box<dyn Engine>> { vec![Box::new(Runaway::new()), Box::new(ModelEngine::new())] };
    let report = Campaign::with_engines(config, Box::new(factory))
        .run()
        .expect("the campaign ends with a report");
    assert!(!report.passed());
    let runaways = report
        .divergences
        .reports
        .iter()
        .filter(|f| f.text.contains("rule broken: runaway would make a growth"))
        .count();
    eprintln!(
        "{} failures, {} of the reported ones runaways; peak resident memory {:?} bytes",
        report.divergences.count,
        runaways,
        peak_resident()
    );
    assert!(runaways > 0, "no runaway among the reported failures");
    if let Some(peak) = peak_resident() {
        assert!(peak < 1 << 30, "peak resident memory {peak} bytes");
    }
}
