//! Running state tests: every case of every file through every engine, files spread over worker
//! threads, each case checked against the file and the engines against each other.
//!
//! A case is one indexed post entry of one fork of one test unit. Nothing a file holds makes
//! the runner panic: unreadable and unparsable files, out-of-range values and panics inside an
//! engine all become failures of their file or case.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use revm_context::{BlockEnv, CfgEnv};
use revm_database::CacheState;
use revm_statetest_types::{SpecName, Test, TestSuite, TestUnit};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::check::{check_against_file, compare_runs, Mismatch};
use super::discover::{discover, TestFile};
use super::engine::{EngineRun, StateTestEngine};
use super::outcome::{CaseIndex, Failure, FailureKind, FileOutcome, Location};
use super::report::StateTestReport;
use super::setup::{block_env, cfg_env, check_unit, tx_env, TxSetupError};
use super::skips::{skipped_file, skipped_fork, TX_NOT_BUILDABLE, UNKNOWN_FORK};
use crate::harness::panics::catch;

/// How a run is carried out (neither changes its results).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunConfig {
    /// Worker threads (at least one is used).
    pub jobs: usize,
    /// Draw a progress bar on stderr (when stderr is a terminal).
    pub progress: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            jobs: default_jobs(),
            progress: false,
        }
    }
}

/// The available cores (1 when unknown).
pub fn default_jobs() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs every state-test file under `paths` through `engines` and gathers the report.
///
/// # Errors
/// A path that does not exist or holds no `.json` file ([`discover`]), no engine, or two
/// engines of one name.
pub fn run_paths(
    paths: &[PathBuf],
    engines: &[Box<dyn StateTestEngine>],
    config: &RunConfig,
) -> Result<StateTestReport, String> {
    let names = engine_names(engines)?;
    let files = discover(paths)?;
    let outcomes = run_files(&files, engines, config);
    Ok(StateTestReport::new(names, &files, &outcomes))
}

/// The engines' names, checked to be present and distinct.
fn engine_names(engines: &[Box<dyn StateTestEngine>]) -> Result<Vec<String>, String> {
    if engines.is_empty() {
        return Err("no engine to run".to_string());
    }
    let mut names: Vec<String> = Vec::new();
    for engine in engines {
        let name = engine.name().to_string();
        if names.contains(&name) {
            return Err(format!("two engines are called `{name}`"));
        }
        names.push(name);
    }
    Ok(names)
}

/// Runs `files` on `config.jobs` worker threads; the outcomes come back in the order of `files`.
pub fn run_files(
    files: &[TestFile],
    engines: &[Box<dyn StateTestEngine>],
    config: &RunConfig,
) -> Vec<FileOutcome> {
    let bar = progress_bar(config.progress, files.len());
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let outcomes = Mutex::new(vec![None; files.len()]);
    let workers = config.jobs.clamp(1, files.len().max(1));
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                let outcome = run_file(file, engines);
                let failed = failed.fetch_add(outcome.failed, Ordering::Relaxed) + outcome.failed;
                bar.set_message(format!("{failed} failed"));
                bar.inc(1);
                outcomes.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(outcome);
            });
        }
    });
    bar.finish_and_clear();
    outcomes
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}

fn progress_bar(enabled: bool, files: usize) -> ProgressBar {
    if !enabled || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::stderr());
    let template =
        "{msg:>10} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} files (eta {eta})";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message("0 failed");
    bar
}

/// Runs one file: skipped by name, or read, parsed and every case run.
pub fn run_file(file: &TestFile, engines: &[Box<dyn StateTestEngine>]) -> FileOutcome {
    if let Some(reason) = skipped_file(&file.name) {
        let mut outcome = FileOutcome::default();
        outcome.skip(file_location(&file.name), 1, reason, None);
        return outcome;
    }
    let text = match fs::read_to_string(&file.path) {
        Ok(text) => text,
        Err(e) => {
            return FileOutcome::file_failure(&file.name, FailureKind::Unreadable, e.to_string())
        }
    };
    run_suite(&file.name, &text, engines)
}

