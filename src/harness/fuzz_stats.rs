//! What a fuzz target ran, kept across inputs and printed to standard error when the process
//! exits: inputs, ops (or instructions), the outcomes hit, how deep the calls went, and the
//! inputs that ended without a verdict. libFuzzer's own statistics say how fast a target runs
//! and how much coverage it has; these say whether it is reaching what it is meant to test
//! (a target that never reaches call depth 1,024 shows it here after every run).
//!
//! The fuzz entry points of [`harness`](super) record every input; the first record registers
//! the report with the C library's `atexit`, which libFuzzer's exit (at `-runs`,
//! `-max_total_time`, or a crash) runs. [`render`] is the report, for tests and other callers.

use std::fmt::Write as _;
use std::sync::{Mutex, Once};

use super::evm::Agreement;
use super::ops::observation::Outcome;
use super::ops::oracle::RunStats;
use super::text::thousands;

/// Upper bounds (inclusive) of the call-depth classes the report counts inputs in; the last
/// class is call depth 1,024, the EVM's limit.
const DEPTH_CLASSES: [(usize, &str); 5] = [
    (0, "0"),
    (9, "1-9"),
    (99, "10-99"),
    (1023, "100-1,023"),
    (usize::MAX, "1,024"),
];

/// A fuzz target's statistics since the process started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuzzStats {
    /// The fuzz target.
    pub target: &'static str,
    /// Inputs run.
    pub inputs: u64,
    /// Ops (op-model targets) or instructions (`diff_evm`) compared.
    pub ops: u64,
    /// How many ops ended each way (op-model targets: by [`Outcome`]; `diff_evm`: how each
    /// transaction ended), in first-seen order.
    pub outcomes: Vec<(&'static str, u64)>,
    /// Inputs by the deepest call depth they reached: 0, 1–9, 10–99, 100–1,023, 1,024.
    pub depths: [u64; DEPTH_CLASSES.len()],
    /// The deepest call depth reached.
    pub max_depth: usize,
    /// The largest frame memory reached, in bytes.
    pub max_frame: usize,
    /// Inputs that ended without a verdict ([`RunStats::not_comparable`]).
    pub not_comparable: u64,
    /// Of those, the ones an engine failed (another process that did not start, exited,
    /// timed out or replied nonsense), by `engine: reason`.
    pub engine_failures: Vec<(String, u64)>,
    /// When the first input was recorded (for the rates at exit).
    pub started: Option<std::time::Instant>,
}

impl FuzzStats {
    fn count(&mut self, label: &'static str, n: u64) {
        match self.outcomes.iter_mut().find(|(l, _)| *l == label) {
            Some((_, c)) => *c += n,
            None => self.outcomes.push((label, n)),
        }
    }

    fn depth(&mut self, depth: usize) {
        self.max_depth = self.max_depth.max(depth);
        let class = DEPTH_CLASSES
            .iter()
            .position(|&(max, _)| depth <= max)
            .unwrap_or(DEPTH_CLASSES.len() - 1);
        self.depths[class] += 1;
    }

    /// Adds one op-model input's run.
    pub fn add_case(&mut self, stats: &RunStats) {
        self.inputs += 1;
        self.ops += stats.ops;
        for (outcome, &n) in &stats.outcomes {
            self.count(outcome_label(*outcome), n);
        }
        self.depth(stats.max_depth);
        self.max_frame = self.max_frame.max(stats.max_frame_size);
        self.not_comparable += stats.not_comparable;
        for ((engine, reason), &n) in &stats.engine_failures {
            let key = format!("{engine}: {reason}");
            match self.engine_failures.iter_mut().find(|(k, _)| *k == key) {
                Some((_, c)) => *c += n,
                None => self.engine_failures.push((key, n)),
            }
        }
    }

    /// Adds one `diff_evm` program's run.
    pub fn add_program(&mut self, agreement: &Agreement) {
        self.inputs += 1;
        self.ops += agreement.steps as u64;
        let label = if agreement.over_budget {
            "over the work budget"
        } else if agreement.success {
            "transaction succeeded"
        } else {
            "transaction failed"
        };
        self.count(label, 1);
        self.depth(agreement.max_depth as usize);
        self.max_frame = self.max_frame.max(agreement.max_memory as usize);
    }
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "Ok",
        Outcome::OutOfGas => "OutOfGas",
        Outcome::Limit => "Limit",
        Outcome::InvalidOperand => "InvalidOperand",
        Outcome::ReturnDataOutOfBounds => "ReturnDataOutOfBounds",
        Outcome::OutOfMemory => "OutOfMemory",
        Outcome::CallDepth => "CallDepth",
        Outcome::Returned => "Returned",
        Outcome::Reverted => "Reverted",
        Outcome::Halted => "Halted",
        Outcome::EngineError => "EngineError",
        Outcome::Runaway => "Runaway",
    }
}

