//! The seeded conformance campaign behind the `conformance` command: it replays the whole corpus
//! (`corpus/diff_ops`, `corpus/diff_small`, `corpus/memory_raw`, `corpus/c_api` and every
//! `corpus/regressions/<target>/…`), then runs random op sequences drawn from a seeded PRNG
//! through the three engines with the [`Oracle`], and returns a [`CampaignReport`]: what was
//! compared, how deep and large memory went, which outcomes were hit, and every divergence with
//! its reproducer.
//!
//! Everything in the report except its [`Timing`] is a function of the seed, the sequence count
//! and the corpus: the same inputs give a byte-identical `conformance.json` (with timing
//! removed), which is what `conformance --check` verifies.
//!
//! The corpus workflows of the command (`cmin`, `tmin`, `write-corpus`) are built here as well
//! ([`cmin_commands`], [`tmin_command`], [`write_corpus`], [`regression_test_skeleton`]) so
//! that they can be tested without running `cargo fuzz`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, IsTerminal};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::case::{u, Case, Op, OpKind, DEFAULT_LIMIT};
use super::engine::Engine;
use super::engines::{ModelEngine, OursEngine, RevmEngine};
use super::evm::phase::{random_program_input, EvmAccumulator, EvmReport};
use super::evm::{
    decode_program, fuzz_program, program_report, program_setup, rust_reproducer as evm_reproducer,
    EvmOracle,
};
use super::generate::{decode, decode_small, Profile};
use super::observation::{Observation, Outcome};
use super::oracle::{Oracle, RunStats};
use super::raw::drive_raw;
use super::reproducer::rust_reproducer;
use super::scenarios;
use crate::memory_gas_cost;

/// The revm-interpreter version the `revm` engine is built against: the `=` pin of the
/// `revm-interpreter` dependency in `Cargo.toml` (a test keeps the two equal).
pub const REVM_INTERPRETER_VERSION: &str = "43.0.2";

/// The seed of the committed report.
pub const DEFAULT_SEED: u64 = 0x5EED;

/// Random sequences of the committed report (about half a minute in `--release`).
pub const DEFAULT_SEQUENCES: u64 = 750_000;

/// Longest random input, in bytes.
pub const DEFAULT_MAX_INPUT_LEN: usize = 2048;

/// Divergences reported in full; further ones are only counted.
pub const DEFAULT_MAX_REPORTED: usize = 20;

/// The fuzz targets whose corpus the campaign replays, in replay order.
pub const CORPUS_TARGETS: [&str; 5] = ["diff_ops", "diff_small", "memory_raw", "c_api", "diff_evm"];

/// The corpus directory holding crash reproducers, one subdirectory per target.
pub const REGRESSIONS_DIR: &str = "regressions";

/// SplitMix64 (Steele, Lea and Flood): a tiny, fast, seedable PRNG whose every output is a
/// fixed function of the seed, so that a campaign is reproducible everywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting at `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (`bound > 0`), by multiply-shift.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((self.next_u64() as u128 * bound as u128) >> 64) as u64
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// The input of random sequence `index` of a campaign seeded with `seed`: the profile it is
/// decoded with and its bytes (written into `buf`). Each sequence has its own PRNG stream, so
/// any one of them can be regenerated alone.
pub fn random_input(seed: u64, index: u64, max_len: usize, buf: &mut Vec<u8>) -> Profile {
    let mut rng = SplitMix64::new(seed ^ SplitMix64::new(index).next_u64());
    let draw = rng.next_u64();
    let profile = if draw & 1 == 0 {
        Profile::Full
    } else {
        Profile::Small
    };
    // Lengths of every order of magnitude: an eighth short, three eighths up to a quarter of
    // the maximum, three eighths up to half, an eighth up to the maximum.
    let cap = match (draw >> 1) % 8 {
        0 => 32,
        1..=3 => max_len / 4,
        4..=6 => max_len / 2,
        _ => max_len,
    }
    .min(max_len);
    let len = rng.below(cap as u64 + 1) as usize;
    buf.clear();
    buf.resize(len, 0);
    rng.fill(buf);
    profile
}

/// How long a campaign runs its random phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// Exactly this many random sequences (deterministic).
    Sequences(u64),
    /// As many random sequences as fit in this time (after the corpus replay).
    Duration(Duration),
}

/// A campaign's settings.
#[derive(Clone, Debug)]
pub struct CampaignConfig {
    /// Seed of the random sequences.
    pub seed: u64,
    /// How many random sequences to run.
    pub budget: Budget,
    /// The corpus to replay first (`None`: no corpus replay).
    pub corpus_dir: Option<PathBuf>,
    /// Longest random input, in bytes.
    pub max_input_len: usize,
    /// Divergences kept in full in the report (all are counted).
    pub max_reported: usize,
    /// Show a progress bar on standard error (only when it is a terminal).
    pub progress: bool,
    /// Random programs of the `diff_evm` phase (after the random sequences).
    pub evm_programs: u64,
    /// Keep panic messages out of standard error while the campaign runs (they are recorded in
    /// the report with their location instead). Installs a process-wide panic hook for the
    /// duration of [`Campaign::run`]: meant for the command, not for tests running in parallel.
    pub capture_panics: bool,
}

