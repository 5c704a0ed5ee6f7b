//! The spec phase: the corpus's op sequences, the named scenarios, the vectors and a fixed
//! number of random sequences through the built-in engines and the execution specs
//! ([`spec`](crate::harness::ops::engines::ExternalEngine::spec), a Python driver over the
//! `ethereum-execution` package), compared op by op like the other phases. Where the spec
//! engine cannot run (no Python, no virtual environment) the phase is skipped and the report
//! says so and how to enable it.

use serde::Serialize;

use crate::harness::ops::engine::Engine;
use crate::harness::ops::engines::{engines_by_names, ExternalEngine, ENGINE_NAMES};

use super::results::PhaseStats;
use crate::harness::counts::Counts;

/// Random sequences of the spec phase in the committed report (about two minutes here).
pub const DEFAULT_SPEC_SEQUENCES: u64 = 70_000;

/// How to make the spec engine available, for the line a skipped phase prints.
pub const ENABLE_SPEC: &str = "bash .ci/spec-venv (makes target/spec-venv from \
     python/requirements.txt; needs python3 with venv and pip), or set EVM_MEMORY_SPEC_PYTHON \
     to a Python that has ethereum-execution";

/// What the spec phase compared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SpecReport {
    /// `ran`, `skipped: …` (with how to enable it) or `not requested`.
    pub status: String,
    /// The spec engine's version, from its hello.
    pub engine_version: String,
    /// The engines compared, in order.
    pub engines: Vec<&'static str>,
    /// Cases run, by source: `corpus`, `scenarios`, `vectors`, `random`.
    pub cases: Counts,
    /// Ops compared with the spec engine taking part (in the cases it did not decline).
    pub spec_ops: u64,
    /// What was compared by all the engines (declines and cases not comparable by engine and reason included).
    pub stats: PhaseStats,
}

/// The engines of the spec phase: every built-in one, then `spec`.
pub fn spec_engines() -> Vec<Box<dyn Engine>> {
    let mut engines = engines_by_names(&ENGINE_NAMES);
    engines.push(Box::new(ExternalEngine::spec()));
    engines
}

/// The spec engine's version when it starts and greets, else why not.
///
/// # Errors
/// Why the spec engine is not available, with how to enable it.
pub fn spec_available() -> Result<String, String> {
    let engine = ExternalEngine::spec();
    match engine.hello() {
        Ok(hello) => Ok(hello.version),
        Err(f) => Err(format!("{} — to enable it: {ENABLE_SPEC}", f.detail)),
    }
}
