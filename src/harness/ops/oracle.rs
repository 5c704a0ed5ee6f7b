//! The oracle: runs a [`Case`] through several engines op by op, compares their
//! [`Observation`]s with `==` after every op, and on a divergence produces a [`Divergence`]
//! report: the case as a pasteable Rust reproducer, the index of the first diverging op, every
//! engine's observation, and which engine is off the rules (the reference model decides).
//!
//! Two modes ([`Mode`]). The *full* mode compares everything after every op: outcome, output,
//! gas, and every open frame's size and bytes — a case costs O(ops × memory). The *fast* mode,
//! the default, compares after every op what the op could have changed: the outcome, the
//! output, the gas charged and left, the number of open frames, the current frame's size and
//! the size of all frames together (which no frame can change without changing it), the bytes
//! of the region the op wrote and of any growth, a child's whole memory when it ends, and the
//! return region it handed its caller; and everything — every frame's size and bytes — at the
//! end of the case and every [`FULL_CHECK_EVERY`] ops (less often for a large memory: see
//! [`BYTES_PER_OP`]), the bound `diff_evm`'s fast mode uses too (the bytecode level's trace
//! takes its constants from here). A write anywhere else (a stray write) shows at the next
//! whole comparison; a divergence found in the fast mode is run again in the full mode, so the
//! report names the first op after which the engines differ. `EVM_MEMORY_ORACLE=full` makes
//! the full mode the default ([`Mode::from_env`]).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use super::budget::{credible_out_of_memory, guarded, requested_growth, Quote, CASE_MEMORY_BUDGET};
use super::case::{Case, Op, OpKind, LARGE_FRAME};
use super::engine::{observe_all, Engine, FrameBytes, Reach};
use super::engines::{all_engines, selected_engines_or_exit};
use super::observation::{Observation, Outcome};
use super::reproducer::{op_expr, rust_reproducer};
use crate::{saturating_usize, U256};

/// Every how many ops the fast mode compares every frame's size and bytes even when no op could
/// have changed them: a bound on how long a stray write goes unseen (`diff_evm`'s
/// `DIGEST_EVERY`, in steps, is this).
pub const FULL_CHECK_EVERY: usize = 64;

/// Bytes of whole-memory comparison the fast mode spends per op, at most, on a large memory
/// (`diff_evm`'s `BYTES_PER_STEP`, per step, is this): with `n` bytes open, the whole
/// comparison comes every `max(FULL_CHECK_EVERY, n / BYTES_PER_OP)` ops.
pub const BYTES_PER_OP: usize = 256;

/// Whole memories a full-mode divergence report copies from each engine, at most (1 MiB): past
/// it, the report holds a window of [`REPORT_WINDOW`] bytes around the first difference, so
/// that reporting a divergence never costs more memory than the case itself.
pub const REPORT_WHOLE_BYTES: usize = 1 << 20;

/// Bytes of memory a report of a large memory shows around the first difference.
pub const REPORT_WINDOW: usize = 256;

/// How much the oracle compares after every op (see the [module](self) documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// What the op could have changed after every op; everything at the end of the case and
    /// every [`FULL_CHECK_EVERY`] ops; a divergence is run again in the full mode.
    #[default]
    Fast,
    /// Everything after every op.
    Full,
}

impl Mode {
    /// The environment variable that chooses the default mode: `full` for [`Mode::Full`].
    pub const ENV: &'static str = "EVM_MEMORY_ORACLE";