impl Default for CampaignConfig {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            budget: Budget::Sequences(DEFAULT_SEQUENCES),
            corpus_dir: Some(PathBuf::from("corpus")),
            max_input_len: DEFAULT_MAX_INPUT_LEN,
            max_reported: DEFAULT_MAX_REPORTED,
            progress: false,
            evm_programs: super::evm::phase::DEFAULT_PROGRAMS,
            capture_panics: false,
        }
    }
}

/// Why a campaign could not run to the end.
#[derive(Debug)]
pub enum CampaignError {
    /// The corpus directory does not exist.
    CorpusMissing(PathBuf),
    /// A corpus file or directory could not be read.
    CorpusUnreadable {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        error: io::Error,
    },
    /// A file under `corpus/regressions/` is not inside a known target's directory.
    UnknownTarget {
        /// The file.
        path: PathBuf,
    },
}

impl fmt::Display for CampaignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CorpusMissing(path) => write!(
                f,
                "corpus directory `{}` not found (run `conformance write-corpus` to create it, \
                 pass --corpus-dir, or --no-corpus to skip the replay)",
                path.display()
            ),
            Self::CorpusUnreadable { path, error } => {
                write!(f, "cannot read corpus path `{}`: {error}", path.display())
            }
            Self::UnknownTarget { path } => write!(
                f,
                "corpus file `{}` is not under a known target ({})",
                path.display(),
                CORPUS_TARGETS.join(", ")
            ),
        }
    }
}

impl std::error::Error for CampaignError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::CorpusUnreadable { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Counts in a fixed order, serialised as a JSON object in that order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(String, u64)>);

impl Counts {
    /// The count for `key` (0 when absent).
    pub fn get(&self, key: &str) -> u64 {
        self.0.iter().find(|(k, _)| k == key).map_or(0, |(_, v)| *v)
    }

    /// Sum of all counts.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, v)| v).sum()
    }
}

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Every [`Outcome`], in declaration order (the report lists all of them, hit or not).
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
}

impl PhaseStats {
    fn from_run_stats(sequences: u64, stats: &RunStats, expansions: u64, max_gas: u64) -> Self {
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
        }
    }
}

/// Aggregated statistics of one phase while it runs; `expansions` are folded into buckets
/// after every case so that memory stays bounded.
#[derive(Default)]
struct Accumulator {
    sequences: u64,
    stats: RunStats,
    expansions: u64,
    max_gas: u64,
}

impl Accumulator {
    fn add(&mut self, mut stats: RunStats, buckets: &mut ExpansionBuckets) {
        self.sequences += 1;
        for &(size, gas) in &stats.expansions {
            // The size recorded is that of the frame open after the op: for CALL, RETURN and
            // REVERT it is not the frame that paid. Only points the size can explain (at most
            // the cost of growing that frame from empty) go to the figure, which plots
            // mainnet's pricing: a case priced otherwise is counted but not plotted.
            if stats.repriced == 0 && gas <= memory_gas_cost(size.div_ceil(32) as u64) {
                buckets.add(size, gas);
            }
            self.expansions += 1;
            self.max_gas = self.max_gas.max(gas);
        }
        stats.expansions.clear();
        self.stats.merge(&stats);
    }

    fn phase(&self) -> PhaseStats {
        PhaseStats::from_run_stats(self.sequences, &self.stats, self.expansions, self.max_gas)
    }