/// Runs every case of the state-test suite `text` (the contents of the file called `name`).
pub fn run_suite(name: &str, text: &str, engines: &[Box<dyn StateTestEngine>]) -> FileOutcome {
    match catch(|| run_parsed(name, text, engines)) {
        Ok(outcome) => outcome,
        Err(panic) => FileOutcome::file_failure(
            name,
            FailureKind::Panic,
            format!("outside any case: {panic}"),
        ),
    }
}

/// The fork names of a unit as the file spells them, with their entry counts: the parsed
/// suite maps every unknown name to one `SpecName::Unknown` and loses the names.
#[derive(Deserialize)]
struct RawUnit {
    #[serde(default)]
    post: BTreeMap<String, Vec<IgnoredAny>>,
}

fn file_location(file: &str) -> Location {
    Location {
        file: file.to_string(),
        ..Location::default()
    }
}

fn spec_name(raw: &str) -> SpecName {
    serde_json::from_value(serde_json::Value::String(raw.to_string())).unwrap_or(SpecName::Unknown)
}

fn run_parsed(name: &str, text: &str, engines: &[Box<dyn StateTestEngine>]) -> FileOutcome {
    let suite: TestSuite = match serde_json::from_str(text) {
        Ok(suite) => suite,
        Err(e) => return FileOutcome::file_failure(name, FailureKind::Parse, e.to_string()),
    };
    let raw: BTreeMap<String, RawUnit> = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(e) => return FileOutcome::file_failure(name, FailureKind::Parse, e.to_string()),
    };
    let mut outcome = FileOutcome::default();
    for (test_name, unit) in &suite.0 {
        let location = Location {
            file: name.to_string(),
            test: Some(test_name.clone()),
            ..Location::default()
        };
        let mut fork_names = BTreeMap::new();
        for (fork, entries) in raw.get(test_name).map(|u| &u.post).into_iter().flatten() {
            match spec_name(fork) {
                SpecName::Unknown => outcome.skip(
                    Location {
                        fork: Some(fork.clone()),
                        ..location.clone()
                    },
                    entries.len(),
                    UNKNOWN_FORK,
                    None,
                ),
                known => {
                    fork_names.insert(known, fork.clone());
                }
            }
        }
        run_unit(&location, unit, &fork_names, engines, &mut outcome);
    }
    outcome
}

fn run_unit(
    location: &Location,
    unit: &TestUnit,
    fork_names: &BTreeMap<SpecName, String>,
    engines: &[Box<dyn StateTestEngine>],
    outcome: &mut FileOutcome,
) {
    let prestate = unit.state();
    for (spec_name, tests) in &unit.post {
        if *spec_name == SpecName::Unknown {
            continue; // skipped under its own name(s) above
        }
        let fork = fork_names
            .get(spec_name)
            .cloned()
            .unwrap_or_else(|| format!("{spec_name:?}"));
        let location = Location {
            fork: Some(fork),
            ..location.clone()
        };
        if let Some(reason) = skipped_fork(spec_name) {
            outcome.skip(location, tests.len(), reason, None);
            continue;
        }
        let mut cfg = cfg_env(unit, spec_name.to_spec_id());
        let block = check_unit(unit).map(|()| block_env(unit, &mut cfg));
        for (entry, test) in tests.iter().enumerate() {
            let location = Location {
                case: Some(CaseIndex {
                    entry,
                    d: test.indexes.data,
                    g: test.indexes.gas,
                    v: test.indexes.value,
                }),
                ..location.clone()
            };
            let case = Case {
                location,
                unit,
                test,
                cfg: &cfg,
                prestate: &prestate,
            };
            let result = match &block {
                Ok(block) => case.run(block, engines),
                Err(message) => CaseResult::Failed(vec![case.failure(
                    None,
                    FailureKind::Malformed,
                    message.clone(),
                )]),
            };
            match result {
                CaseResult::Passed => outcome.passed += 1,
                CaseResult::Failed(failures) => {
                    outcome.failed += 1;
                    outcome.failures.extend(failures);
                }
                CaseResult::Skipped { reason, detail } => {
                    outcome.skip(case.location, 1, reason, Some(detail));
                }
            }
        }
    }
}

