//! The one place where known differences of convention between clients are smoothed out
//! before steps and summaries are compared. Each rule says what differs and why it is a
//! convention rather than a behaviour; anything not listed here is compared as printed.
//!
//! The rules are [`RULES`] (what differs, the rule, why it is a convention rather than a
//! behaviour); the reports print them. Anything not listed there is compared as printed.

use super::compact::OurStep;
use super::eip3155::{ClientStep, FinalLine};
use super::run::CaseEnd;

/// The normalisations: what differs between clients, the rule applied, and why.
pub const RULES: &[(&str, &str, &str)] = &[
    ("step `error` text", "only whether there is one is compared", "every client names errors its own way (`OutOfGasError` in the specs, `out of gas` in geth, `OutOfGas` or `MemoryOOG` in revm)"),
    ("`error` naming a revert on a REVERT step", "dropped (any other error of a REVERT, such as out of gas, is compared)", "the specs (and geth: `execution reverted`) report a revert as the step's error; revm does not count a revert as an error; the frame's outcome is still compared through the next steps and the closing line"),
    ("`memory` missing", "not compared; `memSize` still is", "the specs leave `memory` out when the memory is empty, and a client run with `--nomemory` always does"),
    ("numbers and hex", "parsed, not compared as text", "`\"0x1f\"`, `31` and `\"31\"` are one value; `0x` prefixes and hex case vary; memory as one hex string or as 32-byte words"),
    ("closing `output`", "compared without `0x`, in lower case", "the specs and geth print bare hex, others `0x…`"),
    ("closing `gasUsed`", "compared when printed", "the gas the first frame spent before refunds, without the intrinsic gas, in the specs, geth and ours; a client printing the receipt's gas must be run without it"),
    ("closing `error`", "only whether there is one", "names differ as for steps; a revert is an error here in every client, ours included"),
    ("precompiles", "no steps on either side", "the specs trace a precompile as a pseudo-step they do not print; revm runs no instructions for one"),
    ("the STOP of an empty code", "compared when the client prints it, passed over when it does not", "revm runs a frame of empty code (a CREATE with empty init code) through one implicit STOP and shows it; the specs print no step for code that has none (the implicit STOP past the end of non-empty code is printed by both)"),
    ("depth", "from 1", "EIP-3155 numbers the first frame 1; revm counts from 0 and our tracer adds 1"),
    ("other lines", "ignored", "log lines (`# INFO…`), results arrays and blank lines are not trace lines"),
];

/// REVERT.
const REVERT: u8 = 0xFD;

/// Whether our `step` may be missing from a client's trace (the STOP of an empty code: see
/// [`RULES`]); it is compared when the client's next step is that step.
pub fn skip_our_step(step: &OurStep) -> bool {
    step.empty_code
}

/// A client's step with the conventions above applied.
pub fn normalise_step(step: &mut ClientStep) {
    let is_revert = |e: &String| e.to_ascii_lowercase().contains("revert");
    if step.op == REVERT && step.error.as_ref().is_some_and(is_revert) {
        step.error = None;
    }
}

/// Whether two errors agree (see the table: presence only).
pub fn same_error(ours: Option<&str>, client: Option<&str>) -> bool {
    ours.is_some() == client.is_some()
}

/// Where a client's closing line differs from ours, after the conventions above: `(field,
/// ours, client)` for each field that differs.
pub fn final_differences(
    ours: &CaseEnd,
    client: &FinalLine,
) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if ours.last.output != client.output {
        out.push(("output", ours.last.output.clone(), client.output.clone()));
    }
    if let (Some(a), Some(b)) = (ours.last.gas_used, client.gas_used) {
        if a != b {
            out.push(("gasUsed", format!("{a:#x}"), format!("{b:#x}")));
        }
    }
    if !same_error(ours.last.error.as_deref(), client.error.as_deref()) {
        let show = |e: &Option<String>| e.clone().unwrap_or_else(|| "none".into());
        out.push(("error", show(&ours.last.error), show(&client.error)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revert_is_not_an_error_and_names_do_not_matter() {
        let mut step = ClientStep {
            op: REVERT,
            error: Some("Revert".into()),
            ..ClientStep::default()
        };
        normalise_step(&mut step);
        assert_eq!(step.error, None);
        step.error = Some("OutOfGasError".into());
        normalise_step(&mut step);
        assert!(step.error.is_some());
        assert!(same_error(Some("MemoryOOG"), Some("OutOfGasError")));
        assert!(!same_error(None, Some("OutOfGasError")));
    }
}
