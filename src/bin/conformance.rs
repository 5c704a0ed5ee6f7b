//! `conformance`: the seeded conformance campaign (ours vs revm vs the reference model), the
//! corpus workflows around it, and the ethereum/tests state-test runner.
//!
//! ```text
//! cargo run --release --features harness --bin conformance                 # default campaign
//! cargo run --release --features harness --bin conformance -- --check      # reports up to date?
//! cargo run --release --features harness --bin conformance -- --duration 10m --out-dir /tmp/r
//! cargo run --release --features harness --bin conformance -- write-corpus
//! cargo run --release --features harness --bin conformance -- cmin
//! cargo run --release --features harness --bin conformance -- tmin diff_ops fuzz/artifacts/diff_ops/crash-…
//! cargo run --release --features harness --bin conformance -- statetest ../shared/ethereum-tests
//! cargo run --release --features harness --bin conformance -- fuzz-rate      # writes reports/fuzz.md
//! cargo run --release --features harness --bin conformance -- show diff_ops corpus/diff_ops/<file>
//! cargo run --release --features harness --bin conformance -- fuzz-dicts    # fuzz/dicts/*.dict
//! cargo run --release --features harness --bin conformance -- fuzz-cores diff_ops --seconds 3600
//! cargo run --release --features harness --bin conformance -- --engines "ours,model,ext:mine=./mine"
//! cargo run --release --features harness --bin conformance -- serve ours   # the engine protocol
//! cargo run --release --features harness --bin conformance -- export-vectors /tmp/vectors
//! ```
//!
//! Exit codes: 0 when every engine agreed (and, with `--check`, the committed report is up to
//! date); 1 on a divergence, an unreadable corpus, a stale report, a failed `cargo fuzz`, a
//! failed state test or a state-test path without test files; 2 on bad arguments.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::{Args, Parser, Subcommand};
use evm_memory::harness::campaign::{
    compare_reports, Budget, Campaign, CampaignConfig, DEFAULT_MAX_INPUT_LEN, DEFAULT_MAX_REPORTED,
    DEFAULT_SEQUENCES, DEFAULT_SPEC_SEQUENCES,
};
use evm_memory::harness::cargo_fuzz::{
    cmin_commands, cores_commands, fuzz_build_command, fuzz_rate_markdown, fuzz_run_command,
    fuzz_targets, goal, nightly_available, parse_exit_stats, parse_rate, rate_dict, tmin_command,
    Build, Conditions, CoresRun, FuzzCommand, TargetRates,
};
use evm_memory::harness::corpus::{
    regression_test_skeleton, remove_scenario_copies, short_hash, write_corpus, CORPUS_TARGETS,
    REGRESSIONS_DIR,
};
use evm_memory::harness::dicts::write_dictionaries;
use evm_memory::harness::engines::{
    build_engine, engine_by_name, isolate, parse_engine_selection, selected_engine_names,
};
use evm_memory::harness::fuzz_profile::{perf_record_command, perf_report_command, profile_shares};
use evm_memory::harness::report::{summary, write_report};
use evm_memory::harness::statetest::{
    default_jobs, engines_by_name, run_paths, RunConfig, ENGINE_NAMES,
};
use evm_memory::harness::Mode;