/// How one case ended.
enum CaseResult {
    /// Every engine matched the file and all engines agreed.
    Passed,
    /// At least one failure.
    Failed(Vec<Failure>),
    /// Not executed.
    Skipped {
        reason: &'static str,
        detail: String,
    },
}

/// One case: an indexed post entry with everything needed to run it.
struct Case<'a> {
    location: Location,
    unit: &'a TestUnit,
    test: &'a Test,
    cfg: &'a CfgEnv,
    prestate: &'a CacheState,
}

impl Case<'_> {
    fn failure(&self, engine: Option<String>, kind: FailureKind, message: String) -> Failure {
        Failure {
            location: self.location.clone(),
            engine,
            kind,
            message: Some(message),
            mismatches: Vec::new(),
        }
    }

    fn mismatch_failure(
        &self,
        engine: String,
        kind: FailureKind,
        mismatches: Vec<Mismatch>,
    ) -> Failure {
        Failure {
            location: self.location.clone(),
            engine: Some(engine),
            kind,
            message: None,
            mismatches,
        }
    }

    /// Runs the case through every engine, checks every run against the file and every run
    /// against the first engine's.
    fn run(&self, block: &BlockEnv, engines: &[Box<dyn StateTestEngine>]) -> CaseResult {
        let tx = match catch(|| tx_env(self.unit, self.test)) {
            Ok(Ok(tx)) => tx,
            Ok(Err(TxSetupError::Malformed(message))) => {
                return CaseResult::Failed(vec![self.failure(
                    None,
                    FailureKind::Malformed,
                    message,
                )])
            }
            Ok(Err(TxSetupError::Refused(message))) => {
                return match &self.test.expect_exception {
                    Some(exception) => CaseResult::Skipped {
                        reason: TX_NOT_BUILDABLE,
                        detail: format!("{message}; the file expects {exception}"),
                    },
                    None => CaseResult::Failed(vec![self.failure(
                        None,
                        FailureKind::Malformed,
                        format!("the transaction cannot be built: {message}"),
                    )]),
                }
            }
            Err(panic) => {
                return CaseResult::Failed(vec![self.failure(
                    None,
                    FailureKind::Panic,
                    format!("setting up the transaction: {panic}"),
                )])
            }
        };
        let mut failures = Vec::new();
        let mut runs: Vec<(&'static str, EngineRun)> = Vec::new();
        for engine in engines {
            match catch(|| engine.execute(self.cfg, block, &tx, self.prestate)) {
                Ok(run) => runs.push((engine.name(), run)),
                Err(panic) => failures.push(self.failure(
                    Some(engine.name().to_string()),
                    FailureKind::Panic,
                    panic,
                )),
            }
        }
        for (name, run) in &runs {
            let mismatches = check_against_file(self.test, self.unit.out.as_ref(), run);
            if !mismatches.is_empty() {
                failures.push(self.mismatch_failure(
                    name.to_string(),
                    FailureKind::File,
                    mismatches,
                ));
            }
        }
        if let Some(((reference, first), others)) = runs.split_first() {
            for (name, run) in others {
                let mismatches = compare_runs(first, run);
                if !mismatches.is_empty() {
                    failures.push(self.mismatch_failure(
                        format!("{reference} vs {name}"),
                        FailureKind::Disagreement,
                        mismatches,
                    ));
                }
            }
        }
        if failures.is_empty() {
            CaseResult::Passed
        } else {
            CaseResult::Failed(failures)
        }
    }
}