    fn merged(&self, other: &Accumulator) -> PhaseStats {
        let mut stats = self.stats.clone();
        stats.merge(&other.stats);
        PhaseStats::from_run_stats(
            self.sequences + other.sequences,
            &stats,
            self.expansions + other.expansions,
            self.max_gas.max(other.max_gas),
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

/// One engine's total memory cost over a size sweep: `(size in bytes, gas charged so far)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sweep {
    /// The engine's name.
    pub engine: &'static str,
    /// The points, smallest size first.
    pub points: Vec<(usize, u64)>,
    /// Why the sweep stopped early, if it did.
    pub error: Option<String>,
}

/// Word counts from 1 to `max_words`, growing by an eighth at a time (and one at least): about
/// 110 points up to 4 MiB.
pub fn sweep_words(max_words: u64) -> Vec<u64> {
    let max_words = max_words.max(1);
    let mut words = vec![1u64];
    let mut w = 1u64;
    while w < max_words {
        w = (w + (w / 8).max(1)).min(max_words);
        words.push(w);
    }
    words
}

/// Grows one engine's memory with MSTORE8 at the last byte of each size in `words` (in
/// words) and records the total expansion gas charged so far after each: the engine's memory
/// cost function `C(size)`.
pub fn cost_sweep(engine: &mut dyn Engine, words: &[u64]) -> Sweep {
    let max_words = words.iter().copied().max().unwrap_or(1);
    let case = Case {
        limit: DEFAULT_LIMIT,
        gas: memory_gas_cost(max_words).saturating_add(1_000),
        ..Case::default()
    };
    engine.begin(&case);
    let mut obs = Observation::default();
    let mut points = Vec::with_capacity(words.len());
    let mut total = 0u64;
    for &w in words {
        let size = (w * 32) as usize;
        let op = Op::MStore8 {
            offset: u(w * 32 - 1),
            value: 1,
        };
        engine.step(&case, &op, &mut obs);
        if obs.outcome != Outcome::Ok || obs.frame_sizes.first() != Some(&size) {
            return Sweep {
                engine: engine.name(),
                points,
                error: Some(format!(
                    "MSTORE8 at {} gave outcome {:?} and frame sizes {:?} (expected size {size})",
                    w * 32 - 1,
                    obs.outcome,
                    obs.frame_sizes
                )),
            };
        }
        total += obs.gas_charged;
        points.push((size, total));
    }
    Sweep {
        engine: engine.name(),
        points,
        error: None,
    }
}

/// The size sweep's summary in the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Largest size swept, in bytes (the largest frame the campaign reached, at least a word).
    pub max_size: usize,
    /// Sizes swept.
    pub points: usize,
    /// Each engine's total cost at `max_size` (`C(max_size)`).
    pub cost_at_max: Counts,
    /// `3·w + ⌊w²/512⌋` at `max_size`.
    pub analytic_cost_at_max: u64,
    /// `true` when every engine's cost equals the analytic one at every swept size.
    pub engines_agree: bool,
}

/// What went wrong in one input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// `divergence` (engines disagreed), `panic` (an engine or driver panicked) or `sweep` (an
    /// engine's cost function is not the analytic one).
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
    /// Sequences by decoder: `diff_ops` ([`decode`]) and `diff_small` ([`decode_small`]).
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
    /// [`REVM_INTERPRETER_VERSION`].
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

/// The keys of the report that hold wall-clock figures, ignored by [`compare_reports`].
pub const TIMING_KEYS: [&str; 1] = ["timing"];

/// Compares two `conformance.json` texts ignoring the timing figures.
///
/// # Errors
/// A readable list of every difference (JSON path, committed value, regenerated value), or a
/// parse error.
pub fn compare_reports(committed: &str, regenerated: &str) -> Result<(), String> {
    let parse = |what: &str, text: &str| -> Result<serde_json::Value, String> {
        let mut v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{what} report is not JSON: {e}"))?;
        if let Some(map) = v.as_object_mut() {
            for key in TIMING_KEYS {
                map.remove(key);
            }
        }
        Ok(v)
    };
    let a = parse("committed", committed)?;
    let b = parse("regenerated", regenerated)?;
    let mut diffs = Vec::new();
    json_diff("", &a, &b, &mut diffs);
    if diffs.is_empty() {
        return Ok(());
    }
    let shown = diffs.len().min(40);
    let mut msg = format!(
        "{} difference(s) between the committed and the regenerated report (timing ignored):\n",
        diffs.len()
    );
    for d in &diffs[..shown] {
        msg.push_str("  ");
        msg.push_str(d);
        msg.push('\n');
    }
    if diffs.len() > shown {
        msg.push_str(&format!("  … and {} more\n", diffs.len() - shown));
    }
    Err(msg)
}

fn short_json(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        let head: String = s.chars().take(117).collect();
        format!("{head}…")
    } else {
        s
    }
}

fn json_diff(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = format!("{path}.{k}");
                match y.get(k) {
                    Some(vb) => json_diff(&p, va, vb, out),
                    None => out.push(format!(
                        "{p}: committed {}, regenerated (absent)",
                        short_json(va)
                    )),
                }
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    out.push(format!(
                        "{path}.{k}: committed (absent), regenerated {}",
                        short_json(vb)
                    ));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                json_diff(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if a != b => out.push(format!(
            "{}: committed {}, regenerated {}",
            if path.is_empty() { "." } else { path },
            short_json(a),
            short_json(b)
        )),
        _ => {}
    }
}

/// How a corpus file is replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Replay {
    Diff(Profile),
    Raw,
    CApi,
    Evm,
}

fn replay_for(target: &str) -> Option<Replay> {
    match target {
        "diff_ops" => Some(Replay::Diff(Profile::Full)),
        "diff_small" => Some(Replay::Diff(Profile::Small)),
        "memory_raw" => Some(Replay::Raw),
        "c_api" => Some(Replay::CApi),
        "diff_evm" => Some(Replay::Evm),
        _ => None,
    }
}

/// One corpus file to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusFile {
    /// The target directory it counts under (`diff_ops`, `regressions/diff_ops`, …).
    pub group: String,
    /// The fuzz target whose format it is in.
    pub target: String,
    /// Path relative to the corpus directory, with `/` separators.
    pub relative: String,
    /// Full path.
    pub path: PathBuf,
}

fn unreadable(path: &Path, error: io::Error) -> CampaignError {
    CampaignError::CorpusUnreadable {
        path: path.to_path_buf(),
        error,
    }
}

/// `true` for names that are not corpus inputs: hidden files and Markdown notes.
fn not_an_input(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".md")
}

