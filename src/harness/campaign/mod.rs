//! The seeded conformance campaign behind the `conformance` command: it replays the whole corpus
//! (`corpus/diff_ops`, `corpus/diff_small`, `corpus/memory_raw`, `corpus/c_api`, `corpus/diff_evm`
//! and every `corpus/regressions/<target>/…`), then runs random op sequences drawn from a seeded
//! PRNG through the engines (all four by default) with the [`Oracle`], then random programs
//! through stock revm and `MemoryEvm`, sweeps every engine's cost function, and returns a [`CampaignReport`]: what
//! was compared, how deep and large memory went, which outcomes were hit, and every divergence
//! with its reproducer.
//!
//! Everything in the report except its [`Timing`] is a function of the seed, the sequence count
//! and the corpus: the same inputs give a byte-identical `conformance.json` (with timing
//! removed), which is what `conformance --check` verifies ([`compare_reports`]).
//!
//! Files: this one runs the campaign; [`random`] draws its inputs, [`results`] holds the report's
//! sections, [`sweep`] the cost sweep, [`spec_phase`] the spec phase. The campaign sits above
//! the levels it runs ([`ops`](super::ops), [`evm`](super::evm)) and imports them, never the
//! other way round; the `diff_evm` phase's results ([`EvmReport`]) are the bytecode level's own.
//! The corpus it replays is listed (and written, and minimised) by [`corpus`](super::corpus);
//! the results are rendered and written to disk by [`report`](super::report), which the
//! campaign does not import. The `--check` comparison ([`compare_reports`]) lives in
//! [`json_diff`](super::json_diff), the seeded PRNG in [`rng`](super::rng), so that the levels
//! can use them without importing the campaign.

use std::cell::RefCell;
use std::fmt;
use std::fs;
use std::io::{self, IsTerminal};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::corpus::{list_corpus, replay_for, unreadable, CorpusError, CorpusFile, Replay};
use super::corpus::{CORPUS_TARGETS, REGRESSIONS_DIR};
use super::evm::phase::{random_program_input, EvmAccumulator, EvmReport};
use super::evm::{
    decode_program, fuzz_program, program_report, program_setup, rust_reproducer as evm_reproducer,
    EvmOracle,
};
use super::ops::case::Case;
use super::ops::engine::Engine;
use super::ops::engines::isolate::{take_crashes, Isolated};
use super::ops::engines::{engines_by_names, is_engine_name, C_LIBRARY_PREFIX, ENGINE_NAMES};
use super::ops::generate::{decode, decode_small, Profile};
use super::ops::oracle::{Mode, Oracle};
use super::ops::reproducer::rust_reproducer;
use super::raw::drive_raw;
pub mod random;
pub mod results;
pub mod spec_phase;
pub mod sweep;

pub use crate::harness::counts::Counts;
pub use crate::harness::json_diff::{compare_reports, TIMING_KEYS};
pub use crate::harness::ops::budget::mainnet_cost;
pub use crate::harness::rng::{SplitMix64, DEFAULT_MAX_INPUT_LEN, DEFAULT_SEED};
pub use random::random_input;
pub use results::{
    CampaignReport, CorpusReport, Divergences, ExpansionBucket, ExpansionBuckets, Failure,
    PhaseStats, Phases, PlotData, RandomReport, ReachStats, Timing, OUTCOMES,
};
pub use spec_phase::{
    spec_available, spec_engines, SpecReport, DEFAULT_SPEC_SEQUENCES, ENABLE_SPEC,
};
pub use sweep::{check_cost_classes, cost_sweep, sweep_words, CostClasses, Sweep, SweepReport};

use results::Accumulator;

/// The revm-interpreter version the `revm` engine is built against: the `=` pin of the
/// `revm-interpreter` dependency in `Cargo.toml` (a test keeps the two equal).
pub const REVM_INTERPRETER_VERSION: &str = "43.0.2";

/// Random sequences of the committed report (about half a minute in `--release`).
pub const DEFAULT_SEQUENCES: u64 = 750_000;

