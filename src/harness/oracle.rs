//! The oracle: runs a [`Case`] through several engines op by op, compares their
//! [`Observation`]s with `==` after every op, and on a divergence produces a [`Divergence`]
//! report: the case as a pasteable Rust reproducer, the index of the first diverging op, every
//! engine's observation, and which engine is off the rules (the reference model decides).

use std::collections::BTreeMap;
use std::fmt;

use super::case::{Case, Op, OpKind};
use super::engine::Engine;
use super::engines::{ModelEngine, OursEngine, RevmEngine};
use super::observation::{Observation, Outcome};
use super::reproducer::{op_expr, rust_reproducer};

/// What a run of one case covered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Ops compared, by kind.
    pub ops_by_kind: BTreeMap<OpKind, u64>,
    /// Ops compared in all.
    pub ops: u64,
    /// Deepest frame reached (0 is the root).
    pub max_depth: usize,
    /// Largest frame size seen, in bytes.
    pub max_frame_size: usize,
    /// Largest shared buffer (all frames) seen, in bytes.
    pub max_total_size: usize,
    /// Outcomes seen, by kind.
    pub outcomes: BTreeMap<Outcome, u64>,
    /// `(frame size in bytes, expansion gas charged)` for every op that grew memory, for plots.
    pub expansions: Vec<(usize, u64)>,
    /// Cases run with a memory pricing other than mainnet's.
    pub repriced: u64,
}

impl RunStats {
    /// Adds another run's statistics to these.
    pub fn merge(&mut self, other: &RunStats) {
        for (k, v) in &other.ops_by_kind {
            *self.ops_by_kind.entry(*k).or_default() += v;
        }
        for (k, v) in &other.outcomes {
            *self.outcomes.entry(*k).or_default() += v;
        }
        self.ops += other.ops;
        self.repriced += other.repriced;
        self.max_depth = self.max_depth.max(other.max_depth);
        self.max_frame_size = self.max_frame_size.max(other.max_frame_size);
        self.max_total_size = self.max_total_size.max(other.max_total_size);
        self.expansions.extend_from_slice(&other.expansions);
    }

    /// Adds one op's observation; `depth_before` is the depth the op ran at.
    fn record(&mut self, op: &Op, obs: &Observation, depth_before: usize) {
        *self.ops_by_kind.entry(op.kind()).or_default() += 1;
        *self.outcomes.entry(obs.outcome).or_default() += 1;
        self.ops += 1;
        if let Some(depth) = obs.depth() {
            self.max_depth = self.max_depth.max(depth);
        }
        self.max_frame_size = self
            .max_frame_size
            .max(obs.frame_sizes.iter().copied().max().unwrap_or(0));
        self.max_total_size = self.max_total_size.max(obs.memory.len());
        // The size of the frame that paid: the current one, or the caller when a CALL has just
        // entered a child (a frame that ended with the op is gone, and is not recorded).
        if obs.gas_charged > 0 {
            let payer = match obs.depth() {
                Some(d) if d == depth_before => obs.frame_sizes.last(),
                Some(d) if d == depth_before + 1 => obs.frame_sizes.get(depth_before),
                _ => None,
            };
            if let Some(&size) = payer {
                self.expansions.push((size, obs.gas_charged));
            }
        }
    }
}

/// Two or more engines disagreed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The case that diverged.
    pub case: Case,
    /// Index of the first op after which observations differ.
    pub op_index: usize,
    /// Each engine's name and observation after that op.
    pub observations: Vec<(&'static str, Observation)>,
    /// The observation before that op (the last one all engines agreed on), if any.
    pub previous: Option<Observation>,
}

