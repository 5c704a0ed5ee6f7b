//! `conformance fuzz-find`: how soon each fuzz target finds a planted bug, from an empty
//! corpus, under four builds (libFuzzer's comparison tracing on or off, the target's dictionary
//! or none), and each build's work per second; the table goes into `reports/fuzz.md` and
//! decides the build the other fuzzing commands use ([`DEFAULT_BUILD`]).
//!
//! The planted bugs are the named mutants: the op level's
//! ([`MUTANTS`](super::engines::MUTANTS), for `diff_ops` and `diff_small`, each run beside revm
//! and the model in place of ours) and the bytecode level's
//! ([`EVM_MUTANTS`](crate::revm::faults::EVM_MUTANTS), for `diff_evm`), chosen with
//! `EVM_MEMORY_ENGINES`. `memory_raw` and `c_api` drive our memory alone against its
//! invariants and take no engine: they are measured for work per second only.
//!
//! This module builds the command lines, reads their logs and writes the report; the
//! `conformance` binary runs them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::fuzz_command::FuzzCommand;
use super::text::thousands;

/// One of the four builds compared: comparison tracing (libFuzzer's `trace-cmp`
/// instrumentation, on unless built with `cargo fuzz build --no-trace-compares`) and the
/// target's dictionary (`-dict=fuzz/dicts/<target>.dict` at run time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FindBuild {
    /// Built with comparison tracing (cargo fuzz's default).
    pub trace_compares: bool,
    /// Run with the target's dictionary.
    pub dict: bool,
}

/// The four builds, in the report's order.
pub const FIND_BUILDS: [FindBuild; 4] = [
    FindBuild {
        trace_compares: true,
        dict: false,
    },
    FindBuild {
        trace_compares: true,
        dict: true,
    },
    FindBuild {
        trace_compares: false,
        dict: false,
    },
    FindBuild {
        trace_compares: false,
        dict: true,
    },
];

/// The build `conformance fuzz-rate`, `conformance fuzz-cores`, the README's fuzzing section
/// and `.clusterfuzzlite/build.sh` use: the one that found the planted bugs soonest in
/// `reports/fuzz.md` (comparison tracing off, with the dictionary: twice the work per second,
/// and no bug found later than with tracing on).
pub const DEFAULT_BUILD: FindBuild = FindBuild {
    trace_compares: false,
    dict: true,
};

impl FindBuild {
    /// What the report calls it.
    pub const fn label(self) -> &'static str {
        match (self.trace_compares, self.dict) {
            (true, false) => "trace-cmp",
            (true, true) => "trace-cmp + dict",
            (false, false) => "no trace-cmp",
            (false, true) => "no trace-cmp + dict",
        }
    }

    /// The cargo target directory of its build under `fuzz_dir`: cargo fuzz's own for the
    /// default instrumentation, a separate one without comparison tracing (so that switching
    /// between them does not rebuild).
    pub fn target_dir(self, fuzz_dir: &Path) -> PathBuf {
        if self.trace_compares {
            fuzz_dir.join("target")
        } else {
            fuzz_dir.join("target").join("no-trace-compares")
        }
    }

    /// `cargo fuzz build -s none` for this build (as `fuzz-rate` builds) (the dictionary is a run-time option, so
    /// the two builds with and without it are one).
    pub fn build_command(self, fuzz_dir: &Path) -> FuzzCommand {
        let mut args: Vec<String> = ["fuzz", "build", "-s", "none"].map(String::from).to_vec();
        if !self.trace_compares {
            args.push("--no-trace-compares".into());
            args.push("--target-dir".into());
            args.push(self.target_dir(fuzz_dir).to_string_lossy().into_owned());
        }
        args.push("--fuzz-dir".into());
        args.push(fuzz_dir.to_string_lossy().into_owned());
        FuzzCommand {
            program: "cargo".into(),
            args,
        }
    }

    /// The built binary of `target`, if there is one (`<target dir>/<triple>/release/`).
    pub fn binary(self, fuzz_dir: &Path, target: &str) -> Option<PathBuf> {
        let dir = std::fs::read_dir(self.target_dir(fuzz_dir)).ok()?;
        let mut found: Vec<PathBuf> = dir
            .flatten()
            .map(|e| e.path().join("release").join(target))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.into_iter().next()
    }
}

