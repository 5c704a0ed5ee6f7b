//! `cargo fuzz` command lines: `cmin` and `tmin` for the corpus workflows of the `conformance`
//! command, and `run` for its `fuzz-rate` benchmark (built here so that `--dry-run` can print
//! them and tests can inspect them without running `cargo fuzz`); the fuzz targets a fuzz crate
//! declares; and the throughput report `fuzz-rate` writes (`reports/fuzz.md`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::text::thousands;

pub use super::fuzz_command::FuzzCommand;

/// `true` when `rustup toolchain list` shows a nightly toolchain (cargo fuzz then runs on it
/// with its default sanitizer; otherwise on stable with `-s none`).
pub fn nightly_available() -> bool {
    Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("nightly"))
        .unwrap_or(false)
}

/// The fuzz targets (`[[bin]]` names) declared in a fuzz crate's `Cargo.toml` text, in order.
pub fn fuzz_targets(cargo_toml: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_bin = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
            continue;
        }
        if !in_bin {
            continue;
        }
        if let Some(rest) = line.strip_prefix("name") {
            let rest = rest.trim_start();
            if let Some(value) = rest.strip_prefix('=') {
                let name = value.trim().trim_matches('"');
                if !name.is_empty() {
                    targets.push(name.to_string());
                }
            }
        }
    }
    targets
}

fn cargo_fuzz(nightly: bool, sub: &str, fuzz_dir: Option<&Path>) -> FuzzCommand {
    let mut args = Vec::new();
    if nightly {
        args.push("+nightly".to_string());
    }
    args.push("fuzz".to_string());
    args.push(sub.to_string());
    if !nightly {
        args.extend(["-s".to_string(), "none".to_string()]);
    }
    if let Some(dir) = fuzz_dir {
        args.push("--fuzz-dir".to_string());
        args.push(dir.to_string_lossy().into_owned());
    }
    FuzzCommand {
        program: "cargo".to_string(),
        args,
    }
}

/// `cargo fuzz cmin <target> <corpus>/<target>` for every target: on `+nightly` when a nightly
/// toolchain is present, else on stable with `-s none`; `--fuzz-dir` when the fuzz crate is not
/// `./fuzz`.
pub fn cmin_commands(
    targets: &[String],
    corpus_dir: &Path,
    nightly: bool,
    fuzz_dir: Option<&Path>,
) -> Vec<FuzzCommand> {
    targets
        .iter()
        .map(|t| {
            let mut cmd = cargo_fuzz(nightly, "cmin", fuzz_dir);
            cmd.args.push(t.clone());
            cmd.args
                .push(corpus_dir.join(t).to_string_lossy().into_owned());
            cmd
        })
        .collect()
}

/// `cargo fuzz tmin <target> <artifact>`, with the toolchain and fuzz directory chosen as in
/// [`cmin_commands`].
pub fn tmin_command(
    target: &str,
    artifact: &Path,
    nightly: bool,
    fuzz_dir: Option<&Path>,
) -> FuzzCommand {
    let mut cmd = cargo_fuzz(nightly, "tmin", fuzz_dir);
    cmd.args.push(target.to_string());
    cmd.args.push(artifact.to_string_lossy().into_owned());
    cmd
}

/// What [`cores_commands`] runs.
#[derive(Clone, Copy, Debug)]
pub struct CoresRun<'a> {
    /// The fuzz target.
    pub target: &'a str,
    /// Fuzzing processes at once.
    pub jobs: usize,
    /// How long to fuzz.
    pub seconds: u64,
    /// The corpus root (one directory per target).
    pub corpus_dir: &'a Path,
    /// Where new inputs go (a fresh folder).
    pub work: &'a Path,
    /// The target's dictionary when it has one (`fuzz/dicts/<target>.dict`).
    pub dict: Option<&'a Path>,
}