/// The report printed at exit.
pub fn render(s: &FuzzStats) -> String {
    let mut out = String::new();
    let unit = if s.target == "diff_evm" {
        "instructions"
    } else {
        "ops"
    };
    let _ = writeln!(
        out,
        "{} statistics: {} inputs, {} {unit} compared, deepest call depth {}, largest frame {} \
         bytes, {} inputs without a verdict (an allocation failed)",
        s.target,
        thousands(s.inputs),
        thousands(s.ops),
        s.max_depth,
        thousands(s.max_frame as u64),
        thousands(s.not_comparable),
    );
    let depths: Vec<String> = DEPTH_CLASSES
        .iter()
        .zip(s.depths)
        .map(|((_, label), n)| format!("{label}: {}", thousands(n)))
        .collect();
    let _ = writeln!(out, "  inputs by deepest call depth: {}", depths.join(", "));
    let outcomes: Vec<String> = s
        .outcomes
        .iter()
        .map(|(label, n)| format!("{label} {}", thousands(*n)))
        .collect();
    let _ = writeln!(out, "  outcomes: {}", outcomes.join(", "));
    for (what, n) in &s.engine_failures {
        let _ = writeln!(out, "  engine failed ({what}): {} inputs", thousands(*n));
    }
    if let Some(started) = s.started {
        let secs = started.elapsed().as_secs_f64();
        if secs > 0.0 {
            let _ = writeln!(
                out,
                "  work: {} inputs/s (exec/s), {} {unit} compared/s over {secs:.1} s",
                thousands((s.inputs as f64 / secs) as u64),
                thousands((s.ops as f64 / secs) as u64),
            );
        }
    }
    out
}

static STATS: Mutex<Option<FuzzStats>> = Mutex::new(None);
static REGISTER: Once = Once::new();

/// Runs `f` on the process's statistics for `target`, registering the exit report first.
fn with_stats(target: &'static str, f: impl FnOnce(&mut FuzzStats)) {
    REGISTER.call_once(register_exit_report);
    // A panic while the lock is held cannot leave the counters inconsistent in a way that
    // matters for a report: use them as they are.
    let mut guard = STATS.lock().unwrap_or_else(|e| e.into_inner());
    let stats = guard.get_or_insert_with(|| FuzzStats {
        target,
        started: Some(std::time::Instant::now()),
        ..FuzzStats::default()
    });
    f(stats);
}

/// Records one op-model input of `target`.
pub fn record_case(target: &'static str, stats: &RunStats) {
    with_stats(target, |s| s.add_case(stats));
}

/// Records one `diff_evm` program.
pub fn record_program(agreement: &Agreement) {
    with_stats("diff_evm", |s| s.add_program(agreement));
}

/// The statistics so far (`None` before the first record).
pub fn snapshot() -> Option<FuzzStats> {
    STATS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

extern "C" fn print_at_exit() {
    // Nothing may unwind out of an `atexit` callback.
    let _ = std::panic::catch_unwind(|| {
        if let Some(stats) = snapshot() {
            eprint!("{}", render(&stats));
        }
    });
}

#[cfg(unix)]
fn register_exit_report() {
    extern "C" {
        fn atexit(callback: extern "C" fn()) -> core::ffi::c_int;
    }
    // SAFETY: `atexit` is the C standard library's; it is handed a function that takes no
    // arguments, touches only this module's statics (which live for the whole process) and
    // never unwinds, as an exit handler must.
    unsafe {
        atexit(print_at_exit);
    }
}

#[cfg(not(unix))]
fn register_exit_report() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_counts_inputs_by_depth_and_outcome() {
        let mut s = FuzzStats {
            target: "diff_ops",
            ..FuzzStats::default()
        };
        let mut run = RunStats {
            ops: 3,
            max_depth: 1024,
            max_frame_size: 64,
            ..RunStats::default()
        };
        run.outcomes.insert(Outcome::Ok, 2);
        run.outcomes.insert(Outcome::CallDepth, 1);
        s.add_case(&run);
        run.max_depth = 5;
        run.not_comparable = 1;
        s.add_case(&run);
        let text = render(&s);
        assert!(
            text.contains("2 inputs, 6 ops compared, deepest call depth 1024"),
            "{text}"
        );
        assert!(text.contains("1 inputs without a verdict"), "{text}");
        assert!(
            text.contains("0: 0, 1-9: 1, 10-99: 0, 100-1,023: 0, 1,024: 1"),
            "{text}"
        );
        assert!(text.contains("outcomes: Ok 4, CallDepth 2"), "{text}");
        s.started = Some(std::time::Instant::now() - std::time::Duration::from_secs(2));
        let text = render(&s);
        assert!(text.contains("ops compared/s over"), "{text}");
    }
}