impl Divergence {
    /// The odd ones out: engines whose observation differs from what a strict majority of
    /// engines observed; without a strict majority, those that differ from the reference model
    /// (named `model`, written straight from the EVM rules).
    pub fn suspects(&self) -> Vec<&'static str> {
        let n = self.observations.len();
        let majority = self
            .observations
            .iter()
            .map(|(_, o)| o)
            .find(|o| 2 * self.observations.iter().filter(|(_, p)| p == *o).count() > n);
        let reference = majority.or_else(|| {
            self.observations
                .iter()
                .find(|(name, _)| *name == "model")
                .map(|(_, o)| o)
        });
        self.observations
            .iter()
            .filter(|(_, o)| Some(o) != reference)
            .map(|(n, _)| *n)
            .collect()
    }

    /// Names of the fields that differ between the first two differing engines.
    pub fn differing_fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        let first = &self.observations[0].1;
        for (_, o) in &self.observations[1..] {
            let checks: [(&'static str, bool); 7] = [
                ("outcome", o.outcome != first.outcome),
                ("output", o.output != first.output),
                ("gas_charged", o.gas_charged != first.gas_charged),
                ("gas_remaining", o.gas_remaining != first.gas_remaining),
                ("ended", o.ended != first.ended),
                ("frame_sizes", o.frame_sizes != first.frame_sizes),
                ("memory", o.memory != first.memory),
            ];
            for (name, differs) in checks {
                if differs && !fields.contains(&name) {
                    fields.push(name);
                }
            }
        }
        fields
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = &self.case.ops[self.op_index];
        writeln!(f, "DIVERGENCE at op #{}: {}", self.op_index, op_expr(op))?;
        writeln!(
            f,
            "differing fields: {}",
            self.differing_fields().join(", ")
        )?;
        writeln!(
            f,
            "odd one out (differs from the majority, or from the reference model): {}",
            self.suspects().join(", ")
        )?;
        if let Some(prev) = &self.previous {
            writeln!(f, "\nagreed state before the op:\n  {prev}")?;
        }
        writeln!(f, "\nobservations after the op:")?;
        for (name, obs) in &self.observations {
            writeln!(f, "  [{name}] {obs}")?;
        }
        // Where the memories first differ, with a window of bytes around it from each engine.
        let first = &self.observations[0].1.memory;
        let at = self.observations[1..]
            .iter()
            .filter_map(|(_, o)| {
                let same = o
                    .memory
                    .iter()
                    .zip(first)
                    .take_while(|(a, b)| a == b)
                    .count();
                (o.memory != *first).then_some(same)
            })
            .min();
        if let Some(at) = at {
            let start = at.saturating_sub(8);
            writeln!(
                f,
                "\nfirst differing memory byte: global offset {at}; bytes from {start}:"
            )?;
            for (name, obs) in &self.observations {
                let window = obs
                    .memory
                    .get(start..(start + 40).min(obs.memory.len()))
                    .unwrap_or(&[]);
                let hex: String = window.iter().map(|b| format!("{b:02x}")).collect();
                writeln!(f, "  [{name}] {hex}")?;
            }
        }
        // Ops after the diverging one play no part: the reproducer stops there.
        let mut case = self.case.clone();
        case.ops.truncate(self.op_index + 1);
        writeln!(f, "\nreproducer (paste into a test file):\n")?;
        write!(f, "{}", rust_reproducer(&case, "divergence_repro"))
    }
}

/// Runs cases through a fixed set of engines, reusing every allocation between cases.
pub struct Oracle {
    engines: Vec<Box<dyn Engine>>,
    observations: Vec<Observation>,
    previous: Observation,
}

impl fmt::Debug for Oracle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.engines.iter().map(|e| e.name()).collect();
        f.debug_struct("Oracle").field("engines", &names).finish()
    }
}

impl Default for Oracle {
    /// The three engines: ours, revm and the reference model.
    fn default() -> Self {
        Self::new(vec![
            Box::new(OursEngine::new()),
            Box::new(RevmEngine::new()),
            Box::new(ModelEngine::new()),
        ])
    }
}

impl Oracle {
    /// An oracle over the given engines (at least two).
    pub fn new(engines: Vec<Box<dyn Engine>>) -> Self {
        let observations = vec![Observation::default(); engines.len()];
        Self {
            engines,
            observations,
            previous: Observation::default(),
        }
    }

    /// Names of the engines, in order.
    pub fn engine_names(&self) -> Vec<&'static str> {
        self.engines.iter().map(|e| e.name()).collect()
    }

    /// Runs `case` through every engine, comparing after every op.
    ///
    /// # Errors
    /// The first [`Divergence`], boxed.
    pub fn run(&mut self, case: &Case) -> Result<RunStats, Box<Divergence>> {
        let mut stats = RunStats {
            repriced: u64::from(case.pricing != crate::MemoryPricing::MAINNET),
            ..RunStats::default()
        };
        for engine in &mut self.engines {
            engine.begin(case);
        }
        self.previous.clear();
        let mut have_previous = false;
        let mut depth = 0;
        for (index, op) in case.ops.iter().enumerate() {
            for (engine, obs) in self.engines.iter_mut().zip(&mut self.observations) {
                engine.step(case, op, obs);
            }
            let first = &self.observations[0];
            if self.observations[1..].iter().any(|o| o != first) {
                return Err(Box::new(Divergence {
                    case: case.clone(),
                    op_index: index,
                    observations: self
                        .engines
                        .iter()
                        .map(|e| e.name())
                        .zip(self.observations.iter().cloned())
                        .collect(),
                    previous: have_previous.then(|| self.previous.clone()),
                }));
            }
            stats.record(op, first, depth);
            if first.ended {
                break;
            }
            depth = first.depth().unwrap_or(0);
            self.previous.clone_from(first);
            have_previous = true;
        }
        Ok(stats)
    }
}

thread_local! {
    static ORACLE: std::cell::RefCell<Option<Oracle>> = const { std::cell::RefCell::new(None) };
}

/// Runs `case` through ours, revm and the model with a per-thread [`Oracle`] (allocations are
/// reused across calls).
///
/// # Errors
/// The first [`Divergence`].
pub fn run_case(case: &Case) -> Result<RunStats, Box<Divergence>> {
    ORACLE.with(|cell| {
        let mut slot = cell.borrow_mut();
        slot.get_or_insert_with(Oracle::default).run(case)
    })
}

/// Runs `case` through the three engines and panics with the full divergence report if they
/// disagree. This is what fuzz targets, corpus replays and reproducers call.
///
/// # Panics
/// On any divergence, with the report as the message.
pub fn check_case(case: &Case) -> RunStats {
    match run_case(case) {
        Ok(stats) => stats,
        Err(d) => panic!("\n{d}"),
    }
}