#[derive(Parser, Debug)]
#[command(
    name = "conformance",
    version,
    about = "Seeded conformance campaign: our memory vs revm's SharedMemory vs the reference model",
    after_help = "Environment: EVM_MEMORY_ENGINES chooses the engines of the campaign \
                  (e.g. `ours,model` or `-revm`; all of ours, ours-plain, revm, model by \
                  default; `spec`, `ext:NAME=COMMAND` and `isolated:NAME` add engines in \
                  other processes, see docs/engine-protocol.md; --engines overrides it); \
                  EVM_MEMORY_EXT_TIMEOUT is their per-case time limit in seconds; EVM_MEMORY_ORACLE=full compares everything after every op.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(flatten)]
    run: RunArgs,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Seed of the random sequences (decimal or 0x-hex).
    #[arg(long, value_parser = parse_seed, default_value = "0x5EED")]
    seed: u64,
    /// Random sequences to run (deterministic: same seed and count, same report).
    #[arg(long, default_value_t = DEFAULT_SEQUENCES)]
    sequences: u64,
    /// Run random sequences for this long instead (e.g. 60s, 10m, 1h, 500ms).
    #[arg(long, value_parser = parse_duration, conflicts_with = "sequences")]
    duration: Option<Duration>,
    /// Random programs of the bytecode-level phase (stock revm vs MemoryEvm, after the
    /// sequences).
    #[arg(long, default_value_t = evm_memory::harness::evm::phase::DEFAULT_PROGRAMS)]
    evm_programs: u64,
    /// Where conformance.json, conformance.md and the SVG figures go.
    #[arg(long, default_value = "reports")]
    out_dir: PathBuf,
    /// The corpus replayed before the random sequences.
    #[arg(long, default_value = "corpus")]
    corpus_dir: PathBuf,
    /// Skip the corpus replay.
    #[arg(long)]
    no_corpus: bool,
    /// Longest random input, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_INPUT_LEN)]
    max_input_len: usize,
    /// Divergences reported in full (all are counted).
    #[arg(long, default_value_t = DEFAULT_MAX_REPORTED)]
    max_reported: usize,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Regenerate into a temporary directory and compare with the committed
    /// <out-dir>/conformance.json, ignoring timing.
    #[arg(long)]
    check: bool,
    /// Compare everything (every frame's size and bytes) after every op, instead of what the op
    /// could change (the default; also EVM_MEMORY_ORACLE=full). Slower; the same report.
    #[arg(long)]
    full_compare: bool,
    /// The engines to compare, as EVM_MEMORY_ENGINES spells them (overrides it): e.g.
    /// `ours,revm,model,ext:mine=./my-engine` or `-revm`; external engines speak the engine
    /// protocol (docs/engine-protocol.md).
    #[arg(long)]
    engines: Option<String>,
    /// Random sequences of the spec phase (the execution specs beside the other engines; it
    /// also replays the corpus, the scenarios and the vectors).
    #[arg(long, default_value_t = DEFAULT_SPEC_SEQUENCES)]
    spec_sequences: u64,
    /// Skip the spec phase.
    #[arg(long)]
    no_spec: bool,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Serves one engine to a campaign that isolates it (`c:PATH` engines): reads cases from
    /// standard input and answers each once the engine has run it (internal: the campaign
    /// starts it; see `evm_memory::harness::engines::isolate`).
    #[command(hide = true)]
    Isolate {
        /// The engine, as `EVM_MEMORY_ENGINES` names it.
        engine: String,
    },
    /// Minimise every fuzz target's corpus with `cargo fuzz cmin`.
    Cmin {
        /// Only these targets (default: every `[[bin]]` of <fuzz-dir>/Cargo.toml).
        #[arg(long = "target")]
        targets: Vec<String>,
        /// The cargo-fuzz crate.
        #[arg(long, default_value = "fuzz")]
        fuzz_dir: PathBuf,
        /// The corpus root (one directory per target).
        #[arg(long, default_value = "corpus")]
        corpus_dir: PathBuf,
        /// Print the commands without running them.
        #[arg(long)]
        dry_run: bool,
    },
    /// Minimise a crashing input with `cargo fuzz tmin`, keep it as a regression input and print
    /// (and append to tests/regressions.rs, when it exists) a test that replays it.
    Tmin {
        /// The fuzz target that crashed.
        #[arg(value_parser = CORPUS_TARGETS)]
        target: String,
        /// The crashing input (e.g. fuzz/artifacts/<target>/crash-…).
        #[arg(value_parser = existing_file)]
        artifact: PathBuf,
        /// The cargo-fuzz crate.
        #[arg(long, default_value = "fuzz")]
        fuzz_dir: PathBuf,
        /// The corpus root (the input goes to <corpus-dir>/regressions/<target>/).
        #[arg(long, default_value = "corpus")]
        corpus_dir: PathBuf,
        /// The test file the replaying test is appended to (when it exists).
        #[arg(long, default_value = "tests/regressions.rs")]
        tests_file: PathBuf,
        /// Print the command and what would be written without doing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run ethereum/tests GeneralStateTests files (as revm's `revme statetest` reads them)
    /// through every engine: each checked against the files, the engines against each other.
    Statetest(StatetestArgs),
    /// Benchmark the fuzz targets: fuzz each from the committed corpus for a while, a few
    /// times, and write the executions per second (median and each run) to reports/fuzz.md.
    FuzzRate(FuzzRateArgs),
    /// Measure how soon each fuzz target finds each planted bug (a named mutant of ours) from
    /// an empty corpus under four builds (comparison tracing on/off, dictionary or not), and
    /// each build's work per second; writes its section of reports/fuzz.md.
    FuzzFind(FuzzFindArgs),
    /// Print a corpus file as its target decodes it: an op sequence or a program as a
    /// pasteable Rust test, raw input in hex.
    Show {
        /// The fuzz target whose format the file is in.
        #[arg(value_parser = CORPUS_TARGETS)]
        target: String,
        /// The file.
        #[arg(value_parser = existing_file)]
        file: PathBuf,
    },
    /// Write every fuzz target's dictionary (libFuzzer format) to <out-dir>/<target>.dict,
    /// spelled by the generators' own encoders.
    FuzzDicts {
        /// Where the dictionaries go.
        #[arg(long, default_value = "fuzz/dicts")]
        out_dir: PathBuf,
        /// Write nothing; fail when the committed dictionaries are not what this would write.
        #[arg(long)]
        check: bool,
    },
    /// Fuzz one target on every core (libFuzzer's fork mode, from the committed corpus, with
    /// its dictionary), then merge what was found into <corpus-dir>/<target> with libFuzzer's
    /// minimising merge: only inputs that add coverage are kept, ready to commit.
    FuzzCores {
        /// The fuzz target.
        #[arg(value_parser = CORPUS_TARGETS)]
        target: String,
        /// Fuzzing processes at once (default: the available cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// How long to fuzz, in seconds.
        #[arg(long, default_value_t = 600)]
        seconds: u64,
        /// The cargo-fuzz crate.
        #[arg(long, default_value = "fuzz")]
        fuzz_dir: PathBuf,
        /// The corpus root (one directory per target).
        #[arg(long, default_value = "corpus")]
        corpus_dir: PathBuf,
        /// Print the commands without running them.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print EIP-3155 traces (memory included) of state-test files, as `evm statetest --json`
    /// does: steps and each case's closing lines on stderr, a results array per file on
    /// stdout. Without FILE, reads file names from stdin, one per line.
    Trace {
        /// State-test files.
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The engine: `ours` (MemoryEvm) or `revm` (stock revm).
        #[arg(long, default_value = "ours", value_parser = ["ours", "revm"])]
        engine: String,
    },
    /// Write `diff_evm` programs as GeneralStateTests files (Cancun, filled by stock revm) into
    /// DIR: the named scenarios, the committed corpus/diff_evm and --random generated ones.
    ExportStatetests {
        /// Where the files go (created when missing).
        dir: PathBuf,
        /// Random programs to add.
        #[arg(long, default_value_t = 0)]
        random: u64,
        /// Their seed [default: the campaign's].
        #[arg(long, value_parser = parse_seed)]
        seed: Option<u64>,
        /// The corpus root whose diff_evm programs are exported.
        #[arg(long, default_value = "corpus")]
        corpus_dir: PathBuf,
        /// Leave the corpus out.
        #[arg(long)]
        no_corpus: bool,
        /// Leave the named scenarios out.
        #[arg(long)]
        no_scenarios: bool,
        /// Leave out programs whose EIP-3155 trace with memory would exceed this many bytes
        /// (measured on MemoryEvm; suffixes k, M, G): slow clients take seconds per megabyte.
        #[arg(long, value_parser = parse_bytes)]
        max_trace_bytes: Option<u64>,
    },
    /// Run state-test files (e.g. an export-statetests set) through client commands that print
    /// EIP-3155 traces and compare every step with MemoryEvm's; writes reports/clients.{json,md}.
    Clients(ClientsArgs),
    /// Host an engine over the engine protocol on standard input and output (see
    /// docs/engine-protocol.md): what `ext:NAME=conformance serve ENGINE` and
    /// `isolated:ENGINE` run.
    Serve {
        /// The engine: ours, ours-plain, revm, model (or any name EVM_MEMORY_ENGINES takes).
        engine: String,
    },
    /// Export the corpus's op sequences, the scenarios, the vectors and N random sequences as
    /// JSON files with the observation expected after every op (agreed by every engine, the
    /// execution specs included when available): docs/vectors-schema.md.
    ExportVectors {
        /// Where the files go (created if missing).
        dir: PathBuf,
        /// Random sequences to export.
        #[arg(long, default_value_t = 1000)]
        random: u64,
        /// Seed of the random sequences (decimal or 0x-hex).
        #[arg(long, value_parser = parse_seed, default_value = "0x5EED")]
        seed: u64,
        /// The corpus whose op sequences are exported.
        #[arg(long, default_value = "corpus")]
        corpus_dir: PathBuf,
        /// Export no corpus.
        #[arg(long)]
        no_corpus: bool,
    },
    /// Write every named scenario to <corpus-dir>/<target>/<name>.
    WriteCorpus {
        /// The corpus root.
        #[arg(long, default_value = "corpus")]
        corpus_dir: PathBuf,
        /// Print the paths without writing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Args, Debug)]
struct FuzzRateArgs {
    /// Seconds per run.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Runs per target (the report gives their median).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Only these targets (default: every `[[bin]]` of <fuzz-dir>/Cargo.toml).
    #[arg(long = "target")]
    targets: Vec<String>,
    /// Skip the AddressSanitizer runs of `diff_ops` (nightly).
    #[arg(long)]
    no_asan: bool,
    /// The cargo-fuzz crate.
    #[arg(long, default_value = "fuzz")]
    fuzz_dir: PathBuf,
    /// The corpus root (read only).
    #[arg(long, default_value = "corpus")]
    corpus_dir: PathBuf,
    /// The report to write.
    #[arg(long, default_value = "reports/fuzz.md")]
    out: PathBuf,
    /// Print the commands without running them.
    #[arg(long)]
    dry_run: bool,
    /// Seconds of `perf record` per target for the report's profile (0: no profile; skipped
    /// with a note when `perf` is not available).
    #[arg(long, default_value_t = 15)]
    profile_seconds: u64,
}

#[derive(Args, Debug)]
struct FuzzFindArgs {
    /// Seconds a hunt may take before it counts as not found.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// libFuzzer seeds per cell (1, 2, …).
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// Seconds of each work-per-second run (0: none).
    #[arg(long, default_value_t = 15)]
    rate_seconds: u64,
    /// Hunts run at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Only these targets (default: every `[[bin]]` of <fuzz-dir>/Cargo.toml).
    #[arg(long = "target")]
    targets: Vec<String>,
    /// The cargo-fuzz crate.
    #[arg(long, default_value = "fuzz")]
    fuzz_dir: PathBuf,
    /// The corpus root (read only; the work-per-second runs start from it).
    #[arg(long, default_value = "corpus")]
    corpus_dir: PathBuf,
    /// The report whose section to write.
    #[arg(long, default_value = "reports/fuzz.md")]
    out: PathBuf,
    /// Skip the builds (use what is built).
    #[arg(long)]
    no_build: bool,
    /// The measurements' JSON (written by a run, read by --render).
    #[arg(long, default_value = "reports/fuzz-find.json")]
    json: PathBuf,
    /// Measure nothing: write the section again from the JSON of an earlier run.
    #[arg(long)]
    render: bool,
}

#[derive(Args, Debug)]
struct ClientsArgs {
    /// The folder of state-test files (searched recursively for *.json).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// A client: NAME=COMMAND (run under `sh -c`, file names on stdin, EIP-3155 traces on
    /// stdout or stderr), or a built-in name: `eels` (the execution specs from
    /// $EVM_MEMORY_SPEC_VENV, else target/spec-venv). Repeatable.
    #[arg(long = "client", required = true, value_name = "NAME=COMMAND")]
    clients: Vec<String>,
    /// Seconds a client may take over one file before it counts as not comparable.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// What the set is, for the report.
    #[arg(long, default_value = "state tests")]
    set: String,
    /// Where clients.json and clients.md go.
    #[arg(long, default_value = "reports")]
    out_dir: PathBuf,
    /// Write no report.
    #[arg(long, conflicts_with = "check")]
    no_report: bool,
    /// Write nothing; fail when the committed <out-dir>/clients.{json,md} differ from this run's.
    #[arg(long)]
    check: bool,
}

#[derive(Args, Debug)]
struct StatetestArgs {
    /// State-test files or directories (searched recursively for *.json); reports name files
    /// relative to these.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Where statetests.json and statetests.md go.
    #[arg(long, default_value = "reports")]
    out_dir: PathBuf,
    /// Write no report.
    #[arg(long, conflicts_with = "check")]
    no_report: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Worker threads [default: the available cores].
    #[arg(long, short, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Engines to run, comma-separated, the first being the reference [default: all registered].
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(ENGINE_NAMES))]
    engines: Vec<String>,
    /// Write nothing; compare the reports this run would write with the committed
    /// <out-dir>/statetests.{json,md} and fail when they differ.
    #[arg(long)]
    check: bool,
}

fn parse_seed(s: &str) -> Result<u64, String> {
    let s = s.trim().replace('_', "");
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|e| format!("not a 64-bit seed: {e}"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a duration such as 60s, 10m, 1h or 500ms"))?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" => value,
        "ms" => value / 1000.0,
        "m" | "min" | "mins" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown duration unit `{other}` (use ms, s, m or h)"
            ))
        }
    };
    if !(secs.is_finite() && secs > 0.0 && secs < 1e9) {
        return Err(format!("`{s}` is not a positive duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (number, factor) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1_000),
        Some((i, 'M')) => (&s[..i], 1_000_000),
        Some((i, 'G')) => (&s[..i], 1_000_000_000),
        _ => (s, 1),
    };
    number
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| format!("`{s}` is not a byte count such as 500000, 500k or 20M"))
}