/// The mutants a target is measured against (engine names, `mutant:NAME`), or why none.
pub fn mutants_for(target: &str) -> Result<Vec<String>, &'static str> {
    let op_level = |skip: &[&str]| {
        super::engines::MUTANTS
            .iter()
            .filter(|(n, _)| !skip.contains(n))
            .map(|(n, _)| format!("mutant:{n}"))
            .collect()
    };
    match target {
        "diff_ops" => Ok(op_level(&[])),
        // Its frames stay under 2 KiB: the 32-bit wrap from 2 MiB up is out of its reach.
        "diff_small" => Ok(op_level(&["gas-u32"])),
        "diff_evm" => Ok(crate::revm::faults::EVM_MUTANTS
            .iter()
            .map(|(n, _)| format!("mutant:{n}"))
            .collect()),
        "memory_raw" | "c_api" => {
            Err("our memory alone against its invariants: it takes no engine to plant a bug in")
        }
        _ => Err("not a target this measurement knows"),
    }
}

/// The engine selection a hunt for `mutant` in `target` runs with: the mutant in place of
/// ours, beside revm and the model (op level); the mutant alone (bytecode level, where it is a
/// fault of `MemoryEvm`, compared with stock revm as always).
pub fn hunt_selection(target: &str, mutant: &str) -> String {
    if target == "diff_evm" {
        mutant.to_string()
    } else {
        format!("{mutant},revm,model")
    }
}

/// The libFuzzer arguments of a run of a built target: its corpus directory (fresh for a hunt),
/// seed directories (read only), the seed, the time, and the dictionary when the build uses
/// one.
pub fn run_args(
    corpus: &Path,
    seeds: &[PathBuf],
    seed: u64,
    seconds: u64,
    artifacts: &Path,
    dict: Option<&Path>,
) -> Vec<String> {
    let mut args = vec![corpus.to_string_lossy().into_owned()];
    args.extend(seeds.iter().map(|s| s.to_string_lossy().into_owned()));
    args.extend([
        format!("-seed={seed}"),
        format!("-max_total_time={seconds}"),
        "-timeout=60".into(),
        "-rss_limit_mb=4096".into(),
        "-print_final_stats=1".into(),
        format!("-artifact_prefix={}/", artifacts.to_string_lossy()),
    ]);
    if let Some(dict) = dict {
        args.push(format!("-dict={}", dict.to_string_lossy()));
    }
    args
}

/// How one hunt ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum HuntEnd {
    /// The mutant was named in a divergence after `seconds` and `executions`.
    Found {
        /// Wall time from the start of the process to its exit.
        seconds: f64,
        /// Inputs run (libFuzzer's count).
        executions: u64,
    },
    /// Not found within the time (`executions` inputs run).
    NotFound {
        /// Inputs run.
        executions: u64,
    },
    /// The process crashed without naming the mutant (a finding of its own, shown in full).
    Other(String),
}

/// One hunt: a target, a mutant, a build and a seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hunt {
    /// The fuzz target.
    pub target: String,
    /// The mutant's engine name.
    pub mutant: String,
    /// The build.
    pub build: FindBuild,
    /// libFuzzer's seed.
    pub seed: u64,
    /// How it ended.
    pub end: HuntEnd,
}

/// Inputs run, from a libFuzzer log: its final statistics, or else the last `#N` status line.
pub fn executions(log: &str) -> u64 {
    let stat = log.lines().find_map(|l| {
        l.trim()
            .strip_prefix("stat::number_of_executed_units:")
            .and_then(|r| r.trim().parse().ok())
    });
    stat.unwrap_or_else(|| {
        log.lines()
            .rev()
            .filter_map(|l| l.strip_prefix('#'))
            .find_map(|r| r.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    })
}

/// How a hunt for `mutant` ended, from whether its process succeeded, its log and its wall
/// time.
pub fn hunt_end(success: bool, log: &str, mutant: &str, seconds: f64) -> HuntEnd {
    let executions = executions(log);
    if success {
        return HuntEnd::NotFound { executions };
    }
    let named = log.lines().any(|l| {
        (l.contains("DIVERGENCE") || l.contains("odd one out") || l.contains("suspect"))
            && l.contains(mutant)
    }) || (mutant_is_evm(mutant) && log.lines().any(|l| l.starts_with("DIVERGENCE ")));
    if named {
        HuntEnd::Found {
            seconds,
            executions,
        }
    } else {
        let lines: Vec<&str> = log.lines().collect();
        HuntEnd::Other(lines[lines.len().saturating_sub(30)..].join("\n"))
    }
}

/// Whether `mutant` is a bytecode-level one.
fn mutant_is_evm(mutant: &str) -> bool {
    mutant.strip_prefix("mutant:").is_some_and(|m| {
        crate::revm::faults::EVM_MUTANTS
            .iter()
            .any(|(n, _)| *n == m)
    })
}

/// One target's work per second under one build, fuzzing from its committed corpus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkRate {
    /// The fuzz target.
    pub target: String,
    /// The build.
    pub build: FindBuild,
    /// Inputs per second (libFuzzer's `stat::average_exec_per_sec`).
    pub exec_per_sec: Option<u64>,
    /// Ops or instructions compared per second, as the target printed it at exit, and the
    /// unit (`ops` or `instructions`).
    pub work_per_sec: Option<(u64, String)>,
}

