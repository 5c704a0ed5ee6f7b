//! The conformance campaign: same seed, same report; the corpus replay counts every file; a
//! broken engine shows up as divergences; the `conformance` command's exit codes and workflows.
#![cfg(feature = "harness")]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use evm_memory::harness::campaign::{
    compare_reports, Budget, Campaign, CampaignConfig, CampaignReport, Timing,
    REVM_INTERPRETER_VERSION,
};
use evm_memory::harness::corpus::{list_corpus, remove_scenario_copies, write_corpus, CorpusError};
use evm_memory::harness::report::write_report;
use evm_memory::harness::{scenarios, Engine, ModelBugs, ModelEngine, OursEngine};

/// A fresh, empty directory under the system temp dir.
fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("evm-memory-campaign-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(sequences: u64, corpus_dir: Option<PathBuf>) -> CampaignConfig {
    CampaignConfig {
        seed: 0xC0FFEE,
        budget: Budget::Sequences(sequences),
        corpus_dir,
        // A few programs: a debug build runs them at a few milliseconds each.
        evm_programs: 40,
        ..CampaignConfig::default()
    }
}

/// The report without what may differ between two runs of the same campaign: timing, and the
/// reallocation counts that depend on where the allocator puts the buffer
/// (`ALLOCATOR_DEPENDENT_KEYS`).
fn without_timing(mut r: CampaignReport) -> CampaignReport {
    r.timing = Timing::default();
    for phase in [&mut r.stats.corpus, &mut r.stats.random, &mut r.stats.total] {
        phase.reach.child_reallocations = 0;
    }
    r
}

/// A small corpus: every named scenario, one raw input, one C API input, one regression.
fn small_corpus(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    write_corpus(&dir, false).unwrap();
    fs::create_dir_all(dir.join("memory_raw")).unwrap();
    fs::write(
        dir.join("memory_raw/raw1"),
        [1u8, 0, 0, 7, 7, 7, 3, 3, 1, 2, 0, 9],
    )
    .unwrap();
    fs::create_dir_all(dir.join("c_api")).unwrap();
    fs::write(dir.join("c_api/c1"), [0u8, 1, 2, 3, 4, 5, 6, 7]).unwrap();
    fs::create_dir_all(dir.join("regressions/diff_small")).unwrap();
    fs::write(dir.join("regressions/diff_small/0123abcd"), [5u8; 40]).unwrap();
    // Hidden files and Markdown notes are not corpus inputs.
    fs::write(dir.join("diff_ops/.gitkeep"), b"").unwrap();
    fs::write(dir.join("regressions/README.md"), b"# notes").unwrap();
    fs::write(dir.join("memory_raw/README.md"), b"# notes").unwrap();
    dir
}

#[test]
fn same_seed_same_report() {
    let corpus = small_corpus("determinism");
    let a = Campaign::new(config(300, Some(corpus.clone())))
        .run()
        .unwrap();
    let b = Campaign::new(config(300, Some(corpus.clone())))
        .run()
        .unwrap();
    assert!(a.passed(), "{:#?}", a.divergences);
    assert_eq!(a.random.sequences, 300);
    assert!(a.stats.total.ops > 0);
    assert_eq!(without_timing(a.clone()), without_timing(b.clone()));
    compare_reports(&a.to_json(), &b.to_json()).unwrap();

    // The files on disk: JSON equal but for timing, figures byte-identical.
    let (da, db) = (temp_dir("determinism-a"), temp_dir("determinism-b"));
    write_report(&a, &da).unwrap();
    write_report(&b, &db).unwrap();
    let read = |d: &Path, f: &str| fs::read_to_string(d.join(f)).unwrap();
    compare_reports(
        &read(&da, "conformance.json"),
        &read(&db, "conformance.json"),
    )
    .unwrap();
    for svg in ["expansion_gas.svg", "ops_per_kind.svg"] {
        assert!(
            read(&da, svg) == read(&db, svg),
            "{svg} differs between runs"
        );
        assert!(read(&da, svg).contains("<text"), "{svg} has no text");
    }
    assert!(read(&da, "conformance.md").contains("**PASS**"));

    // Another seed gives another report, and the comparison says where.
    let c = Campaign::new(CampaignConfig {
        seed: 1,
        ..config(300, Some(corpus.clone()))
    })
    .run()
    .unwrap();
    let diff = compare_reports(&a.to_json(), &c.to_json()).unwrap_err();
    assert!(
        diff.contains(".seed: committed \"0xc0ffee\", regenerated \"0x1\""),
        "{diff}"
    );

    for d in [corpus, da, db] {
        let _ = fs::remove_dir_all(d);
    }
}