/// Fuzzing one target on every core, then merging what was found into the committed corpus:
///
/// 1. `cargo fuzz run <target> <work> <corpus>/<target> <corpus>/regressions/<target> --
///    -fork=<jobs> -max_total_time=<seconds> -dict=<dict>`: libFuzzer's fork mode runs `jobs`
///    fuzzing processes at once from the committed corpus (read only) and collects every new
///    input in `work`; a crash stops it and lands in `fuzz/artifacts/<target>/` as usual;
/// 2. `cargo fuzz run <target> <corpus>/<target> <work> -- -merge=1`: libFuzzer's minimising
///    merge adds to the committed corpus only the inputs of `work` that reach coverage it does
///    not have, so a long run ends as a small corpus change to commit.
///
/// The toolchain and fuzz directory are chosen as in [`cmin_commands`].
pub fn cores_commands(
    run: &CoresRun<'_>,
    nightly: bool,
    fuzz_dir: Option<&Path>,
) -> [FuzzCommand; 2] {
    let CoresRun {
        target,
        jobs,
        seconds,
        corpus_dir,
        work,
        dict,
    } = *run;
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let committed = corpus_dir.join(target);
    // The default build (`fuzz_find::DEFAULT_BUILD`), for the run and the merge alike (so the
    // merge does not rebuild).
    let build_flags: &[&str] = if super::fuzz_find::DEFAULT_BUILD.trace_compares {
        &[]
    } else {
        &["--no-trace-compares"]
    };
    let mut fuzz = cargo_fuzz(nightly, "run", fuzz_dir);
    fuzz.args.extend(build_flags.iter().map(|f| f.to_string()));
    fuzz.args
        .extend([target.to_string(), path(work), path(&committed)]);
    let regressions = corpus_dir.join("regressions").join(target);
    if regressions.is_dir() {
        fuzz.args.push(path(&regressions));
    }
    fuzz.args.extend([
        "--".to_string(),
        format!("-fork={}", jobs.max(1)),
        format!("-max_total_time={seconds}"),
        "-rss_limit_mb=4096".to_string(),
    ]);
    if let Some(dict) = dict {
        fuzz.args.push(format!("-dict={}", path(dict)));
    }
    let mut merge = cargo_fuzz(nightly, "run", fuzz_dir);
    merge.args.extend(build_flags.iter().map(|f| f.to_string()));
    merge.args.extend([
        target.to_string(),
        path(&committed),
        path(work),
        "--".to_string(),
        "-merge=1".to_string(),
        "-rss_limit_mb=4096".to_string(),
    ]);
    [fuzz, merge]
}

/// The throughput each fuzz target is expected to reach (executions per second, stable, no
/// sanitizer, 60 s from the committed corpus, median of three runs), and `diff_ops`'s with
/// AddressSanitizer on nightly ([`ASAN_GOAL`]).
pub const GOALS: [(&str, u64); 5] = [
    ("diff_ops", 20_000),
    ("diff_small", 50_000),
    ("memory_raw", 50_000),
    ("c_api", 50_000),
    ("diff_evm", 3_000),
];

/// `diff_ops`'s goal with AddressSanitizer (nightly).
pub const ASAN_GOAL: u64 = 5_000;

/// How a `fuzz-rate` run builds its targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// Stable (the default toolchain), `-s none`, in the fuzz crate's own target directory.
    Plain,
    /// Nightly with AddressSanitizer (cargo fuzz's default sanitizer), in `target/asan` under
    /// the fuzz crate, so that it does not rebuild the plain one.
    Asan,
}

impl Build {
    /// What the report calls it.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Plain => "stable, no sanitizer",
            Self::Asan => "nightly, AddressSanitizer",
        }
    }
}

fn rate_command(build: Build, sub: &str, fuzz_dir: &Path) -> FuzzCommand {
    let mut args: Vec<String> = Vec::new();
    if build == Build::Asan {
        args.push("+nightly".into());
    }
    args.extend(["fuzz".into(), sub.into()]);
    match build {
        Build::Plain => {
            args.extend(["-s".into(), "none".into()]);
            let default = super::fuzz_find::DEFAULT_BUILD;
            if !default.trace_compares {
                args.push("--no-trace-compares".into());
                args.push("--target-dir".into());
                args.push(default.target_dir(fuzz_dir).to_string_lossy().into_owned());
            }
        }
        Build::Asan => {
            let dir = fuzz_dir.join("target").join("asan");
            args.extend(["--target-dir".into(), dir.to_string_lossy().into_owned()]);
        }
    }
    args.extend(["--fuzz-dir".into(), fuzz_dir.to_string_lossy().into_owned()]);
    FuzzCommand {
        program: "cargo".into(),
        args,
    }
}

