//! What a campaign reports: the JSON report's sections (`conformance.json`, rendered and
//! written by [`report`](crate::harness::report), which these types never import), and the
//! accumulators that fold each case's statistics into them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::harness::counts::Counts;
use crate::harness::evm::phase::EvmReport;
use crate::harness::ops::case::{OpKind, MAX_CALL_DEPTH};
use crate::harness::ops::engines::model_memory_cost;
use crate::harness::ops::observation::Outcome;
use crate::harness::ops::oracle::RunStats;
use crate::MemoryPricing;

use super::sweep::{Sweep, SweepReport};

/// Every [`Outcome`] an agreed op can have, in declaration order (the report lists all of them,
/// hit or not). [`Outcome::Runaway`] is left out: it is never agreed (always a divergence), and
/// would be listed after these if it ever were.
pub const OUTCOMES: [Outcome; 11] = [
    Outcome::Ok,
    Outcome::OutOfGas,
    Outcome::Limit,
    Outcome::InvalidOperand,
    Outcome::ReturnDataOutOfBounds,
    Outcome::OutOfMemory,
    Outcome::CallDepth,
    Outcome::Returned,
    Outcome::Reverted,
    Outcome::Halted,
    Outcome::EngineError,
];

/// What one phase (corpus replay or random sequences) compared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PhaseStats {
    /// Cases run through the oracle.
    pub sequences: u64,
    /// Ops compared in all.
    pub ops: u64,
    /// Ops compared, by kind (every kind, by mnemonic).
    pub ops_by_kind: Counts,
    /// Outcomes of the compared ops (every outcome).
    pub outcomes: Counts,
    /// Deepest frame reached (0 is the root).
    pub max_depth: usize,
    /// Largest frame, in bytes.
    pub max_frame_size: usize,
    /// Largest shared buffer (all frames), in bytes.
    pub max_total_size: usize,
    /// Ops that expanded memory (charged expansion gas).
    pub expansions: u64,
    /// Most expansion gas one op charged.
    pub max_expansion_gas: u64,
    /// Sequences run with a memory pricing other than mainnet's.
    pub repriced: u64,
    /// Sequences that ended without a verdict because an engine could not allocate
    /// ([`RunStats::not_comparable`]): counted, not divergences.
    pub not_comparable: u64,
    /// Sequences not comparable because an engine failed (an engine in another process that
    /// did not start, exited, timed out or replied nonsense), by `engine: reason`; each is
    /// also in `not_comparable` (the engine was restarted for the next sequence).
    pub engine_failures: Counts,
    /// The first few engine failures in full: the engine, the op and what went wrong.
    pub engine_failure_details: Vec<String>,
    /// Sequences an engine declined (it cannot express what the case asks), by
    /// `engine: reason`: that engine was left out of them, the others compared.
    pub declined: Counts,
    /// Paths that are hard to reach, and how often they were.
    pub reach: ReachStats,
}

/// How often a phase reached the paths a harness easily misses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReachStats {
    /// Calls into our memory with a zero length (an expansion, copy, read or return of nothing,
    /// at any offset), as an interpreter that does not special-case them makes them.
    pub zero_length_calls: u64,
    /// Frames that grew to 2 MiB (2^16 words, where `words²` passes 2^32) or more.
    pub frames_of_2_mib: u64,
    /// Growths inside a child frame that reallocated our memory's buffer (its capacity
    /// changed; the allocator may have moved it).
    pub child_reallocations: u64,
    /// Sequences that reached call depth 1,024, the limit.
    pub depth_limit_sequences: u64,
    /// CALLs made at depth 1,024, which fail without entering a child (`CallDepth`).
    pub depth_limit_hits: u64,
    /// RETURNDATACOPYs run in the root frame.
    pub root_returndatacopies: u64,
}

impl PhaseStats {
    fn from_run_stats(
        sequences: u64,
        stats: &RunStats,
        expansions: u64,
        max_gas: u64,
        depth_limit_sequences: u64,
    ) -> Self {
        let ops_by_kind = OpKind::ALL
            .iter()
            .map(|k| {
                let n = stats.ops_by_kind.get(k).copied().unwrap_or(0);
                (k.name().to_string(), n)
            })
            .collect();
        let mut outcomes: Vec<(String, u64)> = OUTCOMES
            .iter()
            .map(|o| {
                (
                    format!("{o:?}"),
                    stats.outcomes.get(o).copied().unwrap_or(0),
                )
            })
            .collect();
        for (o, n) in &stats.outcomes {
            if !OUTCOMES.contains(o) {
                outcomes.push((format!("{o:?}"), *n));
            }
        }
        Self {
            sequences,
            ops: stats.ops,
            ops_by_kind: Counts(ops_by_kind),
            outcomes: Counts(outcomes),
            max_depth: stats.max_depth,
            max_frame_size: stats.max_frame_size,
            max_total_size: stats.max_total_size,
            expansions,
            max_expansion_gas: max_gas,
            repriced: stats.repriced,
            not_comparable: stats.not_comparable,
            engine_failures: Counts(
                stats
                    .engine_failures
                    .iter()
                    .map(|((e, r), n)| (format!("{e}: {r}"), *n))
                    .collect(),
            ),
            engine_failure_details: stats.failure_details.clone(),
            declined: Counts(
                stats
                    .declined
                    .iter()
                    .map(|((e, r), n)| (format!("{e}: {r}"), *n))
                    .collect(),
            ),
            reach: ReachStats {
                zero_length_calls: stats.reach.zero_length_calls,
                frames_of_2_mib: stats.large_frames,
                child_reallocations: stats.reach.child_reallocations,
                depth_limit_sequences,
                depth_limit_hits: stats
                    .outcomes
                    .get(&Outcome::CallDepth)
                    .copied()
                    .unwrap_or(0),
                root_returndatacopies: stats.root_returndatacopies,
            },
        }
    }
}