/// Every regular file under `dir` (recursively; hidden files and `*.md` skipped), sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CampaignError> {
    let entries = fs::read_dir(dir).map_err(|e| unreadable(dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| unreadable(dir, e))?;
        if not_an_input(&entry.file_name().to_string_lossy()) {
            continue;
        }
        paths.push(entry.path());
    }
    paths.sort();
    for path in paths {
        // Follows symlinks: a dangling one is reported as unreadable.
        let meta = fs::metadata(&path).map_err(|e| unreadable(&path, e))?;
        if meta.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Lists the corpus under `dir` in replay order: each target's directory (a missing one counts
/// zero files), then `regressions/<target>/…`. Hidden files and `*.md` notes are skipped.
///
/// # Errors
/// When `dir` does not exist, a directory cannot be read, or a file under `regressions/` is not
/// in a known target's directory (files directly in `regressions/` are skipped).
pub fn list_corpus(dir: &Path) -> Result<Vec<CorpusFile>, CampaignError> {
    if !dir.is_dir() {
        return Err(CampaignError::CorpusMissing(dir.to_path_buf()));
    }
    let relative = |path: &Path| -> String {
        let rel = path.strip_prefix(dir).unwrap_or(path);
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut files = Vec::new();
    for target in CORPUS_TARGETS {
        let sub = dir.join(target);
        if !sub.exists() {
            continue;
        }
        let mut paths = Vec::new();
        walk(&sub, &mut paths)?;
        for path in paths {
            files.push(CorpusFile {
                group: target.to_string(),
                target: target.to_string(),
                relative: relative(&path),
                path,
            });
        }
    }
    let regressions = dir.join(REGRESSIONS_DIR);
    if regressions.exists() {
        let mut paths = Vec::new();
        walk(&regressions, &mut paths)?;
        for path in paths {
            let rel = relative(&path);
            if rel.split('/').count() < 3 {
                // Directly in regressions/: not in a target's directory, not an input.
                continue;
            }
            let target = rel.split('/').nth(1).unwrap_or("");
            if replay_for(target).is_none() {
                return Err(CampaignError::UnknownTarget { path });
            }
            files.push(CorpusFile {
                group: format!("{REGRESSIONS_DIR}/{target}"),
                target: target.to_string(),
                relative: rel,
                path,
            });
        }
    }
    Ok(files)
}

/// A function building the engines the campaign compares (a fresh set after an engine panics).
pub type EngineFactory = Box<dyn Fn() -> Vec<Box<dyn Engine>>>;

/// A conformance campaign: a configuration and the engines to compare.
pub struct Campaign {
    config: CampaignConfig,
    engines: EngineFactory,
}

impl fmt::Debug for Campaign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Campaign")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Ours, revm and the reference model.
pub fn default_engines() -> Vec<Box<dyn Engine>> {
    vec![
        Box::new(OursEngine::new()),
        Box::new(RevmEngine::new()),
        Box::new(ModelEngine::new()),
    ]
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let captured = LAST_PANIC.with(|p| p.borrow_mut().take());
    if let Some(text) = captured {
        return text;
    }
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// Restores the previous panic hook when dropped.
type PanicHook = Box<dyn Fn(&panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

struct HookGuard(Option<PanicHook>);

impl HookGuard {
    fn install(capture: bool) -> Self {
        if !capture {
            return Self(None);
        }
        let previous = panic::take_hook();
        panic::set_hook(Box::new(|info| {
            let text = info.to_string();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
        }));
        Self(Some(previous))
    }
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            panic::set_hook(previous);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Run<'a> {
    campaign: &'a Campaign,
    oracle: Oracle,
    evm_oracle: EvmOracle,
    buckets: ExpansionBuckets,
    failures: Divergences,
}

impl Run<'_> {
    fn fail(&mut self, failure: Failure) {
        self.failures.count += 1;
        if self.failures.reports.len() < self.campaign.config.max_reported {
            self.failures.reports.push(failure);
        } else {
            self.failures.omitted += 1;
        }
    }

    /// Runs one differential case, recording its statistics or its failure.
    fn diff(
        &mut self,
        acc: &mut Accumulator,
        case: &Case,
        source: &str,
        target: &str,
        input: &[u8],
    ) {
        let result = panic::catch_unwind(AssertUnwindSafe(|| self.oracle.run(case)));
        match result {
            Ok(Ok(stats)) => acc.add(stats, &mut self.buckets),
            Ok(Err(divergence)) => {
                acc.sequences += 1;
                self.fail(Failure {
                    kind: "divergence",
                    source: source.to_string(),
                    target: target.to_string(),
                    text: divergence.to_string(),
                    input: input.to_vec(),
                });
            }
            Err(payload) => {
                acc.sequences += 1;
                // An engine may be left mid-case: start over with fresh ones.
                self.oracle = Oracle::new((self.campaign.engines)());
                let text = format!(
                    "PANIC: {}\n\nreproducer (paste into a test file):\n\n{}",
                    panic_text(payload.as_ref()),
                    rust_reproducer(case, "panic_repro")
                );
                self.fail(Failure {
                    kind: "panic",
                    source: source.to_string(),
                    target: target.to_string(),
                    text,
                    input: input.to_vec(),
                });
            }
        }
    }

    /// Runs one program through stock revm and `MemoryEvm`, recording its statistics or its
    /// failure.
    fn evm(&mut self, acc: &mut EvmAccumulator, data: &[u8], source: &str) {
        let program = fuzz_program(&decode_program(data));
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            self.evm_oracle.run(&program_setup(&program))
        }));
        let (kind, text) = match result {
            Ok(Ok(agreement)) => {
                acc.add(&agreement);
                return;
            }
            Ok(Err(divergence)) => ("divergence", program_report(&program, &divergence)),
            Err(payload) => {
                self.evm_oracle = EvmOracle::new();
                (
                    "panic",
                    format!(
                        "PANIC: {}\n\nreproducer (paste into a test file):\n\n{}",
                        panic_text(payload.as_ref()),
                        evm_reproducer(&program, "panic_repro")
                    ),
                )
            }
        };
        acc.add_failed();
        self.fail(Failure {
            kind,
            source: source.to_string(),
            target: "diff_evm".to_string(),
            text,
            input: data.to_vec(),
        });
    }

    fn raw(&mut self, replay: Replay, file: &CorpusFile, source: &str, data: &[u8]) {
        let result = panic::catch_unwind(|| match replay {
            Replay::CApi => crate::harness::c_api::drive_c_api(data),
            _ => drive_raw(data),
        });
        if let Err(payload) = result {
            let reproduce = if replay == Replay::CApi {
                "evm_memory::harness::c_api::drive_c_api"
            } else {
                "evm_memory::harness::drive_raw"
            };
            let text = format!(
                "PANIC: {}\n\nreproduce with `{reproduce}(&std::fs::read(\"{source}\").unwrap())`\n\
                 input ({} bytes): {}",
                panic_text(payload.as_ref()),
                data.len(),
                hex(data)
            );
            self.fail(Failure {
                kind: "panic",
                source: source.to_string(),
                target: file.target.clone(),
                text,
                input: data.to_vec(),
            });
        }
    }
}