fn existing_file(s: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(s);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("`{s}` is not a readable file"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run(&cli.run),
        Some(Cmd::Cmin {
            targets,
            fuzz_dir,
            corpus_dir,
            dry_run,
        }) => cmin(&targets, &fuzz_dir, &corpus_dir, dry_run),
        Some(Cmd::Tmin {
            target,
            artifact,
            fuzz_dir,
            corpus_dir,
            tests_file,
            dry_run,
        }) => tmin(
            &target,
            &artifact,
            &fuzz_dir,
            &corpus_dir,
            &tests_file,
            dry_run,
        ),
        Some(Cmd::Isolate { engine }) => build_engine(&engine).and_then(|engine| {
            isolate::serve(engine, std::io::stdin().lock(), std::io::stdout().lock())
                .map(|()| true)
                .map_err(|e| format!("isolate: {e}"))
        }),
        Some(Cmd::Statetest(args)) => statetest(&args),
        Some(Cmd::FuzzRate(args)) => fuzz_rate(&args),
        Some(Cmd::FuzzFind(args)) => fuzz_find(&args),
        Some(Cmd::Show { target, file }) => show(&target, &file),
        Some(Cmd::FuzzDicts { out_dir, check }) => {
            write_dictionaries(&out_dir, check).map(|paths| {
                for p in &paths {
                    println!(
                        "{}{}",
                        if check { "up to date: " } else { "wrote " },
                        p.display()
                    );
                }
                true
            })
        }
        Some(Cmd::FuzzCores {
            target,
            jobs,
            seconds,
            fuzz_dir,
            corpus_dir,
            dry_run,
        }) => fuzz_cores(&target, jobs, seconds, &fuzz_dir, &corpus_dir, dry_run),
        Some(Cmd::Trace { files, engine }) => trace(&files, &engine),
        Some(Cmd::Clients(args)) => clients(&args),
        Some(Cmd::ExportStatetests {
            dir,
            random,
            seed,
            corpus_dir,
            no_corpus,
            no_scenarios,
            max_trace_bytes,
        }) => {
            use evm_memory::harness::clients::{export_statetests, ExportConfig};
            let mut config = ExportConfig {
                random,
                corpus_dir: (!no_corpus).then_some(corpus_dir),
                scenarios: !no_scenarios,
                max_trace_bytes,
                ..ExportConfig::default()
            };
            if let Some(seed) = seed {
                config.seed = seed;
            }
            export_statetests(&dir, &config).map(|e| {
                println!(
                    "wrote {} state tests to {} ({} scenarios, {} corpus, {} random; {} rejected \
                     by revm; {} left out for a trace over the bound; traces ≈ {} MB)",
                    e.files.len(),
                    dir.display(),
                    e.scenarios,
                    e.corpus,
                    e.random,
                    e.rejected,
                    e.too_long,
                    e.trace_bytes / 1_000_000
                );
                true
            })
        }
        Some(Cmd::Serve { engine }) => serve(&engine),
        Some(Cmd::ExportVectors {
            dir,
            random,
            seed,
            corpus_dir,
            no_corpus,
        }) => export_vectors(
            &dir,
            (!no_corpus).then_some(corpus_dir.as_path()),
            random,
            seed,
        ),
        Some(Cmd::WriteCorpus {
            corpus_dir,
            dry_run,
        }) => write_corpus(&corpus_dir, dry_run).map(|paths| {
            for p in &paths {
                println!(
                    "{}{}",
                    if dry_run { "would write " } else { "" },
                    p.display()
                );
            }
            println!("{} scenario file(s)", paths.len());
            true
        }),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `conformance serve ENGINE`: hosts the engine over the protocol until standard input ends.
fn serve(name: &str) -> Result<bool, String> {
    let mut engine = engine_by_name(name).ok_or_else(|| format!("unknown engine `{name}`"))?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    evm_memory::harness::serve::serve(
        engine.as_mut(),
        stdin.lock(),
        std::io::BufWriter::new(stdout.lock()),
    )?;
    Ok(true)
}

/// `conformance export-vectors DIR`.
fn export_vectors(
    dir: &Path,
    corpus_dir: Option<&Path>,
    random: u64,
    seed: u64,
) -> Result<bool, String> {
    let summary = evm_memory::harness::export::export_vectors(dir, corpus_dir, random, seed)?;
    for (path, n) in &summary.files {
        println!("wrote {} ({n} cases)", path.display());
    }
    for s in &summary.skipped {
        println!("left out: {s}");
    }
    println!("agreed by: {}", summary.engines.join(", "));
    Ok(true)
}

/// The campaign; `Ok(false)` on divergences or a stale committed report.
fn run(args: &RunArgs) -> Result<bool, String> {
    let committed_path = args.out_dir.join("conformance.json");
    let committed = if args.check {
        Some(fs::read_to_string(&committed_path).map_err(|e| {
            format!(
                "--check: cannot read the committed report `{}`: {e}",
                committed_path.display()
            )
        })?)
    } else {
        None
    };
    let config = CampaignConfig {
        seed: args.seed,
        budget: match args.duration {
            Some(d) => Budget::Duration(d),
            None => Budget::Sequences(args.sequences),
        },
        corpus_dir: (!args.no_corpus).then(|| args.corpus_dir.clone()),
        max_input_len: args.max_input_len,
        max_reported: args.max_reported,
        progress: !args.quiet,
        evm_programs: args.evm_programs,
        capture_panics: true,
        mode: if args.full_compare {
            Mode::Full
        } else {
            Mode::from_env()
        },
        engines: match &args.engines {
            Some(selection) => {
                parse_engine_selection(selection).map_err(|e| format!("--engines: {e}"))?
            }
            None => selected_engine_names()?,
        },
        isolate_libraries: true,
        spec_sequences: (!args.no_spec).then_some(args.spec_sequences),
    };
    let report = Campaign::new(config).run().map_err(|e| e.to_string())?;

    let out_dir = if args.check {
        std::env::temp_dir().join(format!("conformance-check-{}", std::process::id()))
    } else {
        args.out_dir.clone()
    };
    let written = write_report(&report, &out_dir)?;
    println!("{}", summary(&report));
    if report.spec.status.starts_with("skipped") {
        println!("spec phase {}", report.spec.status);
    }

    let mut ok = report.passed();
    if !ok {
        for (i, failure) in report.divergences.reports.iter().enumerate() {
            println!(
                "\n==== failure {} of {}: {} in {} ====\n",
                i + 1,
                report.divergences.count,
                failure.kind,
                failure.source
            );
            println!("{}", failure.text.trim_end());
        }
        if !args.check {
            let dir = out_dir.join("divergences");
            let saved = save_inputs(&report, &dir);
            if saved > 0 {
                println!(
                    "\n{saved} failing input(s) saved under {} (minimise one with `conformance tmin <target> <file>`)",
                    dir.display()
                );
            }
        }
    }

    if let Some(committed) = committed {
        let regenerated = fs::read_to_string(out_dir.join("conformance.json"))
            .map_err(|e| format!("cannot read the regenerated report: {e}"))?;
        let _ = fs::remove_dir_all(&out_dir);
        match compare_reports(&committed, &regenerated) {
            Ok(()) => println!(
                "\ncheck: {} is up to date (timing ignored)",
                committed_path.display()
            ),
            Err(diff) => {
                ok = false;
                eprintln!(
                    "\ncheck FAILED: {} is stale.\n{diff}Regenerate it with `cargo run --release --features harness --bin conformance` (same --seed and --sequences).",
                    committed_path.display()
                );
            }
        }
    } else {
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        println!("\nwrote {}", names.join(", "));
    }
    Ok(ok)
}

/// The state tests; `Ok(false)` on a failure or a stale committed report.
fn statetest(args: &StatetestArgs) -> Result<bool, String> {
    let engines = engines_by_name(&args.engines)?;
    let config = RunConfig {
        jobs: args.jobs.map_or_else(default_jobs, usize::from),
        progress: !args.quiet,
    };
    let report = run_paths(&args.paths, &engines, &config)?;
    print!("{}", report.summary_text());
    print!("{}", report.failures_text());
    let mut ok = report.passed();
    if args.check {
        match report.check_committed(&args.out_dir) {
            Ok(()) => println!(
                "\ncheck: the reports in {} are up to date",
                args.out_dir.display()
            ),
            Err(diff) => {
                ok = false;
                eprintln!(
                    "\ncheck FAILED: {diff}\nRegenerate with `cargo run --release --features harness --bin conformance -- statetest <same paths>`."
                );
            }
        }
    } else if !args.no_report {
        let written = report.write(&args.out_dir)?;
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        println!("\nwrote {}", names.join(", "));
    }
    Ok(ok)
}

/// `conformance show`.
fn show(target: &str, file: &Path) -> Result<bool, String> {
    use evm_memory::harness::{decode, decode_small, evm, reproducer::rust_reproducer};
    let data = fs::read(file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    match target {
        "diff_ops" => print!("{}", rust_reproducer(&decode(&data), "corpus_input")),
        "diff_small" => print!("{}", rust_reproducer(&decode_small(&data), "corpus_input")),
        "diff_evm" => {
            let program = evm::fuzz_program(&evm::decode_program(&data));
            print!("{}", evm::rust_reproducer(&program, "corpus_input"));
        }
        _ => {
            let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
            println!("{} bytes of raw input: {hex}", data.len());
        }
    }
    Ok(true)
}

/// The first line `program args…` prints, or why there is none.
fn version_of(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| format!("`{program} {}` failed", args.join(" ")))
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Runs `cmd` to the end, printing it first; returns whether it succeeded and its output
/// (stdout and stderr).
fn run_logged(cmd: &FuzzCommand) -> Result<(bool, String), String> {
    eprintln!("$ {cmd}");
    let out = cmd
        .to_command()
        .output()
        .map_err(|e| format!("cannot run `{cmd}`: {e}"))?;
    let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), log))
}

