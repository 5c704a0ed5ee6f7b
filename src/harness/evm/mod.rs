//! The bytecode-level differential: transactions over generated contracts run through stock
//! revm and through [`MemoryEvm`](crate::revm::MemoryEvm), compared before every instruction
//! and at the end.
//!
//! * [`trace`] — what each engine shows before every instruction ([`StepRecord`], [`Recorder`]);
//! * [`oracle`] — both engines on one transaction, the first divergence ([`EvmOracle`]).

pub mod oracle;
pub mod trace;

pub use oracle::{Agreement, Difference, EvmDivergence, EvmOracle, TxSetup};
pub use trace::{digest, Recorder, StepRecord};