impl Campaign {
    /// A campaign over ours, revm and the reference model.
    pub fn new(config: CampaignConfig) -> Self {
        Self {
            config,
            engines: Box::new(default_engines),
        }
    }

    /// A campaign over the engines `engines` builds (for self-tests with a broken engine).
    pub fn with_engines(config: CampaignConfig, engines: EngineFactory) -> Self {
        Self { config, engines }
    }

    /// The configuration.
    pub fn config(&self) -> &CampaignConfig {
        &self.config
    }

    /// Replays the corpus, runs the random sequences and sweeps every engine's cost function.
    ///
    /// # Errors
    /// When the corpus is missing or cannot be read (nothing is run past that point).
    /// Divergences are not errors: they are in the report ([`CampaignReport::passed`]).
    pub fn run(&self) -> Result<CampaignReport, CampaignError> {
        let config = &self.config;
        let files = match &config.corpus_dir {
            Some(dir) => list_corpus(dir)?,
            None => Vec::new(),
        };
        let _hook = HookGuard::install(config.capture_panics);
        let oracle = Oracle::new((self.engines)());
        let engine_names = oracle.engine_names();
        let mut run = Run {
            campaign: self,
            oracle,
            evm_oracle: EvmOracle::new(),
            buckets: ExpansionBuckets::default(),
            failures: Divergences::default(),
        };

        let bar = progress_bar(config, files.len() as u64);
        let start = Instant::now();

        // Phase 1: the corpus.
        let mut corpus_acc = Accumulator::default();
        let mut evm_corpus = EvmAccumulator::default();
        let mut corpus = CorpusReport {
            dir: config
                .corpus_dir
                .as_ref()
                .map(|d| d.to_string_lossy().replace('\\', "/")),
            ..CorpusReport::default()
        };
        let mut groups: Vec<(String, u64)> = CORPUS_TARGETS
            .iter()
            .map(|t| (t.to_string(), 0))
            .chain(
                CORPUS_TARGETS
                    .iter()
                    .map(|t| (format!("{REGRESSIONS_DIR}/{t}"), 0)),
            )
            .collect();
        bar.set_message("corpus");
        for file in &files {
            let data = fs::read(&file.path).map_err(|e| unreadable(&file.path, e))?;
            corpus.bytes += data.len() as u64;
            corpus.total_files += 1;
            if let Some(g) = groups.iter_mut().find(|(g, _)| *g == file.group) {
                g.1 += 1;
            }
            let source = format!(
                "{}/{}",
                corpus.dir.as_deref().unwrap_or("corpus"),
                file.relative
            );
            match replay_for(&file.target) {
                Some(Replay::Diff(profile)) => {
                    let case = match profile {
                        Profile::Full => decode(&data),
                        Profile::Small => decode_small(&data),
                    };
                    run.diff(&mut corpus_acc, &case, &source, &file.target, &data);
                }
                Some(Replay::Evm) => run.evm(&mut evm_corpus, &data, &source),
                Some(replay) => {
                    corpus.raw_inputs += 1;
                    run.raw(replay, file, &source, &data);
                }
                None => unreachable!("list_corpus only lists known targets"),
            }
            bar.inc(1);
        }
        corpus.files = Counts(groups);

        // Phase 2: random sequences.
        let mut random_acc = Accumulator::default();
        let mut random = RandomReport {
            generator: "splitmix64",
            max_input_len: config.max_input_len,
            ..RandomReport::default()
        };
        let (mut full, mut small) = (0u64, 0u64);
        let (limit, deadline) = match config.budget {
            Budget::Sequences(n) => {
                bar.set_length(files.len() as u64 + n);
                (n, None)
            }
            Budget::Duration(d) => (u64::MAX, Some(Instant::now() + d)),
        };
        bar.set_message("random");
        let mut input = Vec::with_capacity(config.max_input_len);
        let mut index = 0u64;
        while index < limit {
            if let Some(deadline) = deadline {
                if index % 64 == 0 && Instant::now() >= deadline {
                    break;
                }
            }
            let profile = random_input(config.seed, index, config.max_input_len, &mut input);
            random.bytes += input.len() as u64;
            let (case, target) = match profile {
                Profile::Full => {
                    full += 1;
                    (decode(&input), "diff_ops")
                }
                Profile::Small => {
                    small += 1;
                    (decode_small(&input), "diff_small")
                }
            };
            run.diff(
                &mut random_acc,
                &case,
                &format!("random #{index} (seed {:#x})", config.seed),
                target,
                &input,
            );
            index += 1;
            if index % 64 == 0 {
                bar.inc(64);
            }
        }
        // Phase 2b: random programs through stock revm and `MemoryEvm`.
        let mut evm_random = EvmAccumulator::default();
        bar.set_message("diff_evm");
        for index in 0..config.evm_programs {
            random_program_input(config.seed, index, config.max_input_len, &mut input);
            let source = format!("random program #{index} (seed {:#x})", config.seed);
            run.evm(&mut evm_random, &input, &source);
        }
        let evm = EvmReport {
            corpus: evm_corpus.phase(),
            random: evm_random.phase(),
            total: evm_corpus.merged(&evm_random),
        };
        bar.finish_and_clear();
        random.sequences = index;
        random.by_decoder = Counts(vec![
            ("diff_ops".to_string(), full),
            ("diff_small".to_string(), small),
        ]);
        let elapsed = start.elapsed();

        let stats = Phases {
            corpus: corpus_acc.phase(),
            random: random_acc.phase(),
            total: corpus_acc.merged(&random_acc),
        };

        // Phase 3: every engine's cost function over the sizes the campaign reached.
        let max_size = stats.total.max_frame_size.max(32);
        let words = sweep_words(max_size.div_ceil(32) as u64);
        let analytic = memory_gas_cost(*words.last().unwrap_or(&1));
        let mut sweeps = Vec::new();
        for mut engine in (self.engines)() {
            let sweep = cost_sweep(engine.as_mut(), &words);
            sweeps.push(sweep);
        }
        let mut engines_agree = true;
        for sweep in &sweeps {
            let wrong = sweep
                .points
                .iter()
                .find(|&&(size, gas)| gas != memory_gas_cost((size / 32) as u64));
            let problem = match (&sweep.error, wrong) {
                (Some(e), _) => Some(e.clone()),
                (None, Some(&(size, gas))) => Some(format!(
                    "total cost at {size} bytes is {gas}, expected 3·w + ⌊w²/512⌋ = {}",
                    memory_gas_cost((size / 32) as u64)
                )),
                (None, None) => None,
            };
            if let Some(problem) = problem {
                engines_agree = false;
                run.fail(Failure {
                    kind: "sweep",
                    source: format!("size sweep up to {max_size} bytes"),
                    target: String::new(),
                    text: format!("engine `{}`: {problem}", sweep.engine),
                    input: Vec::new(),
                });
            }
        }
        let sweep = SweepReport {
            max_size: (*words.last().unwrap_or(&1) * 32) as usize,
            points: words.len(),
            cost_at_max: Counts(
                sweeps
                    .iter()
                    .map(|s| {
                        let cost = if s.error.is_some() {
                            u64::MAX
                        } else {
                            s.points.last().map_or(0, |p| p.1)
                        };
                        (s.engine.to_string(), cost)
                    })
                    .collect(),
            ),
            analytic_cost_at_max: analytic,
            engines_agree,
        };

        let secs = elapsed.as_secs_f64();
        let per_sec = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        let timing = Timing {
            duration_secs: secs,
            sequences_per_sec: per_sec(corpus.total_files + random.sequences),
            ops_per_sec: per_sec(stats.total.ops),
        };
        let budget = match config.budget {
            Budget::Sequences(n) => Counts(vec![("sequences".to_string(), n)]),
            Budget::Duration(d) => Counts(vec![("duration_secs".to_string(), d.as_secs())]),
        };
        Ok(CampaignReport {
            crate_version: env!("CARGO_PKG_VERSION"),
            revm_interpreter_version: REVM_INTERPRETER_VERSION,
            engines: engine_names,
            seed: format!("{:#x}", config.seed),
            budget,
            corpus,
            random,
            stats,
            evm,
            sweep,
            divergences: run.failures,
            timing,
            plot: PlotData {
                sweeps,
                expansions: run.buckets,
            },
        })
    }
}