#[test]
fn compare_ignores_only_timing() {
    let r = Campaign::new(config(20, None)).run().unwrap();
    let mut slower = r.clone();
    slower.timing.duration_secs += 100.0;
    slower.timing.ops_per_sec /= 3.0;
    compare_reports(&r.to_json(), &slower.to_json()).unwrap();
    let mut other = r.clone();
    other.stats.total.ops += 1;
    let diff = compare_reports(&r.to_json(), &other.to_json()).unwrap_err();
    assert!(diff.contains(".stats.total.ops"), "{diff}");
    assert!(compare_reports("not json", &r.to_json()).is_err());
}

#[test]
fn corpus_replay_counts_every_file() {
    let corpus = small_corpus("counts");
    let listed = list_corpus(&corpus).unwrap();
    let report = Campaign::new(config(0, Some(corpus.clone())))
        .run()
        .unwrap();
    assert!(report.passed(), "{:#?}", report.divergences);

    let all = scenarios::all();
    let per_target = |t: &str| all.iter().filter(|s| s.target == t).count() as u64;
    let files = &report.corpus.files;
    assert_eq!(files.get("diff_ops"), per_target("diff_ops"));
    assert_eq!(files.get("diff_small"), per_target("diff_small"));
    assert_eq!(files.get("memory_raw"), 1 + per_target("memory_raw"));
    assert_eq!(files.get("c_api"), 1 + per_target("c_api"));
    assert_eq!(files.get("regressions/diff_small"), 1);
    let programs = evm_memory::harness::evm::SCENARIOS.len() as u64;
    assert_eq!(files.get("diff_evm"), programs);
    assert_eq!(report.evm.corpus.programs, programs);
    assert!(report.evm.corpus.instructions > 0);
    assert_eq!(report.corpus.total_files, all.len() as u64 + 3 + programs);
    assert_eq!(report.corpus.total_files, listed.len() as u64);
    assert_eq!(files.total(), report.corpus.total_files);
    assert_eq!(
        report.corpus.raw_inputs,
        files.get("memory_raw") + files.get("c_api")
    );
    // Differential inputs went through the oracle, programs through the bytecode-level one;
    // nothing random ran.
    assert_eq!(
        report.stats.corpus.sequences,
        report.corpus.total_files - report.corpus.raw_inputs - programs
    );
    assert!(report.stats.corpus.ops > 0);
    assert_eq!(report.random.sequences, 0);
    assert_eq!(report.stats.random.ops, 0);
    let _ = fs::remove_dir_all(corpus);
}

#[test]
fn corpus_problems_are_errors_not_panics() {
    let missing = std::env::temp_dir().join("evm-memory-campaign-no-such-corpus");
    match Campaign::new(config(1, Some(missing))).run() {
        Err(CorpusError::CorpusMissing(_)) => {}
        other => panic!("expected CorpusMissing, got {other:?}"),
    }

    let corpus = temp_dir("unknown-target");
    fs::create_dir_all(corpus.join("regressions/nonsense")).unwrap();
    fs::write(corpus.join("regressions/nonsense/x"), b"1").unwrap();
    let err = Campaign::new(config(1, Some(corpus.clone())))
        .run()
        .unwrap_err();
    assert!(matches!(err, CorpusError::UnknownTarget { .. }), "{err}");
    let _ = fs::remove_dir_all(&corpus);

    #[cfg(unix)]
    {
        let corpus = temp_dir("dangling");
        fs::create_dir_all(corpus.join("diff_ops")).unwrap();
        std::os::unix::fs::symlink("/nonexistent/input", corpus.join("diff_ops/gone")).unwrap();
        let err = Campaign::new(config(1, Some(corpus.clone())))
            .run()
            .unwrap_err();
        assert!(matches!(err, CorpusError::CorpusUnreadable { .. }), "{err}");
        assert!(err.to_string().contains("gone"), "{err}");
        let _ = fs::remove_dir_all(&corpus);
    }
}