/// `true` when `perf` runs here.
fn perf_available() -> bool {
    std::process::Command::new("perf")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Profiles the built `target` fuzzing from `seeds` (see [`perf_record_command`]); `None` when
/// the target is not built or `perf` fails (said on standard error).
fn profile_target(
    args: &FuzzRateArgs,
    target: &str,
    seeds: &[PathBuf],
    work: &Path,
) -> Option<Vec<evm_memory::harness::fuzz_profile::Share>> {
    // The default build's binary, the one the runs measured.
    let default = evm_memory::harness::fuzz_find::DEFAULT_BUILD;
    let Some(binary) = default.binary(&args.fuzz_dir, target) else {
        eprintln!(
            "{target}: no built binary under {} to profile",
            default.target_dir(&args.fuzz_dir).display()
        );
        return None;
    };
    let dir = work.join(format!("{target}-profile"));
    let data = work.join(format!("{target}.perf.data"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).ok()?;
    let record = perf_record_command(&binary, &data, &dir, seeds, args.profile_seconds);
    let (ok, log) = run_logged(&record).ok()?;
    let _ = fs::remove_dir_all(&dir);
    if !ok {
        eprintln!("`{record}` failed:\n{log}");
        return None;
    }
    let report = perf_report_command(&data);
    eprintln!("$ {report}");
    let out = report.to_command().output().ok()?;
    let _ = fs::remove_file(&data);
    if !out.status.success() {
        eprintln!(
            "`{report}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(profile_shares(&String::from_utf8_lossy(&out.stdout)))
}

/// `conformance fuzz-rate`.
fn fuzz_rate(args: &FuzzRateArgs) -> Result<bool, String> {
    let toml_path = args.fuzz_dir.join("Cargo.toml");
    let toml = fs::read_to_string(&toml_path)
        .map_err(|e| format!("cannot read `{}`: {e}", toml_path.display()))?;
    let targets = if args.targets.is_empty() {
        fuzz_targets(&toml)
    } else {
        args.targets.clone()
    };
    let asan = !args.no_asan && targets.iter().any(|t| t == "diff_ops");
    let mut conditions = Conditions {
        seconds: args.seconds,
        runs: args.runs,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        load: (load_average(), String::new()),
        tools: vec![
            version_of("rustc", &["--version"]),
            version_of("cargo", &["fuzz", "--version"]),
        ],
        asan_note: None,
        profile_note: None,
    };
    let mut builds = vec![Build::Plain];
    if asan && nightly_available() {
        builds.push(Build::Asan);
        conditions
            .tools
            .push(version_of("rustc", &["+nightly", "--version"]));
    } else if asan {
        conditions.asan_note = Some("no nightly toolchain here".to_string());
    }
    let work = std::env::temp_dir().join(format!("fuzz-rate-{}", std::process::id()));
    let profiling = args.profile_seconds > 0 && perf_available();
    conditions.profile_note = Some(if profiling {
        format!(
            "Each target fuzzed once more for {} s from the same corpus under `perf record -F 999` \
             (stable, no sanitizer), `perf report --no-children --sort symbol` grouped by what \
             the symbols belong to; groups under 0.5% left out. The profile shows what bounds a \
             target's throughput.",
            args.profile_seconds
        )
    } else if args.profile_seconds == 0 {
        "Not profiled (`--profile-seconds 0`).".to_string()
    } else {
        "Not profiled: `perf` is not installed or not permitted here.".to_string()
    });
    let mut results = Vec::new();
    for build in builds {
        let targets: Vec<&String> = match build {
            Build::Plain => targets.iter().collect(),
            Build::Asan => targets.iter().filter(|t| *t == "diff_ops").collect(),
        };
        let only = (build == Build::Asan).then_some("diff_ops");
        let cmd = fuzz_build_command(build, &args.fuzz_dir, only);
        if args.dry_run {
            println!("{cmd}");
        } else {
            // A stale toolchain fingerprint can make stable cargo fuzz fail once: start clean.
            let _ = fs::remove_file(args.fuzz_dir.join("target/.rustc_info.json"));
            let (ok, log) = run_logged(&cmd)?;
            if !ok {
                return Err(format!("`{cmd}` failed:\n{log}"));
            }
        }
        for target in targets {
            let mut seeds = vec![args.corpus_dir.join(target)];
            let regressions = args.corpus_dir.join(REGRESSIONS_DIR).join(target);
            if regressions.is_dir() {
                seeds.push(regressions);
            }
            let mut runs = Vec::new();
            let mut ran = None;
            for run in 0..args.runs {
                let dir = work.join(format!("{target}-{run}"));
                let dict = match build {
                    Build::Plain => rate_dict(&args.fuzz_dir, target),
                    Build::Asan => None,
                };
                let cmd = fuzz_run_command(
                    build,
                    &args.fuzz_dir,
                    target,
                    &dir,
                    &seeds,
                    args.seconds,
                    dict.as_deref(),
                );
                if args.dry_run {
                    println!("{cmd}");
                    continue;
                }
                let _ = fs::remove_dir_all(&dir);
                fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
                let (ok, log) = run_logged(&cmd)?;
                let _ = fs::remove_dir_all(&dir);
                if !ok {
                    let lines: Vec<&str> = log.lines().collect();
                    let tail = lines[lines.len().saturating_sub(60)..].join("\n");
                    return Err(format!(
                        "`{cmd}` failed (a crash is a finding: see {}/artifacts/{target}):\n{tail}",
                        args.fuzz_dir.display()
                    ));
                }
                let rate = parse_rate(&log);
                match rate {
                    Some(r) => eprintln!(
                        "{target} ({}) run {}: {} exec/s ({} executions)",
                        build.label(),
                        run + 1,
                        r.per_sec,
                        r.executions
                    ),
                    None => eprintln!("{target} run {}: no final statistics", run + 1),
                }
                runs.push(rate);
                ran = parse_exit_stats(&log).or(ran);
            }
            let profile = if build == Build::Plain && profiling && !args.dry_run {
                profile_target(args, target, &seeds, &work)
            } else {
                None
            };
            results.push(TargetRates {
                target: target.clone(),
                build,
                runs,
                goal: goal(target, build),
                ran,
                profile,
            });
        }
    }
    if args.dry_run {
        return Ok(true);
    }
    let _ = fs::remove_dir_all(&work);
    conditions.load.1 = load_average();
    let mut md = fuzz_rate_markdown(&results, &conditions);
    // The section `fuzz-find` writes is carried over.
    if let Some(section) = fs::read_to_string(&args.out)
        .ok()
        .and_then(|old| evm_memory::harness::fuzz_find::find_section(&old).map(String::from))
    {
        md = evm_memory::harness::fuzz_find::replace_find_section(&md, &section);
    }
    if let Some(dir) = args.out.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    }
    fs::write(&args.out, &md).map_err(|e| format!("cannot write `{}`: {e}", args.out.display()))?;
    print!("{md}");
    println!("\nwrote {}", args.out.display());
    Ok(true)
}

/// One run of a built fuzz target for `fuzz-find`: the binary, its arguments and its
/// `EVM_MEMORY_ENGINES`.
struct FindRun {
    binary: PathBuf,
    args: Vec<String>,
    engines: Option<String>,
    /// Fresh directories the run uses (removed afterwards).
    dirs: Vec<PathBuf>,
}

/// Runs `run`: whether it exited successfully, its log and its wall time.
fn find_run(run: &FindRun) -> (bool, String, f64) {
    for d in &run.dirs {
        let _ = fs::remove_dir_all(d);
        let _ = fs::create_dir_all(d);
    }
    let mut cmd = std::process::Command::new(&run.binary);
    cmd.args(&run.args);
    match &run.engines {
        Some(e) => cmd.env(evm_memory::harness::engines::ENGINES_ENV, e),
        None => cmd.env_remove(evm_memory::harness::engines::ENGINES_ENV),
    };
    let started = std::time::Instant::now();
    let out = cmd.output();
    let secs = started.elapsed().as_secs_f64();
    for d in &run.dirs {
        let _ = fs::remove_dir_all(d);
    }
    match out {
        Ok(out) => {
            let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
            log.push_str(&String::from_utf8_lossy(&out.stderr));
            (out.status.success(), log, secs)
        }
        Err(e) => (
            false,
            format!("cannot run `{}`: {e}", run.binary.display()),
            secs,
        ),
    }
}

/// Runs `runs` on `jobs` threads; the results in the order of `runs`.
fn find_runs(runs: &[FindRun], jobs: usize) -> Vec<(bool, String, f64)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![None; runs.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(run) = runs.get(i) else { break };
                let result = find_run(run);
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or((false, "not run".into(), 0.0)))
        .collect()
}

/// `conformance fuzz-find`.
fn fuzz_find(args: &FuzzFindArgs) -> Result<bool, String> {
    use evm_memory::harness::fuzz_find::{
        find_markdown, hunt_end, hunt_selection, mutants_for, parse_work, replace_find_section,
        run_args, FindConditions, FindResults, Hunt, HuntEnd, WorkRate, FIND_BUILDS,
    };
    let write_section = |results: &FindResults| -> Result<bool, String> {
        let section = find_markdown(&results.hunts, &results.rates, &results.conditions);
        let text = fs::read_to_string(&args.out).unwrap_or_default();
        let md = replace_find_section(&text, &section);
        fs::write(&args.out, &md)
            .map_err(|e| format!("cannot write `{}`: {e}", args.out.display()))?;
        print!("{section}");
        println!("\nwrote {}", args.out.display());
        Ok(true)
    };
    if args.render {
        let text = fs::read_to_string(&args.json)
            .map_err(|e| format!("cannot read `{}`: {e}", args.json.display()))?;
        let results: FindResults = serde_json::from_str(&text)
            .map_err(|e| format!("`{}` is not a fuzz-find result: {e}", args.json.display()))?;
        return write_section(&results);
    }
    let toml_path = args.fuzz_dir.join("Cargo.toml");
    let toml = fs::read_to_string(&toml_path)
        .map_err(|e| format!("cannot read `{}`: {e}", toml_path.display()))?;
    let targets = if args.targets.is_empty() {
        fuzz_targets(&toml)
    } else {
        args.targets.clone()
    };
    let mut conditions = FindConditions {
        seconds: args.seconds,
        seeds: (1..=args.seeds).collect(),
        rate_seconds: args.rate_seconds,
        jobs: args.jobs,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        load: (load_average(), String::new()),
    };
    if !args.no_build {
        for build in FIND_BUILDS.iter().filter(|b| !b.dict) {
            let _ = fs::remove_file(args.fuzz_dir.join("target/.rustc_info.json"));
            let cmd = build.build_command(&args.fuzz_dir);
            let (ok, log) = run_logged(&cmd)?;
            if !ok {
                return Err(format!("`{cmd}` failed:\n{log}"));
            }
        }
    }
    let work = std::env::temp_dir().join(format!("fuzz-find-{}", std::process::id()));
    let binary = |build: evm_memory::harness::fuzz_find::FindBuild, target: &str| {
        build.binary(&args.fuzz_dir, target).ok_or_else(|| {
            format!(
                "no built `{target}` for the {} build under `{}` (build it, or drop --no-build)",
                build.label(),
                build.target_dir(&args.fuzz_dir).display()
            )
        })
    };
    let dict = |target: &str| {
        let path = args.fuzz_dir.join("dicts").join(format!("{target}.dict"));
        path.is_file().then_some(path)
    };
    // The hunts: every target, mutant, build and seed.
    let mut keys = Vec::new();
    let mut runs = Vec::new();
    for target in &targets {
        let Ok(mutants) = mutants_for(target) else {
            continue;
        };
        for mutant in &mutants {
            for build in FIND_BUILDS {
                let dict = if build.dict { dict(target) } else { None };
                if build.dict && dict.is_none() {
                    continue;
                }
                for &seed in &conditions.seeds {
                    let id = runs.len();
                    let corpus = work.join(format!("hunt-{id}"));
                    let artifacts = work.join(format!("hunt-{id}-artifacts"));
                    runs.push(FindRun {
                        binary: binary(build, target)?,
                        args: run_args(
                            &corpus,
                            &[],
                            seed,
                            args.seconds,
                            &artifacts,
                            dict.as_deref(),
                        ),
                        engines: Some(hunt_selection(target, mutant)),
                        dirs: vec![corpus, artifacts],
                    });
                    keys.push((target.clone(), mutant.clone(), build, seed));
                }
            }
        }
    }
    eprintln!(
        "{} hunts of at most {} s, {} at a time",
        runs.len(),
        args.seconds,
        args.jobs
    );
    let results = find_runs(&runs, args.jobs);
    let mut hunts = Vec::new();
    for ((target, mutant, build, seed), (ok, log, secs)) in keys.into_iter().zip(results) {
        let end = hunt_end(ok, &log, &mutant, secs);
        eprintln!(
            "{target} {mutant} ({}) seed {seed}: {}",
            build.label(),
            match &end {
                HuntEnd::Found {
                    seconds,
                    executions,
                } => format!("found in {seconds:.1} s, {executions} inputs"),
                HuntEnd::NotFound { executions } => format!("not found ({executions} inputs)"),
                HuntEnd::Other(_) => "another crash".to_string(),
            }
        );
        hunts.push(Hunt {
            target,
            mutant,
            build,
            seed,
            end,
        });
    }
    // Work per second: every target under every build, from its committed corpus.
    let mut rates = Vec::new();
    if args.rate_seconds > 0 {
        let mut keys = Vec::new();
        let mut runs = Vec::new();
        for target in &targets {
            let mut seeds = vec![args.corpus_dir.join(target)];
            let regressions = args.corpus_dir.join(REGRESSIONS_DIR).join(target);
            if regressions.is_dir() {
                seeds.push(regressions);
            }
            for build in FIND_BUILDS {
                let dict = if build.dict { dict(target) } else { None };
                if build.dict && dict.is_none() {
                    continue;
                }
                let id = runs.len();
                let corpus = work.join(format!("rate-{id}"));
                let artifacts = work.join(format!("rate-{id}-artifacts"));
                runs.push(FindRun {
                    binary: binary(build, target)?,
                    args: run_args(
                        &corpus,
                        &seeds,
                        1,
                        args.rate_seconds,
                        &artifacts,
                        dict.as_deref(),
                    ),
                    engines: None,
                    dirs: vec![corpus, artifacts],
                });
                keys.push((target.clone(), build));
            }
        }
        // One at a time: a rate is a throughput, which a second run beside it would share.
        for ((target, build), (ok, log, _)) in keys.into_iter().zip(find_runs(&runs, 1)) {
            if !ok {
                eprintln!("{target} ({}): the rate run failed:\n{log}", build.label());
            }
            let rate = parse_rate(&log);
            let work = parse_work(&log);
            eprintln!(
                "{target} ({}): {:?} exec/s, {:?} work/s",
                build.label(),
                rate.map(|r| r.per_sec),
                work
            );
            rates.push(WorkRate {
                target,
                build,
                exec_per_sec: rate.map(|r| r.per_sec),
                work_per_sec: work.map(|(w, unit)| (w, unit.to_string())),
            });
        }
    }
    let _ = fs::remove_dir_all(&work);
    conditions.load.1 = load_average();
    let results = FindResults {
        conditions,
        hunts,
        rates,
    };
    let json = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    fs::write(&args.json, json + "\n")
        .map_err(|e| format!("cannot write `{}`: {e}", args.json.display()))?;
    write_section(&results)
}

fn save_inputs(report: &evm_memory::harness::campaign::CampaignReport, dir: &Path) -> usize {
    let mut saved = 0;
    for (i, f) in report.divergences.reports.iter().enumerate() {
        if f.input.is_empty() && f.target.is_empty() {
            continue;
        }
        if fs::create_dir_all(dir).is_err() {
            return saved;
        }
        let path = dir.join(format!(
            "{:02}-{}-{}",
            i + 1,
            f.target,
            short_hash(&f.input)
        ));
        if fs::write(&path, &f.input).is_ok() {
            saved += 1;
        }
    }
    saved
}

fn fuzz_dir_arg(fuzz_dir: &Path) -> Option<&Path> {
    (fuzz_dir != Path::new("fuzz")).then_some(fuzz_dir)
}

fn count_files(dir: &Path) -> Option<usize> {
    fs::read_dir(dir).ok().map(|entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .count()
    })
}

/// `conformance fuzz-cores`: see [`cores_commands`].
fn fuzz_cores(
    target: &str,
    jobs: Option<usize>,
    seconds: u64,
    fuzz_dir: &Path,
    corpus_dir: &Path,
    dry_run: bool,
) -> Result<bool, String> {
    let jobs = jobs.unwrap_or_else(default_jobs);
    let nightly = nightly_available();
    if !nightly {
        println!("no nightly toolchain: running cargo fuzz on stable with `-s none`");
    }
    let work = std::env::temp_dir().join(format!(
        "evm-memory-fuzz-cores-{target}-{}",
        std::process::id()
    ));
    let dict = fuzz_dir.join("dicts").join(format!("{target}.dict"));
    let dict = dict.is_file().then_some(dict);
    let run = CoresRun {
        target,
        jobs,
        seconds,
        corpus_dir,
        work: &work,
        dict: dict.as_deref(),
    };
    let [fuzz, merge] = cores_commands(&run, nightly, fuzz_dir_arg(fuzz_dir));
    if dry_run {
        println!("{fuzz}\n{merge}");
        return Ok(true);
    }
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let committed = corpus_dir.join(target);
    let before = count_files(&committed).unwrap_or(0);
    println!("{fuzz}");
    let status = fuzz
        .to_command()
        .status()
        .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    let found = count_files(&work).unwrap_or(0);
    println!(
        "fuzzing ended ({status}); {found} new input(s) in {}",
        work.display()
    );
    println!("{merge}");
    let merged = merge
        .to_command()
        .status()
        .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    let after = count_files(&committed).unwrap_or(0);
    println!(
        "merged: {} input(s) added to {} ({before} → {after}); review with `git status {}`",
        after.saturating_sub(before),
        committed.display(),
        committed.display()
    );
    let _ = fs::remove_dir_all(&work);
    if !status.success() {
        eprintln!("the fuzzing run failed ({status}): see fuzz/artifacts/{target}/");
    }
    Ok(status.success() && merged.success())
}

fn cmin(
    targets: &[String],
    fuzz_dir: &Path,
    corpus_dir: &Path,
    dry_run: bool,
) -> Result<bool, String> {
    let toml_path = fuzz_dir.join("Cargo.toml");
    let targets = if targets.is_empty() {
        match fs::read_to_string(&toml_path) {
            Ok(text) => fuzz_targets(&text),
            Err(e) if dry_run => {
                eprintln!(
                    "note: cannot read `{}` ({e}); using the known targets",
                    toml_path.display()
                );
                CORPUS_TARGETS.iter().map(|t| t.to_string()).collect()
            }
            Err(e) => return Err(format!("cannot read `{}`: {e}", toml_path.display())),
        }
    } else {
        targets.to_vec()
    };
    if targets.is_empty() {
        return Err(format!(
            "no [[bin]] fuzz target in `{}`",
            toml_path.display()
        ));
    }
    let nightly = nightly_available();
    if !nightly {
        println!("no nightly toolchain: running cargo fuzz on stable with `-s none`");
    }
    let commands = cmin_commands(&targets, corpus_dir, nightly, fuzz_dir_arg(fuzz_dir));
    let mut ok = true;
    for (target, command) in targets.iter().zip(&commands) {
        let corpus = corpus_dir.join(target);
        let before = count_files(&corpus);
        if dry_run {
            println!("{command}");
            continue;
        }
        match before {
            None | Some(0) => {
                println!("{target}: no corpus at {}, skipped", corpus.display());
                continue;
            }
            Some(_) => {}
        }
        println!("$ {command}");
        let status = command
            .to_command()
            .status()
            .map_err(|e| format!("cannot run `{command}`: {e}"))?;
        let after = count_files(&corpus);
        if status.success() {
            println!(
                "{target}: {} -> {} files",
                before.unwrap_or(0),
                after.unwrap_or(0)
            );
        } else {
            ok = false;
            eprintln!("{target}: `{command}` failed ({status})");
        }
    }
    // cmin keeps only inputs that add coverage: put the named scenarios back.
    if dry_run {
        println!(
            "then: write-corpus --corpus-dir {} (the named scenarios are kept)",
            corpus_dir.display()
        );
    } else {
        let restored = write_corpus(corpus_dir, false)?;
        let copies = remove_scenario_copies(corpus_dir)?;
        println!(
            "{} named scenario file(s) kept ({} renamed copies removed)",
            restored.len(),
            copies.len()
        );
    }
    Ok(ok)
}

/// `true` when `tests_file` exists and has the `replay(target, name)` helper.
fn has_replay_helper(tests_file: &Path) -> bool {
    fs::read_to_string(tests_file).is_ok_and(|text| text.contains("fn replay("))
}

fn tmin(
    target: &str,
    artifact: &Path,
    fuzz_dir: &Path,
    corpus_dir: &Path,
    tests_file: &Path,
    dry_run: bool,
) -> Result<bool, String> {
    let nightly = nightly_available();
    let command = tmin_command(target, artifact, nightly, fuzz_dir_arg(fuzz_dir));
    let regressions = corpus_dir.join("regressions").join(target);
    if dry_run {
        println!("{command}");
        println!(
            "then: copy the newest {}/artifacts/{target}/minimized-from-* to {}/<short-hash>",
            fuzz_dir.display(),
            regressions.display()
        );
        let hash = fs::read(artifact)
            .map(|d| short_hash(&d))
            .unwrap_or_else(|_| "<hash>".into());
        println!(
            "and print{} a test such as:\n{}",
            if tests_file.exists() {
                format!(" (and append to {})", tests_file.display())
            } else {
                String::new()
            },
            regression_test_skeleton(
                target,
                &hash,
                &artifact.display().to_string(),
                has_replay_helper(tests_file)
            )
        );
        return Ok(true);
    }
    let started = SystemTime::now() - Duration::from_secs(1);
    println!("$ {command}");
    let status = command
        .to_command()
        .status()
        .map_err(|e| format!("cannot run `{command}`: {e}"))?;
    if !status.success() {
        return Err(format!("`{command}` failed ({status})"));
    }
    let artifacts = fuzz_dir.join("artifacts").join(target);
    let minimised = fs::read_dir(&artifacts)
        .map_err(|e| format!("cannot read `{}`: {e}", artifacts.display()))?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            (modified >= started && e.path().is_file()).then(|| (modified, e.path()))
        })
        .max()
        .map(|(_, p)| p)
        .ok_or_else(|| {
            format!(
                "no minimised artifact appeared in `{}`",
                artifacts.display()
            )
        })?;
    let data =
        fs::read(&minimised).map_err(|e| format!("cannot read `{}`: {e}", minimised.display()))?;
    let hash = short_hash(&data);
    fs::create_dir_all(&regressions)
        .map_err(|e| format!("cannot create `{}`: {e}", regressions.display()))?;
    let dest = regressions.join(&hash);
    fs::write(&dest, &data).map_err(|e| format!("cannot write `{}`: {e}", dest.display()))?;
    println!(
        "minimised input ({} bytes, from {}) saved as {}",
        data.len(),
        minimised.display(),
        dest.display()
    );
    let skeleton = regression_test_skeleton(
        target,
        &hash,
        &artifact.display().to_string(),
        has_replay_helper(tests_file),
    );
    println!("\ntest skeleton (fill in the root cause):\n{skeleton}");
    if tests_file.exists() {
        let mut text = fs::read_to_string(tests_file)
            .map_err(|e| format!("cannot read `{}`: {e}", tests_file.display()))?;
        if text.contains(&format!("fn regression_{target}_{hash}()")) {
            println!("{} already has this test", tests_file.display());
        } else {
            text.push_str(&skeleton);
            fs::write(tests_file, text)
                .map_err(|e| format!("cannot write `{}`: {e}", tests_file.display()))?;
            println!("appended to {}", tests_file.display());
        }
    }
    Ok(true)
}