    /// [`Mode::Full`] when `EVM_MEMORY_ORACLE` is `full`, else [`Mode::Fast`].
    pub fn from_env() -> Self {
        match std::env::var(Self::ENV) {
            Ok(v) if v.eq_ignore_ascii_case("full") => Self::Full,
            _ => Self::Fast,
        }
    }
}

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
    /// Frames that grew to [`LARGE_FRAME`] (2 MiB) or more.
    pub large_frames: u64,
    /// What the engines' adapters counted (zero-length calls, reallocations inside children).
    pub reach: Reach,
    /// RETURNDATACOPYs run in the root frame.
    pub root_returndatacopies: u64,
    /// Cases that stopped being comparable: an engine could not allocate
    /// ([`Outcome::OutOfMemory`]) where the rules find that credible
    /// ([`credible_out_of_memory`]), a failure of the machine rather than a result of the
    /// rules, or the rules would let the case grow past the oracle's memory budget
    /// ([`CASE_MEMORY_BUDGET`]); either way the case ended there without a verdict (wasmtime
    /// calls such a run *poisoned*). Their ops up to that point were compared and are counted.
    pub not_comparable: u64,
    /// Cases an engine declined ([`Engine::declines`]) and was left out of, by engine name
    /// and reason.
    pub declined: BTreeMap<(&'static str, &'static str), u64>,
    /// Cases that were not comparable because an engine failed ([`Engine::failure`]: an
    /// engine in another process that did not start, exited, timed out or replied nonsense),
    /// by engine name and reason; each is also counted in
    /// [`not_comparable`](Self::not_comparable).
    pub engine_failures: BTreeMap<(&'static str, &'static str), u64>,
    /// The first few engine failures in full (at most [`MAX_FAILURE_DETAILS`]), each naming
    /// the engine, the op and what went wrong.
    pub failure_details: Vec<String>,
}

/// Engine failures kept in full in [`RunStats::failure_details`].
pub const MAX_FAILURE_DETAILS: usize = 10;

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
        self.large_frames += other.large_frames;
        self.reach.add(other.reach);
        self.root_returndatacopies += other.root_returndatacopies;
        self.not_comparable += other.not_comparable;
        for (k, v) in &other.declined {
            *self.declined.entry(*k).or_default() += v;
        }
        for (k, v) in &other.engine_failures {
            *self.engine_failures.entry(*k).or_default() += v;
        }
        for d in &other.failure_details {
            if self.failure_details.len() < MAX_FAILURE_DETAILS {
                self.failure_details.push(d.clone());
            }
        }
    }

    /// Adds what one op's agreed observation `now` shows of depth and sizes; `before` is the
    /// agreed one before the op. (Op kinds and outcomes are counted by the oracle.)
    fn record(&mut self, before: &Observation, now: &Observation) {
        if let Some(depth) = now.depth() {
            self.max_depth = self.max_depth.max(depth);
        }
        self.max_total_size = self.max_total_size.max(now.total_size);
        // Only the frame that ran the op can have grown: its size now, when it is still open
        // (the current frame, or the caller when a CALL has just entered a child). A frame that
        // ended with the op is gone, and is not recorded.
        let Some(size) = payer_size(before, now) else {
            return;
        };
        self.max_frame_size = self.max_frame_size.max(size);
        if before.size < LARGE_FRAME && size >= LARGE_FRAME {
            self.large_frames += 1;
        }
        if now.gas_charged > 0 {
            self.expansions.push((size, now.gas_charged));
        }
    }
}

/// The size after the op of the frame that ran it, when it is still open.
fn payer_size(before: &Observation, now: &Observation) -> Option<usize> {
    if now.frames == before.frames {
        Some(now.size)
    } else if now.frames == before.frames + 1 {
        Some(before.size + now.total_size.saturating_sub(before.total_size))
    } else {
        None
    }
}

/// The region of the frame running it that `op` writes (beyond expanding it), saturated.
fn written_region(op: &Op) -> Option<Range<usize>> {
    let region = |offset: U256, len: usize| {
        let start = saturating_usize(offset);
        (len > 0).then(|| start..start.saturating_add(len))
    };
    match *op {
        Op::MStore { offset, .. } => region(offset, 32),
        Op::MStore8 { offset, .. } => region(offset, 1),
        Op::MCopy { dst, len, .. } => region(dst, saturating_usize(len)),
        Op::CallDataCopy {
            mem_offset, len, ..
        }
        | Op::CodeCopy {
            mem_offset, len, ..
        }
        | Op::ReturnDataCopy {
            mem_offset, len, ..
        } => region(mem_offset, saturating_usize(len)),
        _ => None,
    }
}