/// `cargo fuzz build` of `target` (every target for `None`), as [`fuzz_run_command`] runs it.
pub fn fuzz_build_command(build: Build, fuzz_dir: &Path, target: Option<&str>) -> FuzzCommand {
    let mut cmd = rate_command(build, "build", fuzz_dir);
    cmd.args.extend(target.map(String::from));
    cmd
}

/// `cargo fuzz run <target> <work> <seeds>… -- -max_total_time=<seconds> …`: fuzzing for
/// `seconds` from the seed directories (read only: new inputs go to `work`, which should start
/// empty), with the dictionary `dict` if any, printing libFuzzer's final statistics, which
/// [`parse_rate`] reads.
pub fn fuzz_run_command(
    build: Build,
    fuzz_dir: &Path,
    target: &str,
    work: &Path,
    seeds: &[PathBuf],
    seconds: u64,
    dict: Option<&Path>,
) -> FuzzCommand {
    let mut cmd = rate_command(build, "run", fuzz_dir);
    cmd.args.push(target.into());
    cmd.args.push(work.to_string_lossy().into_owned());
    cmd.args
        .extend(seeds.iter().map(|s| s.to_string_lossy().into_owned()));
    cmd.args.extend([
        "--".into(),
        format!("-max_total_time={seconds}"),
        "-rss_limit_mb=4096".into(),
        "-print_final_stats=1".into(),
    ]);
    if let Some(dict) = dict {
        cmd.args.push(format!("-dict={}", dict.to_string_lossy()));
    }
    cmd
}

/// The dictionary a `fuzz-rate` run of `target` uses: `<fuzz-dir>/dicts/<target>.dict` when
/// the default build ([`DEFAULT_BUILD`](super::fuzz_find::DEFAULT_BUILD)) runs with one and
/// the file exists.
pub fn rate_dict(fuzz_dir: &Path, target: &str) -> Option<PathBuf> {
    let path = fuzz_dir.join("dicts").join(format!("{target}.dict"));
    (super::fuzz_find::DEFAULT_BUILD.dict && path.is_file()).then_some(path)
}

/// One fuzzing run's figures, from libFuzzer's final statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rate {
    /// Inputs executed (`stat::number_of_executed_units`).
    pub executions: u64,
    /// Executions per second over the run (`stat::average_exec_per_sec`).
    pub per_sec: u64,
    /// Ops or instructions compared per second, as the target printed it at exit
    /// ([`parse_work`](super::fuzz_find::parse_work)); `None` for a target that does not count
    /// them.
    pub work_per_sec: Option<(u64, &'static str)>,
}

/// The figures of a libFuzzer log run with `-print_final_stats=1`.
pub fn parse_rate(log: &str) -> Option<Rate> {
    let stat = |key: &str| {
        log.lines()
            .find_map(|line| line.trim().strip_prefix(key))
            .and_then(|rest| rest.trim().trim_start_matches(':').trim().parse().ok())
    };
    Some(Rate {
        executions: stat("stat::number_of_executed_units")?,
        per_sec: stat("stat::average_exec_per_sec")?,
        work_per_sec: super::fuzz_find::parse_work(log),
    })
}

/// The median of `values` (the lower middle one for an even count); 0 for none.
pub fn median(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => 0,
        n => sorted[(n - 1) / 2],
    }
}

/// One target's runs in a `fuzz-rate` report.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetRates {
    /// The fuzz target.
    pub target: String,
    /// How it was built.
    pub build: Build,
    /// Each run's figures (`None` for a run whose statistics could not be read).
    pub runs: Vec<Option<Rate>>,
    /// The goal, if the target has one for this build.
    pub goal: Option<u64>,
    /// What the target said it ran, at the exit of its last run ([`parse_exit_stats`]).
    pub ran: Option<String>,
    /// Where its time went ([`profile_shares`](super::fuzz_profile::profile_shares)), when
    /// profiled.
    pub profile: Option<Vec<super::fuzz_profile::Share>>,
}

impl TargetRates {
    /// The median executions per second of the runs that reported.
    pub fn median(&self) -> u64 {
        let rates: Vec<u64> = self.runs.iter().flatten().map(|r| r.per_sec).collect();
        median(&rates)
    }