/// Divergences reported in full; further ones are only counted.
pub const DEFAULT_MAX_REPORTED: usize = 20;

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
    /// How the oracle compares (the report is the same in both modes; the full mode is slower).
    pub mode: Mode,
    /// The engines [`Campaign::new`] compares, by name ([`ENGINE_NAMES`], all of them by
    /// default, or `c:PATH`; the `conformance` command takes them from `EVM_MEMORY_ENGINES`).
    pub engines: Vec<&'static str>,
    /// Run every `c:PATH` engine behind crash isolation
    /// ([`Isolated`]): each case first in a child
    /// `conformance isolate NAME` of the running executable, so that a library that crashes
    /// is a finding and the campaign goes on. Only the `conformance` command can serve as the
    /// child (it sets this); elsewhere a crash takes the process down.
    pub isolate_libraries: bool,
    /// Random sequences of the spec phase ([`spec_phase`]), which also replays the corpus,
    /// the scenarios and the vectors through the execution specs; `None` (the default): no
    /// spec phase. The `conformance` command runs it with [`DEFAULT_SPEC_SEQUENCES`].
    pub spec_sequences: Option<u64>,
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
            mode: Mode::from_env(),
            engines: ENGINE_NAMES.to_vec(),
            isolate_libraries: false,
            spec_sequences: None,
        }
    }
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

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let captured = LAST_PANIC.with(|p| p.borrow_mut().take());
    captured.unwrap_or_else(|| super::panics::payload_text(payload))
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
    /// `true` while the spec phase runs (its oracle holds the spec engine).
    spec: bool,
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

    /// Runs one differential case, recording its statistics or its failure; returns the ops
    /// the `spec` engine took part in comparing (0 when it is not in the oracle or declined).
    fn diff(
        &mut self,
        acc: &mut Accumulator,
        case: &Case,
        source: &str,
        target: &str,
        input: &[u8],
    ) -> u64 {
        let result = panic::catch_unwind(AssertUnwindSafe(|| self.oracle.run(case)));
        // An isolated engine that crashed on the case: a finding about that engine, with the
        // case (it was left out of the comparison, which went on without it).
        for crash in take_crashes() {
            let text = format!(
                "CRASH: {crash}\n\nreproducer (paste into a test file):\n\n{}",
                rust_reproducer(&crash.case, "crash_repro")
            );
            self.fail(Failure {
                kind: "crash",
                source: source.to_string(),
                target: target.to_string(),
                text,
                input: crash.input,
            });
        }
        match result {
            Ok(Ok(mut stats)) => {
                // An engine's failure names the engine and the op; the case is named here.
                for detail in &mut stats.failure_details {
                    *detail = format!("{source}: {detail}");
                }
                let spec_ops = if self.spec && !stats.declined.keys().any(|(e, _)| *e == "spec") {
                    stats.ops
                } else {
                    0
                };
                acc.add(stats, &mut self.buckets);
                return spec_ops;
            }
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
                let engines = if self.spec {
                    spec_engines()
                } else {
                    (self.campaign.engines)()
                };
                self.oracle = Oracle::new(engines).with_mode(self.campaign.config.mode);
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
        0
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
    /// A campaign over the engines `config.engines` names.
    ///
    /// # Panics
    /// When a name is not one of [`ENGINE_NAMES`] (those of
    /// [`parse_engine_selection`](super::ops::engines::parse_engine_selection) always are).
    pub fn new(config: CampaignConfig) -> Self {
        let names = config.engines.clone();
        for name in &names {
            assert!(is_engine_name(name), "unknown engine `{name}`");
        }
        let isolate = config.isolate_libraries;
        let build = move || -> Vec<Box<dyn Engine>> {
            let engines = engines_by_names(&names);
            if !isolate {
                return engines;
            }
            engines
                .into_iter()
                .zip(&names)
                .map(|(engine, name)| -> Box<dyn Engine> {
                    if !name.starts_with(C_LIBRARY_PREFIX) {
                        return engine;
                    }
                    match Isolated::by_name(engine, name) {
                        Ok(isolated) => Box::new(isolated),
                        Err(e) => panic!("cannot isolate engine {name}: {e}"),
                    }
                })
                .collect()
        };
        Self {
            config,
            engines: Box::new(build),
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
    pub fn run(&self) -> Result<CampaignReport, CorpusError> {
        let config = &self.config;
        let files = match &config.corpus_dir {
            Some(dir) => list_corpus(dir)?,
            None => Vec::new(),
        };
        let _hook = HookGuard::install(config.capture_panics);
        let oracle = Oracle::new((self.engines)()).with_mode(config.mode);
        let engine_names = oracle.engine_names();
        let mut run = Run {
            campaign: self,
            spec: false,
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
        let analytic = mainnet_cost(*words.last().unwrap_or(&1));
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
                .find(|&&(size, gas)| gas != mainnet_cost((size / 32) as u64));
            let problem = match (&sweep.error, wrong) {
                (Some(e), _) => Some(e.clone()),
                (None, Some(&(size, gas))) => Some(format!(
                    "total cost at {size} bytes is {gas}, expected 3·w + ⌊w²/512⌋ = {}",
                    mainnet_cost((size / 32) as u64)
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
        // Every size class up to 4 GiB, under many pricings, against the model's formula.
        let (size_classes, problems) = check_cost_classes();
        for problem in problems {
            run.fail(Failure {
                kind: "cost",
                source: "size classes to 4 GiB".to_string(),
                target: String::new(),
                text: problem,
                input: Vec::new(),
            });
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
            size_classes,
        };

        // Phase 4: the execution specs.
        let spec_start = Instant::now();
        let spec = match config.spec_sequences {
            None => SpecReport {
                status: "not requested".to_string(),
                ..SpecReport::default()
            },
            Some(n) => self.spec_phase(&mut run, &files, n)?,
        };
        let spec_secs = spec_start.elapsed().as_secs_f64();

        let secs = elapsed.as_secs_f64();
        let per_sec = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        let timing = Timing {
            duration_secs: secs,
            sequences_per_sec: per_sec(corpus.total_files + random.sequences),
            ops_per_sec: per_sec(stats.total.ops),
            spec_duration_secs: spec_secs,
            spec_ops_per_sec: if spec_secs > 0.0 {
                spec.stats.ops as f64 / spec_secs
            } else {
                0.0
            },
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
            spec,
            divergences: run.failures,
            timing,
            plot: PlotData {
                sweeps,
                expansions: run.buckets,
            },
        })
    }
}

impl Campaign {
    /// The spec phase: the corpus's op sequences, the scenarios, the vectors and `n` random
    /// sequences through [`spec_engines`]; skipped (saying why) when the spec engine is not
    /// available.
    fn spec_phase(
        &self,
        run: &mut Run<'_>,
        files: &[CorpusFile],
        n: u64,
    ) -> Result<SpecReport, CorpusError> {
        let config = &self.config;
        let version = match spec_available() {
            Ok(v) => v,
            Err(why) => {
                return Ok(SpecReport {
                    status: format!("skipped: {why}"),
                    ..SpecReport::default()
                })
            }
        };
        let spec_oracle = Oracle::new(spec_engines()).with_mode(config.mode);
        let engines = spec_oracle.engine_names();
        let main = std::mem::replace(&mut run.oracle, spec_oracle);
        run.spec = true;
        let mut acc = Accumulator::default();
        let mut counts = Vec::new();
        let mut spec_ops = 0;
        let before = acc.sequences;
        for file in files {
            if let Some(Replay::Diff(profile)) = replay_for(&file.target) {
                let data = fs::read(&file.path).map_err(|e| unreadable(&file.path, e))?;
                let case = match profile {
                    Profile::Full => decode(&data),
                    Profile::Small => decode_small(&data),
                };
                let source = format!("spec phase: corpus/{}", file.relative);
                spec_ops += run.diff(&mut acc, &case, &source, &file.target, &data);
            }
        }
        counts.push(("corpus".to_string(), acc.sequences - before));
        let before = acc.sequences;
        for s in super::ops::scenarios::all() {
            let source = format!("spec phase: scenario {}", s.name);
            spec_ops += run.diff(&mut acc, &s.case, &source, s.target, &[]);
        }
        counts.push(("scenarios".to_string(), acc.sequences - before));
        let before = acc.sequences;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
        if let Ok(vectors) = super::ops::vectors::load_dir(&dir) {
            for v in &vectors {
                let source = format!("spec phase: vector {}", v.name);
                spec_ops += run.diff(&mut acc, &v.case, &source, "vectors", &[]);
            }
        }
        counts.push(("vectors".to_string(), acc.sequences - before));
        let before = acc.sequences;
        let mut input = Vec::with_capacity(config.max_input_len);
        for index in 0..n {
            let profile = random_input(config.seed, index, config.max_input_len, &mut input);
            let (case, target) = match profile {
                Profile::Full => (decode(&input), "diff_ops"),
                Profile::Small => (decode_small(&input), "diff_small"),
            };
            let source = format!("spec phase: random #{index} (seed {:#x})", config.seed);
            spec_ops += run.diff(&mut acc, &case, &source, target, &input);
        }
        counts.push(("random".to_string(), acc.sequences - before));
        run.oracle = main;
        run.spec = false;
        Ok(SpecReport {
            status: "ran".to_string(),
            engine_version: version,
            engines,
            cases: Counts(counts),
            spec_ops,
            stats: acc.phase(),
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
