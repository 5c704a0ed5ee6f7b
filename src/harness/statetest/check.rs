//! The two checks of a case: one engine's run against the file ([`check_against_file`]), and
//! two engines' runs against each other ([`compare_runs`]). Each returns what differed as
//! [`Mismatch`]es, empty when all is well.

use std::collections::BTreeSet;

use revm_context_interface::result::{ExecutionResult, HaltReason};
use revm_primitives::{Bytes, Log};
use revm_statetest_types::Test;
use serde::Serialize;

use super::engine::EngineRun;
use super::roots::PostAccount;

/// Account differences listed in full when two post-states differ (all are counted).
const MAX_ACCOUNT_MISMATCHES: usize = 16;

/// Bytes shown of an output or a log's data before it is cut short.
const MAX_SHOWN_BYTES: usize = 96;

/// One thing that differed.
///
/// Against the file, `expected` is the file's value and `got` the engine's; between engines,
/// `expected` is the reference engine's (the first one run) and `got` the other's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// What differed (`state root`, `gas used`, `storage of 0x…`, …).
    pub what: String,
    /// The expected (or reference) value.
    pub expected: String,
    /// The value found.
    pub got: String,
}

impl Mismatch {
    fn new(what: impl Into<String>, expected: impl Into<String>, got: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            expected: expected.into(),
            got: got.into(),
        }
    }
}

/// `0x…` hex of `bytes`, cut after 96 bytes with the full length stated.
pub fn short_hex(bytes: &[u8]) -> String {
    let shown: String = bytes
        .iter()
        .take(MAX_SHOWN_BYTES)
        .map(|b| format!("{b:02x}"))
        .collect();
    if bytes.len() > MAX_SHOWN_BYTES {
        format!("0x{shown}… ({} bytes)", bytes.len())
    } else {
        format!("0x{shown}")
    }
}

/// The outcome of a run in a few words: `success (Stop)`, `revert`, `halt (OutOfGas(Basic))`
/// or `error: …` for a rejected transaction.
pub fn status(result: &Result<ExecutionResult<HaltReason>, String>) -> String {
    match result {
        Ok(ExecutionResult::Success { reason, .. }) => format!("success ({reason:?})"),
        Ok(ExecutionResult::Revert { .. }) => "revert".to_string(),
        Ok(ExecutionResult::Halt { reason, .. }) => format!("halt ({reason:?})"),
        Err(error) => format!("error: {error}"),
    }
}

/// Checks `run` against the file's post entry `test` and the unit's expected output `out`, in
/// the order revm's runner does:
///
/// 1. an exception the file expects must be an error of the run (and then nothing else is
///    checked), and a run the file expects to succeed must not be an error;
/// 2. the output, when the file gives one and the run has one;
/// 3. the logs hash;
/// 4. the post-state root.
pub fn check_against_file(test: &Test, out: Option<&Bytes>, run: &EngineRun) -> Vec<Mismatch> {
    match (&test.expect_exception, &run.result) {
        (Some(_), Err(_)) => return Vec::new(),
        (None, Ok(_)) => {}
        (expected, _) => {
            let expected = match expected {
                Some(exception) => format!("exception {exception}"),
                None => "no exception".to_string(),
            };
            return vec![Mismatch::new("exception", expected, status(&run.result))];
        }
    }
    let mut mismatches = Vec::new();
    if let (Some(expected), Ok(result)) = (out, &run.result) {
        if let Some(got) = result.output() {
            if expected != got {
                mismatches.push(Mismatch::new("output", short_hex(expected), short_hex(got)));
            }
        }
    }
    if run.logs_root != test.logs {
        mismatches.push(Mismatch::new(
            "logs hash",
            test.logs.to_string(),
            run.logs_root.to_string(),
        ));
    }
    if run.state_root != test.hash {
        mismatches.push(Mismatch::new(
            "state root",
            test.hash.to_string(),
            run.state_root.to_string(),
        ));
    }
    mismatches
}