fn progress_bar(config: &CampaignConfig, len: u64) -> ProgressBar {
    if !config.progress || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match config.budget {
        Budget::Sequences(_) => {
            ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
        }
        Budget::Duration(_) => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
    };
    let template = match config.budget {
        Budget::Sequences(_) => {
            "{msg:>7} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} inputs (eta {eta})"
        }
        Budget::Duration(_) => "{spinner} {msg:>7} [{elapsed_precise}] {human_pos} inputs",
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    if let Budget::Duration(_) = config.budget {
        bar.enable_steady_tick(Duration::from_millis(200));
    }
    bar
}

// ---------------------------------------------------------------------------------------------
// Corpus workflows: `cmin`, `tmin`, `write-corpus`.
// ---------------------------------------------------------------------------------------------

/// A command line to run (so that `--dry-run` can print it and tests can inspect it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuzzCommand {
    /// The program (`cargo`).
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

impl FuzzCommand {
    /// The command as a [`Command`] ready to spawn.
    pub fn to_command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        cmd
    }
}

impl fmt::Display for FuzzCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.program)?;
        for arg in &self.args {
            if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            {
                write!(f, " '{}'", arg.replace('\'', "'\\''"))?;
            } else {
                write!(f, " {arg}")?;
            }
        }
        Ok(())
    }
}