/// Aggregated statistics of one phase while it runs; `expansions` are folded into buckets
/// after every case so that memory stays bounded.
#[derive(Default)]
pub(super) struct Accumulator {
    pub(super) sequences: u64,
    stats: RunStats,
    expansions: u64,
    max_gas: u64,
    depth_limit_sequences: u64,
}

impl Accumulator {
    pub(super) fn add(&mut self, mut stats: RunStats, buckets: &mut ExpansionBuckets) {
        self.sequences += 1;
        self.depth_limit_sequences += u64::from(stats.max_depth >= MAX_CALL_DEPTH);
        for &(size, gas) in &stats.expansions {
            // The size recorded is that of the frame open after the op: for CALL, RETURN and
            // REVERT it is not the frame that paid. Only points the size can explain (at most
            // the cost of growing that frame from empty) go to the figure, which plots
            // mainnet's pricing: a case priced otherwise is counted but not plotted.
            let from_empty = model_memory_cost(MemoryPricing::MAINNET, size.div_ceil(32) as u128);
            if stats.repriced == 0 && gas as u128 <= from_empty {
                buckets.add(size, gas);
            }
            self.expansions += 1;
            self.max_gas = self.max_gas.max(gas);
        }
        stats.expansions.clear();
        self.stats.merge(&stats);
    }

    pub(super) fn phase(&self) -> PhaseStats {
        PhaseStats::from_run_stats(
            self.sequences,
            &self.stats,
            self.expansions,
            self.max_gas,
            self.depth_limit_sequences,
        )
    }

    pub(super) fn merged(&self, other: &Accumulator) -> PhaseStats {
        let mut stats = self.stats.clone();
        stats.merge(&other.stats);
        PhaseStats::from_run_stats(
            self.sequences + other.sequences,
            &stats,
            self.expansions + other.expansions,
            self.max_gas.max(other.max_gas),
            self.depth_limit_sequences + other.depth_limit_sequences,
        )
    }
}

/// The campaign's observed `(frame size, expansion gas of the op)` points, bucketed by size on
/// a log-linear scale (about 16 buckets per doubling), keeping each bucket's extremes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpansionBuckets {
    buckets: BTreeMap<u32, ExpansionBucket>,
}

/// One size bucket of [`ExpansionBuckets`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpansionBucket {
    /// Smallest frame size seen in the bucket, in bytes.
    pub min_size: usize,
    /// Largest frame size seen in the bucket, in bytes.
    pub max_size: usize,
    /// Expansions seen.
    pub count: u64,
    /// Least gas one of them charged.
    pub min_gas: u64,
    /// Most gas one of them charged.
    pub max_gas: u64,
    /// Frame size of the expansion that charged `max_gas`.
    pub max_gas_size: usize,
}

impl ExpansionBuckets {
    fn key(size: usize) -> u32 {
        let words = size.div_ceil(32) as u64;
        if words < 32 {
            return words as u32;
        }
        let log = 63 - words.leading_zeros();
        let mantissa = (words >> (log - 4)) & 15;
        32 + (log - 5) * 16 + mantissa as u32
    }

    /// Records one expansion.
    pub fn add(&mut self, size: usize, gas: u64) {
        let b = self
            .buckets
            .entry(Self::key(size))
            .or_insert(ExpansionBucket {
                min_size: size,
                max_size: size,
                count: 0,
                min_gas: gas,
                max_gas: gas,
                max_gas_size: size,
            });
        b.min_size = b.min_size.min(size);
        b.max_size = b.max_size.max(size);
        b.count += 1;
        b.min_gas = b.min_gas.min(gas);
        if gas > b.max_gas {
            b.max_gas = gas;
            b.max_gas_size = size;
        }
    }

    /// The buckets, smallest sizes first.
    pub fn buckets(&self) -> impl Iterator<Item = &ExpansionBucket> {
        self.buckets.values()
    }

