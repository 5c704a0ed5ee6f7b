//! The op level: cases of memory ops run against memory engines. A [`Case`] is a sequence of
//! [`Op`]s, each what one EVM instruction does to memory; every engine (this crate's memory,
//! revm's `SharedMemory`, the reference model, a C library, a process speaking the engine
//! protocol) runs it op by op, and the [`Oracle`] compares what they show after every op.
//! This is the level of the `diff_ops` and `diff_small` fuzz targets; the bytecode level
//! ([`evm`](super::evm)) and the state-test level ([`statetest`](super::statetest)) sit beside
//! it, and the campaign, the corpus and the reports above all three.
//!
//! Everything that knows what a case or an engine is lives here, and nothing here imports the
//! other levels or what is built on them:
//! * [`case`] — the op model ([`Case`], [`Op`]);
//! * [`generate`] — bytes to a valid case, biased toward the edges ([`decode`], [`encode`]);
//! * [`scenarios`] — named cases that seed the corpus;
//! * [`vectors`] — named conformance vectors with expected observations (`tests/vectors/*.txt`);
//! * [`observation`] — what every engine shows after each op, compared with `==`;
//! * [`engine`] and [`engines`] — one trait, one adapter file per engine, engines built by name
//!   (`EVM_MEMORY_ENGINES` chooses them for tests, fuzz targets and the campaign);
//! * [`budget`] — what an op's growth costs by the rules, and the bounds every engine is held
//!   to, so that a verdict is earned;
//! * [`oracle`] — runs a case through the engines and reports the first divergence;
//! * [`reproducer`] — a case as pasteable Rust;
//! * [`protocol`] and [`serve`] — the engine protocol that lets a memory in another process
//!   (any language) be an engine, and its serving side for the engines built here: a protocol
//!   speaker is one more engine, so both live with the engines.
//!
//! Not here: [`raw`](super::raw) and [`c_api`](super::c_api), which drive one implementation
//! alone from raw bytes (no case, no engine), and the fuzz entry points and their statistics
//! ([`harness`](super)), which span the levels.

pub mod budget;
pub mod case;
pub mod engine;
pub mod engines;
pub mod generate;
pub mod observation;
pub mod oracle;
pub mod protocol;
pub mod reproducer;
pub mod scenarios;
pub mod serve;
pub mod vectors;

pub use case::{child_gas, u, Capacity, Case, Op, OpKind};
pub use engine::{Engine, Reach};
pub use engines::{ModelBugs, ModelEngine, OursEngine, RevmEngine};
pub use generate::{decode, decode_small, encode, encode_with, Profile, SmallCase};
pub use observation::{Observation, Outcome, Output};
pub use oracle::{check_case, run_case, Divergence, Mode, Oracle, RunStats};