/// `true` when `rustup toolchain list` shows a nightly toolchain (cargo fuzz then runs on it
/// with its default sanitizer; otherwise on stable with `-s none`).
pub fn nightly_available() -> bool {
    Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("nightly"))
        .unwrap_or(false)
}

/// The fuzz targets (`[[bin]]` names) declared in a fuzz crate's `Cargo.toml` text, in order.
pub fn fuzz_targets(cargo_toml: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_bin = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
            continue;
        }
        if !in_bin {
            continue;
        }
        if let Some(rest) = line.strip_prefix("name") {
            let rest = rest.trim_start();
            if let Some(value) = rest.strip_prefix('=') {
                let name = value.trim().trim_matches('"');
                if !name.is_empty() {
                    targets.push(name.to_string());
                }
            }
        }
    }
    targets
}

fn cargo_fuzz(nightly: bool, sub: &str, fuzz_dir: Option<&Path>) -> FuzzCommand {
    let mut args = Vec::new();
    if nightly {
        args.push("+nightly".to_string());
    }
    args.push("fuzz".to_string());
    args.push(sub.to_string());
    if !nightly {
        args.extend(["-s".to_string(), "none".to_string()]);
    }
    if let Some(dir) = fuzz_dir {
        args.push("--fuzz-dir".to_string());
        args.push(dir.to_string_lossy().into_owned());
    }
    FuzzCommand {
        program: "cargo".to_string(),
        args,
    }
}

/// `cargo fuzz cmin <target> <corpus>/<target>` for every target: on `+nightly` when a nightly
/// toolchain is present, else on stable with `-s none`; `--fuzz-dir` when the fuzz crate is not
/// `./fuzz`.
pub fn cmin_commands(
    targets: &[String],
    corpus_dir: &Path,
    nightly: bool,
    fuzz_dir: Option<&Path>,
) -> Vec<FuzzCommand> {
    targets
        .iter()
        .map(|t| {
            let mut cmd = cargo_fuzz(nightly, "cmin", fuzz_dir);
            cmd.args.push(t.clone());
            cmd.args
                .push(corpus_dir.join(t).to_string_lossy().into_owned());
            cmd
        })
        .collect()
}

/// `cargo fuzz tmin <target> <artifact>`, with the toolchain and fuzz directory chosen as in
/// [`cmin_commands`].
pub fn tmin_command(
    target: &str,
    artifact: &Path,
    nightly: bool,
    fuzz_dir: Option<&Path>,
) -> FuzzCommand {
    let mut cmd = cargo_fuzz(nightly, "tmin", fuzz_dir);
    cmd.args.push(target.to_string());
    cmd.args.push(artifact.to_string_lossy().into_owned());
    cmd
}

/// A short content hash (64-bit FNV-1a, 16 hex digits): the file name of a regression input.
pub fn short_hash(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The function that replays an input of `target`, as a path usable from a test.
pub fn replay_function(target: &str) -> Option<&'static str> {
    match target {
        "diff_ops" => Some("evm_memory::harness::fuzz_diff_ops"),
        "diff_small" => Some("evm_memory::harness::fuzz_diff_small"),
        "memory_raw" => Some("evm_memory::harness::fuzz_memory_raw"),
        "c_api" => Some("evm_memory::harness::c_api::drive_c_api"),
        _ => None,
    }
}