    /// The median work per second (ops or instructions compared) of the runs that reported
    /// it, with its unit.
    pub fn median_work(&self) -> Option<(u64, &'static str)> {
        let work: Vec<(u64, &'static str)> = self
            .runs
            .iter()
            .flatten()
            .filter_map(|r| r.work_per_sec)
            .collect();
        let unit = work.first()?.1;
        Some((median(&work.iter().map(|w| w.0).collect::<Vec<_>>()), unit))
    }
}

/// The goal of `target` under `build`.
pub fn goal(target: &str, build: Build) -> Option<u64> {
    match build {
        Build::Plain => GOALS.iter().find(|(t, _)| *t == target).map(|(_, g)| *g),
        Build::Asan => (target == "diff_ops").then_some(ASAN_GOAL),
    }
}

/// Where and how a `fuzz-rate` report was measured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conditions {
    /// Seconds per run.
    pub seconds: u64,
    /// Runs per target.
    pub runs: usize,
    /// Cores available.
    pub cores: usize,
    /// `/proc/loadavg` before the first run and after the last.
    pub load: (String, String),
    /// Toolchains and cargo-fuzz, one line each.
    pub tools: Vec<String>,
    /// Why the AddressSanitizer runs were skipped, when they were.
    pub asan_note: Option<String>,
    /// How the profiles were taken, or why there are none.
    pub profile_note: Option<String>,
}

/// The statistics a fuzz target prints at exit ([`fuzz_stats`](super::fuzz_stats)): the
/// lines from `<target> statistics:` on, joined with spaces.
pub fn parse_exit_stats(log: &str) -> Option<String> {
    let lines: Vec<&str> = log.lines().collect();
    let start = lines.iter().rposition(|l| l.contains(" statistics: "))?;
    let mut out = lines[start].trim().to_string();
    for line in &lines[start + 1..] {
        if !line.starts_with("  ") {
            break;
        }
        out.push_str("; ");
        out.push_str(line.trim());
    }
    Some(out)
}