/// What the fast mode compares of `op`'s effect on memory, as `(frame, range)` pairs: the bytes
/// the frame that ran it added and wrote, if it is still open; else (a child ended: its memory
/// is in the observation) the return region of its caller. `returns` holds the return region of
/// every open child, innermost last.
fn changed_regions(
    op: &Op,
    before: &Observation,
    now: &Observation,
    returns: &[Range<usize>],
    out: &mut Vec<(usize, Range<usize>)>,
) {
    let ran_in = before.frames.saturating_sub(1);
    if now.frames >= before.frames {
        let grown = now.total_size.saturating_sub(before.total_size);
        if grown > 0 {
            out.push((ran_in, before.size..before.size + grown));
        }
        if let Some(written) = written_region(op) {
            out.push((ran_in, written));
        }
    } else if let (Some(caller), Some(ret)) = (now.depth(), returns.last()) {
        if !ret.is_empty() {
            out.push((caller, ret.clone()));
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
    /// The mode of the run that found it: [`Mode::Full`] when the fast mode's divergence was
    /// found again by a full run (the observations are then whole).
    pub mode: Mode,
    /// When a fast run found the divergence: the op after which it saw the engines differ
    /// (the full run then names the first op after which they do, perhaps an earlier one).
    pub seen_at: Option<usize>,
    /// Engines whose answer contradicts the rules whatever the others say (a growth the rules
    /// refuse, an allocation failure that is not credible: see
    /// [`budget`](super::budget)), each with why.
    pub breaches: Vec<(&'static str, String)>,
    /// When the memories were too large to copy whole ([`REPORT_WHOLE_BYTES`]): the global
    /// offset at which each observation's [`memory`](Observation::memory), a window around the
    /// first difference, starts.
    pub memory_window: Option<usize>,
}

impl Divergence {
    /// The odd ones out: the engines that broke a rule ([`breaches`](Self::breaches)) when
    /// any did; else engines whose observation differs from what a strict majority of
    /// engines observed; without a strict majority, those that differ from the reference model
    /// (named `model`, written straight from the EVM rules).
    pub fn suspects(&self) -> Vec<&'static str> {
        if !self.breaches.is_empty() {
            let mut names: Vec<&'static str> = self.breaches.iter().map(|(n, _)| *n).collect();
            names.dedup();
            return names;
        }
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
            let checks: [(&'static str, bool); 11] = [
                ("outcome", o.outcome != first.outcome),
                ("output", o.output != first.output),
                ("gas_charged", o.gas_charged != first.gas_charged),
                ("gas_remaining", o.gas_remaining != first.gas_remaining),
                ("ended", o.ended != first.ended),
                ("frames", o.frames != first.frames),
                ("size", o.size != first.size),
                ("total_size", o.total_size != first.total_size),
                ("ended_frame", o.ended_frame != first.ended_frame),
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
        match (self.mode, self.seen_at) {
            (Mode::Full, Some(seen)) => writeln!(
                f,
                "(seen by the fast comparison after op #{seen}; run again comparing everything \
                 after every op)"
            )?,
            (Mode::Fast, _) => writeln!(
                f,
                "(fast comparison: the bytes shown are the regions the op could have written; \
                 a run comparing everything did not diverge)"
            )?,
            (Mode::Full, None) => {}
        }
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
        for (_, why) in &self.breaches {
            writeln!(f, "rule broken: {why}")?;
        }
        if let Some(prev) = &self.previous {
            writeln!(f, "\nagreed state before the op:\n  {prev}")?;
        }
        writeln!(f, "\nobservations after the op:")?;
        for (name, obs) in &self.observations {
            writeln!(f, "  [{name}] {obs}")?;
        }
        // Where the memories first differ, with a window of bytes around it from each engine.
        let whole = self.observations.iter().all(|(_, o)| o.is_whole());
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
            .min()
            .filter(|_| whole);
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
        if let Some(start) = self.memory_window {
            writeln!(
                f,
                "\nmemory too large to copy whole; bytes from global offset {start}:"
            )?;
            for (name, obs) in &self.observations {
                let hex: String = obs.memory.iter().map(|b| format!("{b:02x}")).collect();
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
    mode: Mode,
    /// The return region of every open child, innermost last (from its CALL's operands).
    returns: Vec<Range<usize>>,
    /// What the fast mode compares of the op running.
    regions: Vec<(usize, Range<usize>)>,
    /// The most bytes a case may hold (see [`budget`](super::budget)).
    budget: u64,
}

impl fmt::Debug for Oracle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.engines.iter().map(|e| e.name()).collect();
        f.debug_struct("Oracle")
            .field("engines", &names)
            .field("mode", &self.mode)
            .finish()
    }
}

impl Default for Oracle {
    /// Every engine ([`ENGINE_NAMES`](super::engines::ENGINE_NAMES)), whatever
    /// `EVM_MEMORY_ENGINES` says.
    fn default() -> Self {
        Self::new(all_engines())
    }
}

impl Oracle {
    /// An oracle over the given engines (with one, nothing is compared but every op still runs),
    /// in the mode the environment chooses
    /// ([`Mode::from_env`]).
    pub fn new(engines: Vec<Box<dyn Engine>>) -> Self {
        let observations = vec![Observation::default(); engines.len()];
        Self {
            engines,
            observations,
            previous: Observation::default(),
            mode: Mode::from_env(),
            returns: Vec::new(),
            regions: Vec::new(),
            budget: CASE_MEMORY_BUDGET,
        }
    }

    /// Drops the buffers the oracle and its engines keep from case to case for reuse
    /// ([`Engine::release_memory`]): what [`run_case`] does after a case whose shared buffer
    /// grew past [`RELEASE_ABOVE`] bytes, so that a process running case after case (a fuzz
    /// target) holds what the case in hand needs, not the largest case it ever ran in every
    /// engine and every observation.
    pub fn release_memory(&mut self) {
        for engine in &mut self.engines {
            engine.release_memory();
        }
        for obs in &mut self.observations {
            *obs = Observation::default();
        }
        self.previous = Observation::default();
    }

    /// The oracle with a per-case memory budget of `bytes` instead of [`CASE_MEMORY_BUDGET`]:
    /// where the rules would let a case's shared buffer grow past it, the case ends without a
    /// verdict before any engine grows.
    pub fn with_memory_budget(mut self, bytes: u64) -> Self {
        self.budget = bytes;
        self
    }

    /// The oracle in `mode`.
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The mode cases run in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Names of the engines, in order.
    pub fn engine_names(&self) -> Vec<&'static str> {
        self.engines.iter().map(|e| e.name()).collect()
    }

    /// Runs `case` through every engine, comparing after every op. In the fast mode, a
    /// divergence is run again in the full mode, whose report names the first op after which
    /// the engines differ.
    ///
    /// An engine that declines the case ([`Engine::declines`]) is left out of it and counted
    /// in [`RunStats::declined`]; the others are compared as usual (one left runs alone, none
    /// left runs nothing).
    ///
    /// # Errors
    /// The first [`Divergence`], boxed.
    pub fn run(&mut self, case: &Case) -> Result<RunStats, Box<Divergence>> {
        if !self.engines.iter().any(|e| e.declines(case).is_some()) {
            return self.run_compared(case);
        }
        // Set the declining engines aside (highest index first), run the others, and put them
        // back where they were (lowest index first).
        let mut aside = Vec::new();
        for index in (0..self.engines.len()).rev() {
            if let Some(reason) = self.engines[index].declines(case) {
                let engine = self.engines.remove(index);
                let obs = self.observations.remove(index);
                aside.push((index, engine, obs, reason));
            }
        }
        let result = if self.engines.is_empty() {
            Ok(RunStats::default())
        } else {
            self.run_compared(case)
        };
        let mut declined = BTreeMap::new();
        for (index, engine, obs, reason) in aside.into_iter().rev() {
            *declined.entry((engine.name(), reason)).or_default() += 1;
            self.engines.insert(index, engine);
            self.observations.insert(index, obs);
        }
        result.map(|mut stats| {
            stats.declined = declined;
            stats
        })
    }

    /// [`run`](Self::run) over the engines that did not decline.
    fn run_compared(&mut self, case: &Case) -> Result<RunStats, Box<Divergence>> {
        match self.run_in(case, self.mode) {
            Err(fast) if self.mode == Mode::Fast => match self.run_in(case, Mode::Full) {
                Err(mut full) => {
                    full.seen_at = Some(fast.op_index);
                    Err(full)
                }
                Ok(_) => Err(fast),
            },
            result => result,
        }
    }

    /// Runs `case` comparing as `mode` says.
    fn run_in(&mut self, case: &Case, mode: Mode) -> Result<RunStats, Box<Divergence>> {
        for engine in &mut self.engines {
            engine.begin(case);
        }
        // Before the first op: the root frame alone, empty, with the case's gas.
        self.previous.clear();
        self.previous.frames = 1;
        self.previous.gas_remaining = case.gas;
        self.returns.clear();
        let mut tally = Tally::default();
        let mut stats = RunStats::default();
        let mut have_previous = false;
        let mut since_whole = 0;
        for (index, op) in case.ops.iter().enumerate() {
            // What the op asks of the frame, by the rules (see `budget`).
            let growth = requested_growth(case, op, &self.previous);
            if growth.is_some_and(|g| g.answer == Outcome::Ok && g.total > u128::from(self.budget))
            {
                // The rules let memory grow past what this harness lets a case hold: the case
                // ends here, before any engine grows, without a verdict.
                stats.not_comparable = 1;
                break;
            }
            let guard = growth.filter(guarded);
            for (engine, obs) in self.engines.iter_mut().zip(&mut self.observations) {
                if let Some(g) = &guard {
                    if let Quote::Grows(charge) = engine.would_grow(g) {
                        // It would grow past what the case pays for: stopped before it does.
                        obs.clear();
                        obs.assign_numbers(&self.previous);
                        obs.outcome = Outcome::Runaway;
                        obs.gas_charged = charge;
                        continue;
                    }
                }
                engine.step(case, op, obs);
            }
            // An external engine that failed (died, hung, answered garbage) makes the case not
            // comparable before anything it showed is looked at.
            if self.engine_failed(&mut stats) {
                break;
            }
            // Answers that contradict the rules whatever the other engines say.
            let mut breaches = Vec::new();
            let mut out_of_memory = false;
            for (engine, obs) in self.engines.iter().zip(&self.observations) {
                match obs.outcome {
                    Outcome::Runaway => breaches.push((
                        engine.name(),
                        format!(
                            "{} would make a growth the rules refuse, charging {} gas for it \
                             (stopped before it grew): {}",
                            engine.name(),
                            obs.gas_charged,
                            guard.map(|g| g.to_string()).unwrap_or_default()
                        ),
                    )),
                    Outcome::OutOfMemory if credible_out_of_memory(growth.as_ref()) => {
                        out_of_memory = true;
                    }
                    Outcome::OutOfMemory => breaches.push((
                        engine.name(),
                        format!(
                            "{} answered OutOfMemory where no allocation can credibly fail: {}",
                            engine.name(),
                            growth.map_or_else(
                                || "the op asks for no growth".to_string(),
                                |g| g.to_string()
                            )
                        ),
                    )),
                    _ => {}
                }
            }
            if breaches.is_empty() && out_of_memory {
                // A credible allocation failure: what the engines show from here on says
                // nothing about the rules. The case ends without a verdict.
                stats.not_comparable = 1;
                break;
            }
            let now = &self.observations[0];
            since_whole += 1;
            let whole = mode == Mode::Full
                || now.ended
                || index + 1 == case.ops.len()
                || since_whole >= FULL_CHECK_EVERY.max(now.total_size / BYTES_PER_OP);
            let agree = breaches.is_empty() && self.agree_fast(op, whole);
            if whole {
                since_whole = 0;
            }
            // An engine that failed while showing its frames is not comparable, not wrong.
            if !agree && self.engine_failed(&mut stats) {
                break;
            }
            if !agree {
                let memory_window = if mode == Mode::Full && breaches.is_empty() {
                    self.observe_for_report()
                } else {
                    None
                };
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
                    mode,
                    seen_at: None,
                    breaches,
                    memory_window,
                }));
            }
            let first = &self.observations[0];
            tally.record(op, first);
            stats.record(&self.previous, first);
            stats.root_returndatacopies +=
                u64::from(self.previous.frames == 1 && matches!(op, Op::ReturnDataCopy { .. }));
            if first.ended {
                break;
            }
            if first.frames > self.previous.frames {
                // A CALL entered a child: its return region, for when it returns.
                let ret = match *op {
                    Op::Call {
                        ret_offset,
                        ret_len,
                        ..
                    } if !ret_len.is_zero() => {
                        let start = saturating_usize(ret_offset);
                        start..start.saturating_add(saturating_usize(ret_len))
                    }
                    _ => 0..0,
                };
                self.returns.push(ret);
            } else if first.frames < self.previous.frames {
                self.returns.pop();
            }
            self.previous.assign_numbers(&self.observations[0]);
            have_previous = true;
        }
        tally.fold_into(&mut stats);
        stats.repriced = u64::from(case.pricing != crate::MemoryPricing::MAINNET);
        for engine in &self.engines {
            stats.reach.add(engine.reach());
        }
        Ok(stats)
    }

    /// Fills every observation with its engine's frames for a full-mode divergence report:
    /// whole when every engine holds at most [`REPORT_WHOLE_BYTES`], else (so that a report
    /// never copies more than a window of a large memory) every frame's size and the
    /// [`REPORT_WINDOW`] bytes around the first byte at which an engine differs from the first
    /// one, returning the global offset the window starts at.
    fn observe_for_report(&mut self) -> Option<usize> {
        let small = self
            .observations
            .iter()
            .all(|o| o.total_size <= REPORT_WHOLE_BYTES);
        if small {
            for (engine, obs) in self.engines.iter().zip(&mut self.observations) {
                observe_all(engine.as_ref(), obs);
            }
            return None;
        }
        // The first differing byte, found in place: frame by frame, global offsets.
        let mut at = None;
        let mut base = 0;
        let frames = self.observations[0].frames;
        for frame in 0..frames {
            let Some(first) = self.engines[0].frame(frame) else {
                break;
            };
            let differs = self.engines[1..]
                .iter()
                .filter_map(|e| {
                    let other = e.frame(frame)?;
                    let same = first
                        .iter()
                        .zip(other.iter())
                        .take_while(|(a, b)| a == b)
                        .count();
                    (same < first.len().max(other.len())).then_some(same)
                })
                .min();
            if let Some(same) = differs {
                at = Some(base + same);
                break;
            }
            base += first.len();
        }
        let start = at.unwrap_or(0).saturating_sub(REPORT_WINDOW / 2);
        for (engine, obs) in self.engines.iter().zip(&mut self.observations) {
            obs.frame_sizes.clear();
            obs.memory.clear();
            engine.frame_sizes(&mut obs.frame_sizes);
            // The window, frame by frame, in global offsets.
            let mut frame_base = 0;
            for (frame, &size) in obs.frame_sizes.iter().enumerate() {
                let wanted = start.max(frame_base)..(start + REPORT_WINDOW).min(frame_base + size);
                if wanted.start < wanted.end {
                    engine.frame_bytes(
                        frame,
                        wanted.start - frame_base..wanted.end - frame_base,
                        &mut obs.memory,
                    );
                }
                frame_base += size;
            }
        }
        Some(start)
    }

    /// Whether an engine has failed ([`Engine::failure`]): if so, the case is not comparable,
    /// counted in `stats` by engine and reason with the failure in full.
    fn engine_failed(&self, stats: &mut RunStats) -> bool {
        let mut failed = false;
        for engine in &self.engines {
            if let Some(failure) = engine.failure() {
                failed = true;
                *stats
                    .engine_failures
                    .entry((engine.name(), failure.reason))
                    .or_default() += 1;
                if stats.failure_details.len() < MAX_FAILURE_DETAILS {
                    stats.failure_details.push(failure.detail);
                }
            }
        }
        if failed {
            stats.not_comparable = 1;
        }
        failed
    }

    /// The fast mode's comparison after an op: what the engines' steps show, then (without
    /// copying memory) every frame's size and bytes when `whole`, else the bytes the op could
    /// have changed.
    fn agree_fast(&mut self, op: &Op, whole: bool) -> bool {
        let (first, others) = self.observations.split_at_mut(1);
        let first = &mut first[0];
        if !others.iter().all(|o| first.same_step(o)) {
            return false;
        }
        let engines = &self.engines;
        if whole {
            for (engine, obs) in engines.iter().zip(self.observations.iter_mut()) {
                engine.frame_sizes(&mut obs.frame_sizes);
            }
            let sizes = &self.observations[0].frame_sizes;
            if !self.observations[1..]
                .iter()
                .all(|o| o.frame_sizes == *sizes)
            {
                return false;
            }
            return (0..sizes.len()).all(|frame| same_bytes(engines, frame, None));
        }
        self.regions.clear();
        changed_regions(
            op,
            &self.previous,
            &self.observations[0],
            &self.returns,
            &mut self.regions,
        );
        self.regions
            .iter()
            .all(|(frame, range)| same_bytes(engines, *frame, Some(range)))
    }
}

/// Whether every engine shows the bytes of the first in open frame `frame` (within `range`,
/// clipped to the frame, when given): compared in place, without copying them.
fn same_bytes(engines: &[Box<dyn Engine>], frame: usize, range: Option<&Range<usize>>) -> bool {
    fn bytes<'a>(
        e: &'a dyn Engine,
        frame: usize,
        range: Option<&Range<usize>>,
    ) -> Option<FrameBytes<'a>> {
        match range {
            Some(r) => e.frame_range(frame, r.clone()),
            None => e.frame(frame),
        }
    }
    let bytes = |e| bytes(e, frame, range);
    let Some(first) = bytes(engines[0].as_ref()) else {
        return engines[1..].iter().all(|e| bytes(e.as_ref()).is_none());
    };
    engines[1..]
        .iter()
        .all(|e| bytes(e.as_ref()).is_some_and(|other| *first == *other))
}