/// A test replaying `corpus/regressions/<target>/<hash>`, with a root-cause paragraph to fill
/// in. With `replay_helper`, the test calls `replay(target, name)` (the helper of
/// `tests/regressions.rs`, whose orphan check looks for the quoted name); otherwise it is
/// self-contained.
pub fn regression_test_skeleton(
    target: &str,
    hash: &str,
    artifact: &str,
    replay_helper: bool,
) -> String {
    let body = if replay_helper {
        format!("    replay(\"{target}\", \"{hash}\");")
    } else {
        let function = replay_function(target).unwrap_or("evm_memory::harness::fuzz_diff_ops");
        format!(
            "    let data = include_bytes!(concat!(\n        env!(\"CARGO_MANIFEST_DIR\"),\n        \
             \"/corpus/regressions/{target}/{hash}\"\n    ));\n    {function}(data);"
        )
    };
    format!(
        r#"
/// Regression: `{target}` input `corpus/regressions/{target}/{hash}`, minimised from
/// `{artifact}`.
///
/// Root cause: TODO — what the input does, which engine was off the rules (the divergence
/// report's odd one out), why, and how it was fixed (or, for a revm deviation from the EVM
/// rules, where in `reports/` it is written up).
#[test]
fn regression_{target}_{hash}() {{
{body}
}}
"#
    )
}

/// Writes every named scenario to `<corpus_dir>/<target>/<name>` in its target's format;
/// returns the paths written.
///
/// # Errors
/// A scenario that cannot be encoded, or a file that cannot be written.
pub fn write_corpus(corpus_dir: &Path, dry_run: bool) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for scenario in scenarios::all() {
        let bytes = scenario
            .encode()
            .map_err(|e| format!("scenario `{}` cannot be encoded: {e}", scenario.name))?;
        let dir = corpus_dir.join(scenario.target);
        let path = dir.join(scenario.name);
        if !dry_run {
            fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
            fs::write(&path, &bytes)
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        }
        written.push(path);
    }
    for (name, build) in super::evm::SCENARIOS {
        let bytes = super::evm::encode_program(&build())
            .map_err(|e| format!("program scenario `{name}` cannot be encoded: {e}"))?;
        let dir = corpus_dir.join("diff_evm");
        let path = dir.join(name);
        if !dry_run {
            fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
            fs::write(&path, &bytes)
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        }
        written.push(path);
    }
    Ok(written)
}

/// Removes the files of `<corpus_dir>/<target>/` that are byte-identical copies of a named
/// scenario under another name (`cargo fuzz cmin` renames the inputs it keeps to their SHA-1);
/// returns the paths removed.
///
/// # Errors
/// A directory that cannot be listed or a file that cannot be read or removed.
pub fn remove_scenario_copies(corpus_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut removed = Vec::new();
    let all = scenarios::all();
    for target in CORPUS_TARGETS {
        let mut named: Vec<(&str, Vec<u8>)> = all
            .iter()
            .filter(|s| s.target == target)
            .filter_map(|s| s.encode().ok().map(|b| (s.name, b)))
            .collect();
        if target == "diff_evm" {
            named.extend(super::evm::SCENARIOS.iter().filter_map(|(name, build)| {
                super::evm::encode_program(&build())
                    .ok()
                    .map(|b| (*name, b))
            }));
        }
        let dir = corpus_dir.join(target);
        if named.is_empty() || !dir.is_dir() {
            continue;
        }
        let entries =
            fs::read_dir(&dir).map_err(|e| format!("cannot list `{}`: {e}", dir.display()))?;
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            if !path.is_file() || named.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let bytes =
                fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            if named.iter().any(|(_, b)| *b == bytes) {
                fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove `{}`: {e}", path.display()))?;
                removed.push(path);
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_the_reference_sequence() {
        // First outputs of SplitMix64 seeded with 1234567 (from the reference implementation).
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn random_inputs_are_reproducible_and_varied() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut lens = Vec::new();
        for i in 0..200 {
            let pa = random_input(7, i, 2048, &mut a);
            let pb = random_input(7, i, 2048, &mut b);
            assert_eq!((pa, &a), (pb, &b));
            lens.push(a.len());
        }
        assert!(lens.iter().any(|&l| l < 32));
        assert!(lens.iter().any(|&l| l > 1024));
        assert!(lens.iter().all(|&l| l <= 2048));
    }

    #[test]
    fn sweep_words_cover_the_range() {
        let w = sweep_words(131_072);
        assert_eq!(w[0], 1);
        assert_eq!(*w.last().unwrap(), 131_072);
        assert!(w.windows(2).all(|p| p[0] < p[1]));
        assert!(w.len() < 150);
    }

    #[test]
    fn buckets_stay_bounded() {
        let mut b = ExpansionBuckets::default();
        for size in (32..(4 << 20)).step_by(32) {
            b.add(size, 1);
        }
        assert!(b.len() < 400, "{}", b.len());
    }

    #[test]
    fn fuzz_targets_are_read_from_cargo_toml() {
        let toml = "[package]\nname = \"x-fuzz\"\n\n[[bin]]\nname = \"diff_ops\"\npath = \"a.rs\"\n\n[[bin]]\nname=\"c_api\"\n";
        assert_eq!(fuzz_targets(toml), ["diff_ops", "c_api"]);
    }
}