/// `reports/fuzz.md`: every target's runs, their median and its goal.
pub fn fuzz_rate_markdown(rates: &[TargetRates], conditions: &Conditions) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Fuzzing throughput
"
    );
    let _ = writeln!(
        s,
        "Written by `cargo run --release --features harness --bin conformance -- fuzz-rate`: \
         each target fuzzed {} times for {} s from the committed corpus (`corpus/<target>` and \
         `corpus/regressions/<target>`, read only; new inputs go to an empty directory) in the \
         default build ({}: see the last section), figures from libFuzzer's final statistics \
         (`stat::average_exec_per_sec`) and, beside them, the work each target did per second \
         (ops or instructions compared, as it counts them at exit): an input's cost is what it \
         runs. A benchmark, not a test: the figures depend on the machine and on what else runs \
         on it.\n",
        conditions.runs,
        conditions.seconds,
        super::fuzz_find::DEFAULT_BUILD.label()
    );
    let _ = writeln!(
        s,
        "| target | build | runs (exec/s) | median exec/s | median work/s | goal (exec/s) | |\n\
         |---|---|---|---:|---:|---:|---|"
    );
    for t in rates {
        let runs: Vec<String> = t
            .runs
            .iter()
            .map(|r| r.map_or("—".to_string(), |r| thousands(r.per_sec)))
            .collect();
        let median = t.median();
        let (goal, verdict) = match t.goal {
            Some(g) if median >= g => (thousands(g), "met"),
            Some(g) => (thousands(g), "**not met**"),
            None => ("—".to_string(), ""),
        };
        let work = t.median_work().map_or("—".to_string(), |(w, unit)| {
            format!("{} {unit}/s", thousands(w))
        });
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {work} | {goal} | {verdict} |",
            t.target,
            t.build.label(),
            runs.join(", "),
            thousands(median)
        );
    }
    let _ = writeln!(s);
    if let Some(note) = &conditions.asan_note {
        let _ = writeln!(s, "AddressSanitizer runs skipped: {note}.\n");
    }
    let _ = writeln!(s, "Measured on {} cores; load average before the first run {}, after the last {} (other work on the machine lowers the figures).\n", conditions.cores, conditions.load.0, conditions.load.1);
    for tool in &conditions.tools {
        let _ = writeln!(s, "- {tool}");
    }
    let _ = writeln!(s);
    let ran: Vec<&TargetRates> = rates.iter().filter(|t| t.ran.is_some()).collect();
    if !ran.is_empty() {
        let _ = writeln!(
            s,
            "## What each target ran

As each target printed it at the exit of its last run \
             (inputs, ops or instructions compared, how deep calls went, outcomes): the cost of \
             an input is what it runs, and the corpus decides that.
"
        );
        for t in ran {
            let _ = writeln!(
                s,
                "- `{}` ({}): {}",
                t.target,
                t.build.label(),
                t.ran.as_deref().unwrap_or_default()
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "## Where the time goes
"
    );
    if let Some(note) = &conditions.profile_note {
        let _ = writeln!(
            s,
            "{note}
"
        );
    }
    for t in rates {
        if let Some(profile) = &t.profile {
            s.push_str(&super::fuzz_profile::profile_markdown(&t.target, profile));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_targets_are_read_from_cargo_toml() {
        let toml = "[package]\nname = \"x-fuzz\"\n\n[[bin]]\nname = \"diff_ops\"\npath = \"a.rs\"\n\n[[bin]]\nname=\"c_api\"\n";
        assert_eq!(fuzz_targets(toml), ["diff_ops", "c_api"]);
    }

    #[test]
    fn rates_are_read_from_libfuzzer_logs() {
        let log = "#1234\tDONE   cov: 1 ft: 2 corp: 3/4b exec/s: 20 rss: 5Mb\n\
                   stat::number_of_executed_units: 1234\n\
                   stat::average_exec_per_sec:     20\n\
                   stat::new_units_added:          7\n";
        assert_eq!(
            parse_rate(log),
            Some(Rate {
                executions: 1234,
                per_sec: 20,
                work_per_sec: None,
            })
        );
        assert_eq!(parse_rate("crashed before the end"), None);
        assert_eq!(median(&[5, 1, 3]), 3);
        assert_eq!(median(&[4, 1, 3, 2]), 2);
        assert_eq!(median(&[]), 0);
    }

    #[test]
    fn run_commands_read_the_corpus_and_write_elsewhere() {
        let cmd = fuzz_run_command(
            Build::Plain,
            Path::new("fuzz"),
            "diff_ops",
            Path::new("/tmp/work"),
            &[PathBuf::from("corpus/diff_ops")],
            60,
            Some(Path::new("fuzz/dicts/diff_ops.dict")),
        );
        // The default build: no comparison tracing (in its own target directory), the
        // dictionary.
        assert_eq!(
            cmd.to_string(),
            "cargo fuzz run -s none --no-trace-compares --target-dir \
             fuzz/target/no-trace-compares --fuzz-dir fuzz diff_ops /tmp/work corpus/diff_ops -- \
             -max_total_time=60 -rss_limit_mb=4096 -print_final_stats=1 \
             -dict=fuzz/dicts/diff_ops.dict"
        );
        let asan = fuzz_build_command(Build::Asan, Path::new("fuzz"), Some("diff_ops"));
        assert_eq!(
            asan.to_string(),
            "cargo +nightly fuzz build --target-dir fuzz/target/asan --fuzz-dir fuzz diff_ops"
        );
        assert_eq!(goal("diff_ops", Build::Asan), Some(ASAN_GOAL));
        assert_eq!(goal("c_api", Build::Asan), None);
        assert_eq!(goal("diff_evm", Build::Plain), Some(3_000));
    }

    #[test]
    fn the_report_says_whether_each_goal_is_met() {
        let rates = [
            TargetRates {
                target: "diff_ops".into(),
                build: Build::Plain,
                runs: vec![
                    Some(Rate {
                        executions: 1,
                        per_sec: 21_000,
                        work_per_sec: Some((500_000, "ops")),
                    }),
                    None,
                    Some(Rate {
                        executions: 1,
                        per_sec: 25_000,
                        work_per_sec: Some((600_000, "ops")),
                    }),
                ],
                goal: Some(20_000),
                ran: None,
                profile: None,
            },
            TargetRates {
                target: "c_api".into(),
                build: Build::Plain,
                runs: vec![Some(Rate {
                    executions: 1,
                    per_sec: 9_000,
                    work_per_sec: None,
                })],
                goal: Some(50_000),
                ran: None,
                profile: None,
            },
        ];
        let md = fuzz_rate_markdown(&rates, &Conditions::default());
        assert!(
            md.contains(
                "| `diff_ops` | stable, no sanitizer | 21,000, —, 25,000 | 21,000 | 500,000 ops/s | 20,000 | met |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| `c_api` | stable, no sanitizer | 9,000 | 9,000 | — | 50,000 | **not met** |"
            ),
            "{md}"
        );
    }
}