/// Op kinds and outcomes of a run, counted in arrays (cheaper per op than the maps of
/// [`RunStats`], which they are folded into at the end).
#[derive(Default)]
struct Tally {
    kinds: [u64; OpKind::ALL.len()],
    outcomes: [u64; OUTCOME_COUNT],
}

/// The number of [`Outcome`]s.
const OUTCOME_COUNT: usize = Outcome::Runaway as usize + 1;

impl Tally {
    fn record(&mut self, op: &Op, now: &Observation) {
        self.kinds[op.kind() as usize] += 1;
        self.outcomes[now.outcome as usize] += 1;
    }

    fn fold_into(&self, stats: &mut RunStats) {
        for (kind, &n) in OpKind::ALL.iter().zip(&self.kinds) {
            if n > 0 {
                *stats.ops_by_kind.entry(*kind).or_default() += n;
                stats.ops += n;
            }
        }
        for (index, &n) in self.outcomes.iter().enumerate() {
            if n > 0 {
                *stats.outcomes.entry(Outcome::ALL[index]).or_default() += n;
            }
        }
    }
}

thread_local! {
    static ORACLE: std::cell::RefCell<Option<Oracle>> = const { std::cell::RefCell::new(None) };
}

/// Runs `case` through the engines `EVM_MEMORY_ENGINES` chooses (every engine when it is unset;
/// see [`engines`](super::engines)) with a per-thread [`Oracle`] (allocations are reused across
/// calls). On a selection that cannot be honoured, prints why and exits the process with
/// status 2.
///
/// # Errors
/// The first [`Divergence`].
pub fn run_case(case: &Case) -> Result<RunStats, Box<Divergence>> {
    ORACLE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let oracle = slot.get_or_insert_with(|| Oracle::new(selected_engines_or_exit()));
        let result = oracle.run(case);
        if result
            .as_ref()
            .is_ok_and(|stats| stats.max_total_size > RELEASE_ABOVE)
        {
            oracle.release_memory();
        }
        result
    })
}

/// The shared-buffer size above which [`run_case`] releases the buffers kept for reuse after
/// the case ([`Oracle::release_memory`]): 32 MiB. Below it reuse saves allocations on every
/// case; above it keeping them would hold the largest case's memory in every engine and every
/// observation for the rest of the process (a fuzz target reaching the dictionary's size classes
/// ran out of libFuzzer's 4 GiB that way).
pub const RELEASE_ABOVE: usize = 32 << 20;

/// Runs `case` through the selected engines ([`run_case`]) and panics with the full divergence
/// report if they disagree. This is what fuzz targets, corpus replays and reproducers call.
///
/// # Panics
/// On any divergence, with the report as the message.
pub fn check_case(case: &Case) -> RunStats {
    match run_case(case) {
        Ok(stats) => stats,
        Err(d) => panic!("\n{d}"),
    }
}