#[test]
fn broken_engine_gives_divergences() {
    let engines = || -> Vec<Box<dyn Engine>> {
        vec![
            Box::new(OursEngine::new()),
            Box::new(ModelEngine::with_bugs(ModelBugs {
                word: 16,
                ..Default::default()
            })),
        ]
    };
    let cfg = CampaignConfig {
        max_reported: 3,
        ..config(300, None)
    };
    let report = Campaign::with_engines(cfg, Box::new(engines))
        .run()
        .unwrap();
    assert!(!report.passed());
    assert!(report.divergences.count > 0);
    assert_eq!(report.engines, ["ours", "model"]);
    assert!(report.divergences.reports.len() <= 3);
    assert_eq!(
        report.divergences.count,
        report.divergences.reports.len() as u64 + report.divergences.omitted
    );
    let first = &report.divergences.reports[0];
    assert!(first.text.contains("DIVERGENCE at op #"), "{}", first.text);
    assert!(
        first.text.contains("fn divergence_repro()"),
        "{}",
        first.text
    );
    assert!(!first.input.is_empty() || first.kind == "sweep");
    assert!(report.to_json().contains("fn divergence_repro()"));
}

#[test]
fn revm_version_matches_the_cargo_toml_pin() {
    let toml = include_str!("../Cargo.toml");
    let pins: Vec<&str> = toml
        .lines()
        .filter(|l| l.trim_start().starts_with("revm-interpreter"))
        .filter_map(|l| l.split("version = \"=").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(
        !pins.is_empty(),
        "no `revm-interpreter = {{ version = \"=…\" }}` pin in Cargo.toml"
    );
    for pin in pins {
        assert_eq!(pin, REVM_INTERPRETER_VERSION);
    }
}

fn conformance(args: &[&str]) -> std::process::Output {
    // A campaign run gets a short spec phase (the default one takes minutes in a debug build).
    let mut all = args.to_vec();
    if args.first().is_some_and(|a| a.starts_with("--")) {
        all.extend(["--spec-sequences", "20"]);
    }
    Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(all)
        .output()
        .expect("the conformance binary runs")
}

#[test]
fn command_check_and_exit_codes() {
    let out = temp_dir("cli");
    let out_s = out.to_str().unwrap();
    let run = conformance(&[
        "--sequences",
        "200",
        "--no-corpus",
        "--quiet",
        "--out-dir",
        out_s,
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("conformance: PASS"), "{stdout}");
    for f in [
        "conformance.json",
        "conformance.md",
        "expansion_gas.svg",
        "ops_per_kind.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} not written");
    }

    let check = [
        "--sequences",
        "200",
        "--no-corpus",
        "--quiet",
        "--check",
        "--out-dir",
        out_s,
    ];
    let ok = conformance(&check);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("up to date"));

    // A stale report fails the check with the differing fields named.
    let mut check_other = check.to_vec();
    check_other[1] = "201";
    let stale = conformance(&check_other);
    assert_eq!(stale.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&stale.stderr);
    assert!(
        stderr.contains("check FAILED") && stderr.contains(".random.sequences"),
        "{stderr}"
    );

    // Bad arguments: clap's error, exit 2.
    assert_eq!(conformance(&["--sequences", "many"]).status.code(), Some(2));
    assert_eq!(
        conformance(&["--duration", "5 parsecs"]).status.code(),
        Some(2)
    );
    assert_eq!(
        conformance(&["--sequences", "3", "--duration", "1s"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        conformance(&["tmin", "no_such_target", "Cargo.toml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        conformance(&["tmin", "diff_ops", "/no/such/artifact"])
            .status
            .code(),
        Some(2)
    );

    // A missing corpus is reported, not a panic.
    let missing = conformance(&[
        "--sequences",
        "1",
        "--corpus-dir",
        "/no/such/corpus",
        "--out-dir",
        out_s,
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("corpus directory"));
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn command_corpus_workflows() {
    let corpus = temp_dir("workflows");
    let corpus_s = corpus.to_str().unwrap();
    let written = conformance(&["write-corpus", "--corpus-dir", corpus_s]);
    assert_eq!(written.status.code(), Some(0));
    for s in scenarios::all() {
        let bytes = fs::read(corpus.join(s.target).join(s.name)).unwrap();
        assert_eq!(
            s.decode(&bytes),
            s.case,
            "scenario {} does not round-trip",
            s.name
        );
    }

    // After cmin (which renames kept inputs to their SHA-1), copies of scenarios go.
    let copy = corpus.join("diff_ops/5eed5eed");
    fs::copy(corpus.join("diff_ops/seed_examples"), &copy).unwrap();
    fs::write(corpus.join("diff_ops/other"), b"another input").unwrap();
    assert_eq!(remove_scenario_copies(&corpus).unwrap(), vec![copy.clone()]);
    assert!(!copy.exists() && corpus.join("diff_ops/other").exists());
    assert!(corpus.join("diff_ops/seed_examples").exists());

    let cmin = conformance(&["cmin", "--dry-run", "--corpus-dir", corpus_s]);
    assert_eq!(cmin.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&cmin.stdout);
    for target in ["diff_ops", "diff_small", "memory_raw"] {
        let line = stdout
            .lines()
            .find(|l| {
                l.contains(&format!("cmin {target} ")) || l.contains(&format!("none {target} "))
            })
            .unwrap_or_else(|| panic!("no cmin command for {target} in:\n{stdout}"));
        assert!(line.starts_with("cargo "), "{line}");
        assert!(line.contains("fuzz cmin"), "{line}");
        assert!(line.ends_with(&format!("{corpus_s}/{target}")), "{line}");
    }

    let artifact = corpus.join("diff_ops/seed_examples");
    let tmin = conformance(&["tmin", "diff_ops", artifact.to_str().unwrap(), "--dry-run"]);
    assert_eq!(tmin.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&tmin.stdout);
    assert!(
        stdout.contains("fuzz tmin") && stdout.contains("diff_ops"),
        "{stdout}"
    );
    assert!(stdout.contains("fn regression_diff_ops_"), "{stdout}");
    assert!(stdout.contains("Root cause: TODO"), "{stdout}");
    let _ = fs::remove_dir_all(&corpus);
}

/// The default campaign's random phase reaches the paths a harness easily misses, and its
/// committed report (which `conformance --check` keeps up to date) says how often: zero-length
/// calls into our memory, frames of 2 MiB or more, reallocations inside children, call depth
/// 1,024 and CALLs failing there, RETURNDATACOPY in the root frame.
#[test]
fn the_default_campaign_reaches_the_blind_spots() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/conformance.json");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let random = &report["stats"]["random"];
    assert_eq!(
        random["max_depth"], 1024,
        "call depth 1,024 in the random phase"
    );
    assert!(random["max_frame_size"].as_u64().unwrap() >= 2 << 20);
    for key in [
        "zero_length_calls",
        "frames_of_2_mib",
        "child_reallocations",
        "depth_limit_sequences",
        "depth_limit_hits",
        "root_returndatacopies",
    ] {
        let n = random["reach"][key].as_u64().unwrap_or(0);
        assert!(n > 0, "the random phase never reached {key}");
    }
    assert_eq!(report["sweep"]["size_classes"]["mismatches"], 0);
    assert!(report["sweep"]["size_classes"]["words"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!(1u64 << 27)));
}
