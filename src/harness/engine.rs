//! The [`Engine`] trait every memory implementation is driven through, one adapter file each
//! under `engines/`.

use super::case::Case;
use super::case::Op;
use super::observation::Observation;

/// A memory implementation that can run a [`Case`] op by op.
///
/// `begin` sets the engine up for a case (reusing its allocations); `step` runs one op and
/// fills `obs` completely (it is cleared first). After an observation with `ended`, `step` is
/// not called again for that case.
pub trait Engine {
    /// Short name used in reports.
    fn name(&self) -> &'static str;
    /// Prepares for `case`: an empty root frame with the case's limit, gas and calldata.
    fn begin(&mut self, case: &Case);
    /// Runs `op` in the current frame and records what happened.
    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation);
}
