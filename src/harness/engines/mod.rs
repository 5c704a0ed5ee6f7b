//! The engines, one adapter file each: [`OursEngine`] (this crate's memory), [`RevmEngine`]
//! (revm's `SharedMemory`) and [`ModelEngine`] (the reference model written from the rules).

mod model;
mod ours;
mod revm;

pub use model::{model_memory_cost, ModelBugs, ModelEngine};
pub use ours::OursEngine;
pub use revm::RevmEngine;