/// The work per second a target printed at exit (`work: … N ops compared/s over …`), with
/// its unit.
pub fn parse_work(log: &str) -> Option<(u64, &'static str)> {
    let line = log.lines().rev().find(|l| l.trim().starts_with("work: "))?;
    for unit in ["ops", "instructions"] {
        let marker = format!(" {unit} compared/s");
        if let Some(before) = line
            .split(&marker)
            .next()
            .filter(|_| line.contains(&marker))
        {
            let number = before.rsplit(' ').next()?.replace(',', "");
            return Some((number.parse().ok()?, unit));
        }
    }
    None
}

/// What a measurement knew of its conditions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindConditions {
    /// Time limit of a hunt, seconds.
    pub seconds: u64,
    /// Seeds per cell.
    pub seeds: Vec<u64>,
    /// Seconds of each work-rate run.
    pub rate_seconds: u64,
    /// Hunts run at once.
    pub jobs: usize,
    /// Cores available.
    pub cores: usize,
    /// `/proc/loadavg` before and after.
    pub load: (String, String),
}

/// A cell's figure: the median seconds to the mutant over the seeds (the lower middle one; a
/// hunt that did not find it counts as infinite), and how many seeds found it.
fn cell_seconds(hunts: &[&Hunt]) -> (f64, usize) {
    let mut secs: Vec<f64> = hunts
        .iter()
        .map(|h| match h.end {
            HuntEnd::Found { seconds, .. } => seconds,
            _ => f64::INFINITY,
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    let found = secs.iter().filter(|s| s.is_finite()).count();
    let median = secs
        .get((secs.len().max(1) - 1) / 2)
        .copied()
        .unwrap_or(f64::INFINITY);
    (median, found)
}

/// The build that found the mutants soonest: the fewest hunts not found, then the smallest
/// sum over every (target, mutant) of the median seconds (not found counts twice the limit).
pub fn best_build(hunts: &[Hunt], limit: u64) -> Option<FindBuild> {
    let cells = cells(hunts);
    FIND_BUILDS
        .iter()
        .copied()
        .filter(|b| hunts.iter().any(|h| h.build == *b))
        .min_by(|a, b| score(&cells, hunts, *a, limit).total_cmp(&score(&cells, hunts, *b, limit)))
}

fn score(cells: &[(String, String)], hunts: &[Hunt], build: FindBuild, limit: u64) -> f64 {
    let mut missed = 0usize;
    let mut total = 0.0;
    for (target, mutant) in cells {
        let these: Vec<&Hunt> = hunts
            .iter()
            .filter(|h| h.build == build && &h.target == target && &h.mutant == mutant)
            .collect();
        let (secs, found) = cell_seconds(&these);
        missed += these.len() - found;
        total += secs.min(limit as f64 * 2.0);
    }
    missed as f64 * 1e9 + total
}

/// The (target, mutant) pairs measured, in first-seen order.
fn cells(hunts: &[Hunt]) -> Vec<(String, String)> {
    let mut cells: Vec<(String, String)> = Vec::new();
    for h in hunts {
        let cell = (h.target.clone(), h.mutant.clone());
        if !cells.contains(&cell) {
            cells.push(cell);
        }
    }
    cells
}

/// Everything a `fuzz-find` run measured, as `reports/fuzz-find.json` keeps it (so that the
/// section can be written again without measuring: `conformance fuzz-find --render`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FindResults {
    /// The conditions.
    pub conditions: FindConditions,
    /// Every hunt.
    pub hunts: Vec<Hunt>,
    /// Every work-per-second run.
    pub rates: Vec<WorkRate>,
}

/// The heading of the section [`find_markdown`] writes into `reports/fuzz.md`.
pub const FIND_HEADING: &str = "## Time to the first divergence: four builds";

/// The section of `reports/fuzz.md` for `hunts` and `rates`.
pub fn find_markdown(hunts: &[Hunt], rates: &[WorkRate], c: &FindConditions) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{FIND_HEADING}\n");
    let seeds: Vec<String> = c.seeds.iter().map(u64::to_string).collect();
    let _ = writeln!(
        s,
        "Written by `cargo run --release --features harness --bin conformance -- fuzz-find`: \
         each fuzz target hunts each planted bug (a named mutant of ours, chosen with \
         `EVM_MEMORY_ENGINES`: `mutant:NAME,revm,model` at the op level, `mutant:NAME` for \
         `diff_evm`) from an empty corpus, under each of four builds: comparison tracing on \
         (cargo fuzz's default) or off (`--no-trace-compares`), and with or without the \
         target's dictionary (`fuzz/dicts/<target>.dict`). Each cell is the median over \
         libFuzzer seeds {} of the wall time until the target named the mutant in a \
         divergence (\"—\" when fewer than half found it within {} s), with the inputs run \
         (median) and how many seeds found it. {} hunts ran at a time on {} cores (load \
         average before {}, after {}): the times are comparable within this table, the inputs \
         run are not affected by load.\n",
        seeds.join(", "),
        c.seconds,
        c.jobs,
        c.cores,
        c.load.0,
        c.load.1
    );
    let _ = write!(s, "| target | mutant |");
    for b in FIND_BUILDS {
        let _ = write!(s, " {} |", b.label());
    }
    let _ = writeln!(s, "\n|---|---|---:|---:|---:|---:|");
    for (target, mutant) in cells(hunts) {
        let _ = write!(s, "| `{target}` | `{mutant}` |");
        for b in FIND_BUILDS {
            let these: Vec<&Hunt> = hunts
                .iter()
                .filter(|h| h.build == b && h.target == target && h.mutant == mutant)
                .collect();
            if these.is_empty() {
                let _ = write!(s, " |");
                continue;
            }
            let (secs, found) = cell_seconds(&these);
            let mut execs: Vec<u64> = these
                .iter()
                .map(|h| match h.end {
                    HuntEnd::Found { executions, .. } => executions,
                    _ => u64::MAX,
                })
                .collect();
            execs.sort_unstable();
            let median_execs = execs[(execs.len() - 1) / 2];
            if secs.is_finite() {
                let _ = write!(
                    s,
                    " {secs:.1} s, {} inputs ({found}/{}) |",
                    thousands(median_execs),
                    these.len()
                );
            } else {
                let _ = write!(s, " — ({found}/{}) |", these.len());
            }
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);
    let others: Vec<&Hunt> = hunts
        .iter()
        .filter(|h| matches!(h.end, HuntEnd::Other(_)))
        .collect();
    if others.is_empty() {
        let _ = writeln!(
            s,
            "Every hunt that crashed named its mutant (no other crash).\n"
        );
    } else {
        let _ = writeln!(
            s,
            "Crashes that did not name the mutant (findings of their own):\n"
        );
        for h in others {
            if let HuntEnd::Other(tail) = &h.end {
                let _ = writeln!(
                    s,
                    "- `{}` / `{}` / {} / seed {}:\n\n```text\n{tail}\n```\n",
                    h.target,
                    h.mutant,
                    h.build.label(),
                    h.seed
                );
            }
        }
    }
    let not_measured: Vec<String> = ["memory_raw", "c_api"]
        .iter()
        .filter_map(|t| mutants_for(t).err().map(|why| format!("`{t}` ({why})")))
        .collect();
    let _ = writeln!(
        s,
        "Not hunted: {}; `diff_small` does not hunt `mutant:gas-u32` (its frames stay under 2 KiB, \
         the wrap starts at 2 MiB).\n",
        not_measured.join(", ")
    );
    if !rates.is_empty() {
        let _ = writeln!(
            s,
            "Work per second of each build, each target fuzzing {} s from its committed corpus \
             with its default engines (inputs per second, and ops or instructions compared per \
             second as the target counts them; an input's cost is what it runs):\n",
            c.rate_seconds
        );
        let _ = write!(s, "| target |");
        for b in FIND_BUILDS {
            let _ = write!(s, " {} |", b.label());
        }
        let _ = writeln!(s, "\n|---|---:|---:|---:|---:|");
        let mut targets: Vec<&str> = Vec::new();
        for r in rates {
            if !targets.contains(&r.target.as_str()) {
                targets.push(&r.target);
            }
        }
        for t in targets {
            let _ = write!(s, "| `{t}` |");
            for b in FIND_BUILDS {
                let cell = rates.iter().find(|r| r.target == t && r.build == b);
                let text = match cell {
                    Some(r) => {
                        let exec = r.exec_per_sec.map_or("—".into(), thousands);
                        match &r.work_per_sec {
                            Some((w, unit)) => format!("{exec} exec/s, {} {unit}/s", thousands(*w)),
                            None => format!("{exec} exec/s"),
                        }
                    }
                    None => String::new(),
                };
                let _ = write!(s, " {text} |");
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s);
    }
    if let Some(best) = best_build(hunts, c.seconds) {
        let _ = writeln!(
            s,
            "Soonest over all hunts (fewest not found, then the smallest sum of medians): \
             **{}**. The default build of `conformance fuzz-rate`, the README's fuzzing commands \
             and `.clusterfuzzlite/build.sh` is **{}**{}.\n",
            best.label(),
            DEFAULT_BUILD.label(),
            if best == DEFAULT_BUILD {
                ""
            } else {
                " (this run disagrees: see the table before changing it)"
            }
        );
    }
    s
}

/// `text` (a `reports/fuzz.md`) with its [`FIND_HEADING`] section replaced by `section` (or
/// `section` appended when it has none); the section runs to the next `## ` heading.
pub fn replace_find_section(text: &str, section: &str) -> String {
    let Some(start) = text.find(FIND_HEADING) else {
        let mut out = text.trim_end().to_string();
        out.push_str("\n\n");
        out.push_str(section);
        return out;
    };
    let rest = &text[start + FIND_HEADING.len()..];
    let end = rest
        .find("\n## ")
        .map_or(text.len(), |i| start + FIND_HEADING.len() + i + 1);
    let mut out = text[..start].to_string();
    out.push_str(section);
    out.push_str(&text[end..]);
    out
}

/// The [`FIND_HEADING`] section of a `reports/fuzz.md`, if it has one (what `fuzz-rate`
/// carries over when it rewrites the file).
pub fn find_section(text: &str) -> Option<&str> {
    let start = text.find(FIND_HEADING)?;
    let rest = &text[start + FIND_HEADING.len()..];
    let end = rest
        .find("\n## ")
        .map_or(text.len(), |i| start + FIND_HEADING.len() + i + 1);
    Some(&text[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_read() {
        let log = "#1024 pulse\n#2048 NEW cov: 1\n==1== ERROR: libFuzzer: deadly signal\n";
        assert_eq!(executions(log), 2048);
        assert_eq!(executions("stat::number_of_executed_units: 77\n#5 x"), 77);
        let work = "diff_ops statistics: 3 inputs\n  work: 1,000 inputs/s (exec/s), 25,000 ops compared/s over 1.0 s\n";
        assert_eq!(parse_work(work), Some((25_000, "ops")));
        let end = hunt_end(
            false,
            "DIVERGENCE at op #1\nodd one out: mutant:gas-u32\n#9 x",
            "mutant:gas-u32",
            1.5,
        );
        assert_eq!(
            end,
            HuntEnd::Found {
                seconds: 1.5,
                executions: 9
            }
        );
        assert!(matches!(
            hunt_end(false, "panicked: other", "mutant:gas-u32", 1.0),
            HuntEnd::Other(_)
        ));
        assert_eq!(
            hunt_end(true, "#3 done", "mutant:gas-u32", 9.0),
            HuntEnd::NotFound { executions: 3 }
        );
    }

    #[test]
    fn sections_are_replaced_in_place() {
        let text = format!("# T\n\n## A\na\n\n{FIND_HEADING}\n\nold\n\n## B\nb\n");
        let out = replace_find_section(&text, &format!("{FIND_HEADING}\n\nnew\n\n"));
        assert_eq!(
            out,
            format!("# T\n\n## A\na\n\n{FIND_HEADING}\n\nnew\n\n## B\nb\n")
        );
        assert_eq!(
            find_section(&out),
            Some(format!("{FIND_HEADING}\n\nnew\n\n").as_str())
        );
        let appended = replace_find_section("# T\n", "S\n");
        assert_eq!(appended, "# T\n\nS\n");
    }

    #[test]
    fn every_differential_target_has_mutants() {
        for t in ["diff_ops", "diff_small", "diff_evm"] {
            assert!(!mutants_for(t).unwrap().is_empty(), "{t}");
        }
        assert!(mutants_for("memory_raw").is_err());
        assert_eq!(
            hunt_selection("diff_ops", "mutant:x"),
            "mutant:x,revm,model"
        );
    }
}