/// `conformance trace`: the files named (or read from stdin) traced with `engine`.
fn trace(files: &[PathBuf], engine: &str) -> Result<bool, String> {
    use evm_memory::harness::clients::run::test_file;
    use evm_memory::harness::clients::{print_files, TraceEngine};
    use std::io::{BufRead, BufWriter};
    let engine = TraceEngine::by_name(engine)?;
    let mut steps = BufWriter::with_capacity(1 << 16, std::io::stderr().lock());
    let mut results = std::io::stdout().lock();
    let mut all_passed = true;
    let mut run = |path: &Path| -> Result<(), String> {
        let (passed, ran) = print_files(engine, &[test_file(path)], &mut steps, &mut results)?;
        all_passed &= passed == ran;
        Ok(())
    };
    if files.is_empty() {
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| format!("reading file names from stdin: {e}"))?;
            if !line.trim().is_empty() {
                run(Path::new(line.trim()))?;
            }
        }
    } else {
        for file in files {
            run(file)?;
        }
    }
    Ok(all_passed)
}

/// `conformance clients`: every client over the files of a folder, compared with MemoryEvm.
fn clients(args: &ClientsArgs) -> Result<bool, String> {
    use evm_memory::harness::clients::{compare_client, ClientSpec, ClientsReport, CompareConfig};
    use evm_memory::harness::statetest::discover;
    let specs = args
        .clients
        .iter()
        .map(|c| ClientSpec::parse(c))
        .collect::<Result<Vec<_>, _>>()?;
    let files: Vec<PathBuf> = discover(std::slice::from_ref(&args.dir))?
        .into_iter()
        .map(|f| f.path)
        .collect();
    if files.is_empty() {
        return Err(format!(
            "{}: no *.json state-test files",
            args.dir.display()
        ));
    }
    let config = CompareConfig {
        timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let mut runs = Vec::new();
    for spec in &specs {
        eprintln!(
            "{}: {} files through `{}`",
            spec.name,
            files.len(),
            spec.command
        );
        runs.push(compare_client(spec, &files, &config));
    }
    let report = ClientsReport {
        set: args.set.clone(),
        set_dir: args.dir.display().to_string(),
        runs,
    };
    print!("{}", report.divergences_text());
    print!("{}", report.summary_text());
    let mut ok = report.passed();
    if args.check {
        if let Err(why) = report.check_committed(&args.out_dir) {
            eprintln!("{why}");
            ok = false;
        }
    } else if !args.no_report {
        report.write(&args.out_dir)?;
    }
    Ok(ok)
}