    /// Number of buckets in use.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// `true` when no expansion was recorded.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

/// What went wrong in one input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// `divergence` (engines disagreed), `panic` (an engine or driver panicked), `sweep` (an
    /// engine's cost function is not the analytic one) or `cost` (a size class is priced
    /// otherwise than by the model's formula).
    pub kind: &'static str,
    /// Where the input came from: a corpus path or `random #<index>`.
    pub source: String,
    /// The fuzz target whose format the input is in.
    pub target: String,
    /// The full report: for a divergence, its Display with the pasteable Rust reproducer.
    pub text: String,
    /// The input bytes (written next to the report by the command), not serialised.
    #[serde(skip)]
    pub input: Vec<u8>,
}

/// The divergences (and panics) section of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Divergences {
    /// Inputs that failed in all.
    pub count: u64,
    /// Failures not shown in `reports` (over the limit).
    pub omitted: u64,
    /// The first failures, in full.
    pub reports: Vec<Failure>,
}

/// The corpus section of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CorpusReport {
    /// The corpus directory replayed (`null` when the replay was skipped).
    pub dir: Option<String>,
    /// Files replayed, per target directory (`regressions/<target>` for reproducers).
    pub files: Counts,
    /// Files replayed in all.
    pub total_files: u64,
    /// Of those, inputs run through the raw drivers (`memory_raw`, `c_api`): checked by their
    /// invariants, not compared op by op.
    pub raw_inputs: u64,
    /// Input bytes replayed.
    pub bytes: u64,
}

/// The random-sequence section of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RandomReport {
    /// The PRNG (the input of sequence `i` depends only on the seed and `i`).
    pub generator: &'static str,
    /// Longest input, in bytes.
    pub max_input_len: usize,
    /// Sequences run.
    pub sequences: u64,
    /// Sequences by decoder: `diff_ops` ([`decode`](crate::harness::decode)) and `diff_small`
    /// ([`decode_small`](crate::harness::decode_small)).
    pub by_decoder: Counts,
    /// Input bytes generated.
    pub bytes: u64,
}

/// Ops compared, by phase.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Phases {
    /// Corpus replay (the differential targets only).
    pub corpus: PhaseStats,
    /// Random sequences.
    pub random: PhaseStats,
    /// Both.
    pub total: PhaseStats,
}

/// Wall-clock figures: the only part of a report that differs between two runs with the same
/// seed and sequence count.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Timing {
    /// Corpus replay and random sequences, in seconds.
    pub duration_secs: f64,
    /// Inputs (corpus files and random sequences) per second.
    pub sequences_per_sec: f64,
    /// Ops compared per second.
    pub ops_per_sec: f64,
    /// The spec phase, in seconds.
    pub spec_duration_secs: f64,
    /// Ops the spec phase compared per second.
    pub spec_ops_per_sec: f64,
}

/// Data behind the figures (not part of the JSON report).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlotData {
    /// Each engine's cost sweep.
    pub sweeps: Vec<Sweep>,
    /// The campaign's observed expansions.
    pub expansions: ExpansionBuckets,
}

/// Everything a campaign found; serialised as `conformance.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CampaignReport {
    /// The crate version that ran.
    pub crate_version: &'static str,
    /// [`REVM_INTERPRETER_VERSION`](super::REVM_INTERPRETER_VERSION).
    pub revm_interpreter_version: &'static str,
    /// The engines compared, in order.
    pub engines: Vec<&'static str>,
    /// The seed, in hex.
    pub seed: String,
    /// The requested budget: `sequences: N` or `duration_secs: S`.
    pub budget: Counts,
    /// The corpus replay.
    pub corpus: CorpusReport,
    /// The random sequences.
    pub random: RandomReport,
    /// Ops compared, depth and sizes reached, outcomes hit.
    pub stats: Phases,
    /// The bytecode-level phase: programs through stock revm and `MemoryEvm`.
    pub evm: EvmReport,
    /// The size sweep of every engine's cost function.
    pub sweep: SweepReport,
    /// The spec phase: the execution specs beside the other engines.
    pub spec: super::spec_phase::SpecReport,
    /// Every failure (none when the engines agree).
    pub divergences: Divergences,
    /// Wall-clock figures.
    pub timing: Timing,
    /// Data behind the figures.
    #[serde(skip)]
    pub plot: PlotData,
}

impl CampaignReport {
    /// `true` when every input passed and every engine's cost function is the analytic one.
    pub fn passed(&self) -> bool {
        self.divergences.count == 0
    }

    /// The report as pretty-printed JSON (with a trailing newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serialises");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_stay_bounded() {
        let mut b = ExpansionBuckets::default();
        for size in (32..(4 << 20)).step_by(32) {
            b.add(size, 1);
        }
        assert!(b.len() < 400, "{}", b.len());
    }
}
