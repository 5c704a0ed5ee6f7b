//! The state-test report: counts per folder, skips with their reasons, failures with what
//! differed, the engines and the revm release; written as `statetests.json` and
//! `statetests.md`, and printed as a summary.
//!
//! The report is a function of the results alone (no timings, no absolute paths, everything in
//! file order), so a committed report changes only when results change.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::discover::TestFile;
use super::outcome::{Failure, FailureKind, FileOutcome, Skip};
use super::REVM_CRATES;
use crate::harness::json_diff::compare_reports;

/// The files [`StateTestReport::write`] writes, in order.
pub const REPORT_FILES: [&str; 2] = ["statetests.json", "statetests.md"];

/// Case counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Files found (skipped ones included).
    pub files: usize,
    /// Cases: `passed + failed + skipped`.
    pub cases: usize,
    /// Cases every engine passed, all engines agreeing.
    pub passed: usize,
    /// Cases with at least one failure.
    pub failed: usize,
    /// Cases not run.
    pub skipped: usize,
}

impl Counts {
    fn add(&mut self, outcome: &FileOutcome) {
        self.files += 1;
        self.passed += outcome.passed;
        self.failed += outcome.failed;
        self.skipped += outcome.skipped;
        self.cases = self.passed + self.failed + self.skipped;
    }
}

/// The counts of one folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FolderCounts {
    /// The folder, relative to the root it was found under (`.` for the root itself).
    pub folder: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// How many cases were skipped for one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReasonCount {
    /// The reason.
    pub reason: String,
    /// Cases skipped for it.
    pub cases: usize,
}

/// A revm crate and its version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CrateVersion {
    /// The crate.
    pub name: &'static str,
    /// Its version (pinned exactly in `Cargo.toml`).
    pub version: &'static str,
}

/// Everything a state-test run found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateTestReport {
    /// The engines, in order (the first is the reference the others are compared with).
    pub engines: Vec<String>,
    /// The revm crates the engines and the runner are built on.
    pub revm: Vec<CrateVersion>,
    /// Counts over all files.
    pub totals: Counts,
    /// Counts per folder, sorted by folder.
    pub folders: Vec<FolderCounts>,
    /// Skipped cases per reason, most first.
    pub skip_reasons: Vec<ReasonCount>,
    /// Every skip, in file order.
    pub skips: Vec<Skip>,
    /// Every failure, in file order.
    pub failures: Vec<Failure>,
}

impl StateTestReport {
    /// The report of `outcomes`, one per file of `files` in the same order.
    pub fn new(engines: Vec<String>, files: &[TestFile], outcomes: &[FileOutcome]) -> Self {
        let mut totals = Counts::default();
        let mut folders: BTreeMap<&str, Counts> = BTreeMap::new();
        let mut skips = Vec::new();
        let mut failures = Vec::new();
        for (file, outcome) in files.iter().zip(outcomes) {
            totals.add(outcome);
            folders.entry(&file.folder).or_default().add(outcome);
            skips.extend(outcome.skips.iter().cloned());
            failures.extend(outcome.failures.iter().cloned());
        }
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for skip in &skips {
            *reasons.entry(&skip.reason).or_default() += skip.cases;
        }
        let mut skip_reasons: Vec<ReasonCount> = reasons
            .into_iter()
            .map(|(reason, cases)| ReasonCount {
                reason: reason.to_string(),
                cases,
            })
            .collect();
        skip_reasons.sort_by(|a, b| b.cases.cmp(&a.cases).then_with(|| a.reason.cmp(&b.reason)));
        Self {
            engines,
            revm: REVM_CRATES
                .iter()
                .map(|&(name, version)| CrateVersion { name, version })
                .collect(),
            totals,
            folders: folders
                .into_iter()
                .map(|(folder, counts)| FolderCounts {
                    folder: folder.to_string(),
                    counts,
                })
                .collect(),
            skip_reasons,
            skips,
            failures,
        }
    }

    /// No failure (skips are fine).
    pub fn passed(&self) -> bool {
        self.totals.failed == 0 && self.failures.is_empty()
    }

    /// `statetests.json`.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    }