fn push_if_differs(out: &mut Vec<Mismatch>, what: &str, a: String, b: String) {
    if a != b {
        out.push(Mismatch::new(what, a, b));
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn log_text(log: &Log) -> String {
    let topics: Vec<String> = log.topics().iter().map(|t| t.to_string()).collect();
    format!(
        "address {}, topics [{}], data {}",
        log.address,
        topics.join(", "),
        short_hex(&log.data.data)
    )
}

/// Compares two engines' runs of one case: status (success reason, halt reason, error), created
/// address, gas used, gas spent before the refund, gas refunded, the rest of the gas accounting,
/// output, logs, logs hash, state root and, when the roots differ, the accounts that differ.
pub fn compare_runs(reference: &EngineRun, other: &EngineRun) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let (a, b) = (reference.result.as_ref().ok(), other.result.as_ref().ok());
    push_if_differs(
        &mut out,
        "status",
        status(&reference.result),
        status(&other.result),
    );
    push_if_differs(
        &mut out,
        "created address",
        opt(a.and_then(ExecutionResult::created_address)),
        opt(b.and_then(ExecutionResult::created_address)),
    );
    let (gas_a, gas_b) = (a.map(ExecutionResult::gas), b.map(ExecutionResult::gas));
    push_if_differs(
        &mut out,
        "gas used",
        opt(gas_a.map(|g| g.tx_gas_used())),
        opt(gas_b.map(|g| g.tx_gas_used())),
    );
    push_if_differs(
        &mut out,
        "gas spent before refund",
        opt(gas_a.map(|g| g.total_gas_spent())),
        opt(gas_b.map(|g| g.total_gas_spent())),
    );
    push_if_differs(
        &mut out,
        "gas refunded",
        opt(gas_a.map(|g| g.inner_refunded())),
        opt(gas_b.map(|g| g.inner_refunded())),
    );
    if out.iter().all(|m| !m.what.starts_with("gas")) && gas_a != gas_b {
        push_if_differs(
            &mut out,
            "gas accounting",
            format!("{gas_a:?}"),
            format!("{gas_b:?}"),
        );
    }
    push_if_differs(
        &mut out,
        "output",
        opt(a.and_then(ExecutionResult::output).map(|o| short_hex(o))),
        opt(b.and_then(ExecutionResult::output).map(|o| short_hex(o))),
    );
    let (logs_a, logs_b) = (
        a.map(ExecutionResult::logs).unwrap_or_default(),
        b.map(ExecutionResult::logs).unwrap_or_default(),
    );
    if logs_a.len() != logs_b.len() {
        out.push(Mismatch::new(
            "log count",
            logs_a.len().to_string(),
            logs_b.len().to_string(),
        ));
    } else if let Some(i) = (0..logs_a.len()).find(|&i| logs_a[i] != logs_b[i]) {
        out.push(Mismatch::new(
            format!("log #{i}"),
            log_text(&logs_a[i]),
            log_text(&logs_b[i]),
        ));
    }
    push_if_differs(
        &mut out,
        "logs hash",
        reference.logs_root.to_string(),
        other.logs_root.to_string(),
    );
    if reference.state_root != other.state_root {
        out.push(Mismatch::new(
            "state root",
            reference.state_root.to_string(),
            other.state_root.to_string(),
        ));
        out.extend(account_mismatches(reference, other));
    }
    out
}

fn account_text(account: Option<&PostAccount>) -> String {
    match account {
        None => "absent".to_string(),
        Some(a) => format!(
            "nonce {}, balance {}, code hash {}, {} storage slot(s)",
            a.nonce,
            a.balance,
            a.code_hash,
            a.storage.len()
        ),
    }
}

/// Where two post-states differ, account by account and slot by slot (a zero slot is absent).
fn account_mismatches(reference: &EngineRun, other: &EngineRun) -> Vec<Mismatch> {
    let addresses: BTreeSet<_> = reference
        .accounts
        .keys()
        .chain(other.accounts.keys())
        .collect();
    let mut found = Vec::new();
    for address in addresses {
        let (a, b) = (reference.accounts.get(address), other.accounts.get(address));
        let (Some(x), Some(y)) = (a, b) else {
            found.push(Mismatch::new(
                format!("account {address}"),
                account_text(a),
                account_text(b),
            ));
            continue;
        };
        let fields = [
            ("nonce", x.nonce.to_string(), y.nonce.to_string()),
            ("balance", x.balance.to_string(), y.balance.to_string()),
            (
                "code hash",
                x.code_hash.to_string(),
                y.code_hash.to_string(),
            ),
        ];
        for (what, p, q) in fields {
            if p != q {
                found.push(Mismatch::new(format!("{what} of {address}"), p, q));
            }
        }
        let slots: BTreeSet<_> = x.storage.keys().chain(y.storage.keys()).collect();
        for slot in slots {
            let (p, q) = (x.storage.get(slot), y.storage.get(slot));
            if p != q {
                found.push(Mismatch::new(
                    format!("storage of {address} at slot {slot:#x}"),
                    format!("{:#x}", p.copied().unwrap_or_default()),
                    format!("{:#x}", q.copied().unwrap_or_default()),
                ));
            }
        }
    }
    if found.len() > MAX_ACCOUNT_MISMATCHES {
        let more = found.len() - MAX_ACCOUNT_MISMATCHES;
        found.truncate(MAX_ACCOUNT_MISMATCHES);
        found.push(Mismatch::new(
            "further account differences",
            "-",
            format!("{more} more"),
        ));
    }
    found
}