    /// `statetests.md`.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# State tests\n");
        let _ = writeln!(
            md,
            "`conformance statetest PATH...` runs every case of the GeneralStateTests files under \
             the given paths (every test, every fork revm runs, every indexed post entry) through \
             every engine on a fresh pre-state. Each engine is checked against the file (expected \
             exception, output, logs hash, post-state root) and the engines against each other \
             (status and halt reason, gas used and refunded, output, logs, state root).\n"
        );
        let _ = writeln!(
            md,
            "* engines: {} (the first is the reference)",
            self.engines
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            md,
            "* revm {}: {}",
            self.revm_release(),
            self.revm_versions()
        );
        let _ = writeln!(md, "* result: {}\n", self.verdict());
        let _ = writeln!(md, "## Per folder\n");
        md.push_str(&self.folder_table(true));
        let _ = writeln!(
            md,
            "\nCases are indexed post entries. A file that cannot be read or parsed counts as one \
             failed case, a file skipped by name as one skipped case. Paths are relative to the \
             path given on the command line.\n"
        );
        let _ = writeln!(md, "## Skips\n");
        if self.skips.is_empty() {
            let _ = writeln!(md, "None.\n");
        } else {
            let _ = writeln!(md, "| reason | cases |\n| --- | ---: |");
            for r in &self.skip_reasons {
                let _ = writeln!(md, "| {} | {} |", md_cell(&r.reason), r.cases);
            }
            md.push('\n');
            for skip in &self.skips {
                let _ = write!(
                    md,
                    "* `{}`: {} case(s): {}",
                    skip.location, skip.cases, skip.reason
                );
                if let Some(detail) = &skip.detail {
                    let _ = write!(md, " ({detail})");
                }
                md.push('\n');
            }
            md.push('\n');
        }
        let _ = writeln!(md, "## Failures\n");
        if self.failures.is_empty() {
            let _ = writeln!(md, "None.");
        } else {
            for (i, failure) in self.failures.iter().enumerate() {
                let _ = writeln!(md, "### {}. `{}`\n", i + 1, failure.location);
                md.push_str(&failure_body(failure, "* "));
                md.push('\n');
            }
        }
        let mut md = md.trim_end().to_string();
        md.push('\n');
        md
    }

    /// The release line of the revm crates, `43.0.x`.
    fn revm_release(&self) -> String {
        let mut majors: Vec<String> = self
            .revm
            .iter()
            .map(|c| {
                let mut parts = c.version.split('.');
                let (major, minor) = (parts.next().unwrap_or("?"), parts.next().unwrap_or("?"));
                format!("{major}.{minor}.x")
            })
            .collect();
        majors.dedup();
        majors.join(" / ")
    }

    fn revm_versions(&self) -> String {
        self.revm
            .iter()
            .map(|c| format!("{} {}", c.name, c.version))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn verdict(&self) -> String {
        let t = &self.totals;
        if self.passed() {
            format!(
                "**all {} run case(s) passed** ({} skipped) in {} file(s)",
                t.passed, t.skipped, t.files
            )
        } else {
            format!(
                "**{} case(s) failed** ({} failure(s)), {} passed, {} skipped, in {} file(s)",
                t.failed,
                self.failures.len(),
                t.passed,
                t.skipped,
                t.files
            )
        }
    }

    /// The per-folder table with a total row (Markdown or aligned plain text).
    fn folder_table(&self, markdown: bool) -> String {
        let header = ["folder", "files", "cases", "passed", "failed", "skipped"];
        let row = |name: String, c: &Counts| {
            [
                name,
                c.files.to_string(),
                c.cases.to_string(),
                c.passed.to_string(),
                c.failed.to_string(),
                c.skipped.to_string(),
            ]
        };
        let mut rows: Vec<[String; 6]> = self
            .folders
            .iter()
            .map(|f| row(f.folder.clone(), &f.counts))
            .collect();
        let total_name = if markdown { "**total**" } else { "total" };
        rows.push(row(total_name.to_string(), &self.totals));
        let mut out = String::new();
        if markdown {
            let _ = writeln!(out, "| {} |", header.join(" | "));
            let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: |");
            for r in &rows {
                let _ = writeln!(out, "| {} |", r.join(" | "));
            }
            return out;
        }
        let mut widths = header.map(str::len);
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i == 0 {
                    let _ = write!(s, "{cell:<w$}");
                } else {
                    let _ = write!(s, "  {cell:>w$}");
                }
            }
            s.trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(&header.map(String::from)));
        for (i, r) in rows.iter().enumerate() {
            if i + 1 == rows.len() {
                let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
                let _ = writeln!(out, "{}", "-".repeat(rule));
            }
            let _ = writeln!(out, "{}", line(r));
        }
        out
    }

    /// The console summary: per-folder table, skip reasons and the verdict.
    pub fn summary_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "state tests: engines {}; revm {}",
            self.engines.join(", "),
            self.revm_versions()
        );
        out.push('\n');
        out.push_str(&self.folder_table(false));
        if !self.skip_reasons.is_empty() {
            let _ = writeln!(out, "\nskipped:");
            for r in &self.skip_reasons {
                let _ = writeln!(out, "  {:>5} case(s): {}", r.cases, r.reason);
            }
            for skip in &self.skips {
                let _ = write!(out, "    {}: {}", skip.location, skip.reason);
                if let Some(detail) = &skip.detail {
                    let _ = write!(out, " ({detail})");
                }
                out.push('\n');
            }
        }
        let _ = writeln!(out, "\n{}", self.verdict().replace("**", ""));
        out
    }

    /// Every failure, numbered: where, which engine, what differed.
    pub fn failures_text(&self) -> String {
        let mut out = String::new();
        for (i, failure) in self.failures.iter().enumerate() {
            let _ = writeln!(
                out,
                "\nFAILURE {} of {}: {}",
                i + 1,
                self.failures.len(),
                failure.location
            );
            out.push_str(&failure_body(failure, "  "));
        }
        out
    }

    /// Writes [`REPORT_FILES`] into `out_dir` (created if needed); returns the paths written.
    ///
    /// # Errors
    /// The file or directory that could not be written.
    pub fn write(&self, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
        fs::create_dir_all(out_dir)
            .map_err(|e| format!("cannot create `{}`: {e}", out_dir.display()))?;
        let mut written = Vec::new();
        for (name, text) in REPORT_FILES
            .iter()
            .zip([self.to_json(), self.to_markdown()])
        {
            let path = out_dir.join(name);
            fs::write(&path, text)
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            written.push(path);
        }
        Ok(written)
    }

    /// Checks that the reports committed in `dir` are what this run writes.
    ///
    /// # Errors
    /// A missing report, or what differs (for the JSON, every differing field).
    pub fn check_committed(&self, dir: &Path) -> Result<(), String> {
        let read = |name: &str| {
            let path = dir.join(name);
            fs::read_to_string(&path)
                .map_err(|e| format!("cannot read the committed report `{}`: {e}", path.display()))
        };
        let [json_name, md_name] = REPORT_FILES;
        compare_reports(&read(json_name)?, &self.to_json())
            .map_err(|diff| format!("`{}` is stale: {diff}", dir.join(json_name).display()))?;
        if read(md_name)? != self.to_markdown() {
            return Err(format!(
                "`{}` is stale (its JSON twin is up to date: was it edited by hand?)",
                dir.join(md_name).display()
            ));
        }
        Ok(())
    }
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// A failure's engine, kind, message and mismatches, one per line, each line prefixed.
fn failure_body(failure: &Failure, prefix: &str) -> String {
    let mut out = String::new();
    let engine = failure.engine.as_deref().unwrap_or("-");
    let _ = writeln!(out, "{prefix}engine: {engine}; {}", failure.kind.describe());
    if let Some(message) = &failure.message {
        let _ = writeln!(out, "{prefix}{message}");
    }
    let (a, b) = match (failure.kind, failure.engine.as_deref()) {
        (FailureKind::Disagreement, Some(pair)) => match pair.split_once(" vs ") {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => ("reference".to_string(), "other".to_string()),
        },
        _ => ("expected".to_string(), "got".to_string()),
    };
    for m in &failure.mismatches {
        let _ = writeln!(out, "{prefix}{}: {a} {}, {b} {}", m.what, m.expected, m.got);
    }
    out
}
