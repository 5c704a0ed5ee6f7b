//! Memories behind the C header, loaded by path (`c:PATH`), and crash isolation:
//!
//! * `our_cdylib_as_a_c_library_agrees`: this crate's own shared library
//!   (`target/<profile>/libevm_memory.so`, built into this test's own target directory when
//!   missing), loaded as `c:PATH`, agrees with the other engines over random cases and the
//!   scenarios; a case priced other than mainnet's is declined with its reason.
//! * `bad_libraries_are_clear_errors`: a missing file, a file that is not a library and a
//!   library that lacks a function are errors naming the file or the function, never panics.
//! * `a_crashing_engine_is_a_finding_and_the_campaign_goes_on`: an engine that aborts on some
//!   input, isolated in a child process (this test binary again), is reported with the case it
//!   crashed on, and the campaign ends with its report.
#![cfg(all(feature = "harness", unix))]

use std::path::{Path, PathBuf};
use std::process::Command;

use evm_memory::harness::campaign::{Budget, Campaign, CampaignConfig};
use evm_memory::harness::engine::FrameBytes;
use evm_memory::harness::engines::isolate::{serve, Isolated, CRASHED};
use evm_memory::harness::engines::{parse_engine_selection, CLibraryEngine};
use evm_memory::harness::{
    decode, Case, Engine, ModelEngine, Observation, Op, Oracle, OursEngine, RevmEngine,
};

fn library_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "libevm_memory.dylib"
    } else {
        "libevm_memory.so"
    }
}

/// This crate's shared library: next to this test's profile directory when `cargo test` built
/// it there, else built (default features) into this test's own target directory.
fn our_cdylib() -> PathBuf {
    if let Some(profile) = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
    {
        let lib = profile.join(library_name());
        if lib.is_file() {
            return lib;
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-library");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["rustc", "--lib", "--crate-type", "cdylib", "--quiet"])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the shared library failed");
    let lib = target_dir.join("debug").join(library_name());
    assert!(lib.is_file(), "{} was not built", lib.display());
    lib
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn our_cdylib_as_a_c_library_agrees() {
    let path = our_cdylib();
    let name = format!("c:{}", path.display());
    let selected = parse_engine_selection(&format!("ours,{name}")).unwrap();
    assert_eq!(selected, ["ours", name.as_str()]);
    let mut oracle = Oracle::new(vec![
        Box::new(OursEngine::new()),
        Box::new(RevmEngine::new()),
        Box::new(ModelEngine::new()),
        Box::new(CLibraryEngine::load(&path).unwrap()),
    ]);
    let mut ops = 0;
    let mut declined = 0;
    let mut state = 0xC11B_0A2Du64;
    for _ in 0..3_000 {
        let len = (xorshift(&mut state) % 1500) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
        let stats = oracle
            .run(&decode(&bytes))
            .unwrap_or_else(|d| panic!("the C library diverged:\n{d}"));
        ops += stats.ops;
        declined += stats.declined.values().sum::<u64>();
        for (engine, reason) in stats.declined.keys() {
            assert_eq!(*engine, name);
            assert!(reason.contains("mainnet"), "{reason}");
        }
    }
    for scenario in evm_memory::harness::scenarios::all() {
        if let Err(d) = oracle.run(&scenario.case) {
            panic!("scenario {}: the C library diverged:\n{d}", scenario.name);
        }
    }
    eprintln!("{ops} ops compared with {name}; {declined} cases declined (pricing)");
    assert!(ops > 10_000 && declined > 0);
}

#[test]
fn bad_libraries_are_clear_errors() {
    let e = CLibraryEngine::load(Path::new("/nonexistent/libnothing.so")).unwrap_err();
    assert!(
        e.to_string()
            .contains("c:/nonexistent/libnothing.so: cannot load"),
        "{e}"
    );
    let not_a_library = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let e = CLibraryEngine::load(&not_a_library).unwrap_err();
    assert!(
        e.to_string()
            .contains("Cargo.toml: cannot load it as a shared library"),
        "{e}"
    );
    let e = parse_engine_selection("ours,c:/nonexistent/libnothing.so").unwrap_err();
    assert!(e.contains("/nonexistent/libnothing.so"), "{e}");

    // A library that exports one function of the header: the next one is named.
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-library-partial");
    std::fs::create_dir_all(&work).unwrap();
    let source = work.join("partial.c");
    std::fs::write(
        &source,
        "int evm_memory_create(const void *config, void **out) { (void)config; (void)out; return 8; }\n",
    )
    .unwrap();
    let lib = work.join("libpartial.so");
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let built = Command::new(cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&source)
        .status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("no C compiler: the missing-symbol case is skipped");
        return;
    }
    let e = CLibraryEngine::load(&lib).unwrap_err();
    assert!(
        e.to_string()
            .contains("does not export `evm_memory_destroy`"),
        "{e}"
    );
}

/// Our memory, except that it aborts the process on an MSTORE8 of 0xAB (as the seed design
/// aborts on an offset overflow) and hangs on one of 0xCD.
struct Aborting(OursEngine);

impl Engine for Aborting {
    fn name(&self) -> &'static str {
        "aborting"
    }
    fn begin(&mut self, case: &Case) {
        self.0.begin(case);
    }
    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        if matches!(op, Op::MStore8 { value: 0xAB, .. }) {
            std::process::abort();
        }
        if matches!(op, Op::MStore8 { value: 0xCD, .. }) {
            // Hangs.
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
        self.0.step(case, op, obs);
    }
    fn frame_sizes(&self, out: &mut Vec<usize>) {
        self.0.frame_sizes(out);
    }
    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>> {
        self.0.frame(frame)
    }
}

const CHILD_ENV: &str = "EVM_MEMORY_TEST_ISOLATION_CHILD";

/// Serves [`Aborting`] when this binary runs as a parent's isolation child (does nothing in a
/// normal test run).
#[test]
fn isolation_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let _ = serve(
        Box::new(Aborting(OursEngine::new())),
        std::io::stdin().lock(),
        std::io::stdout().lock(),
    );
    std::process::exit(0);
}

fn isolated_aborting() -> Isolated {
    let exe = std::env::current_exe().unwrap();
    Isolated::new(Box::new(Aborting(OursEngine::new())), move || {
        let mut command = Command::new(&exe);
        command
            .args([
                "--exact",
                "isolation_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1");
        command
    })
}

#[test]
fn a_crashing_engine_is_a_finding_and_the_campaign_goes_on() {
    // One case: the engine is left out of it with the reason, the others are compared.
    let case = Case {
        ops: vec![Op::MStore8 {
            offset: evm_memory::harness::u(3),
            value: 0xAB,
        }],
        ..Case::default()
    };
    let mut oracle = Oracle::new(vec![
        Box::new(OursEngine::new()),
        Box::new(ModelEngine::new()),
        Box::new(isolated_aborting()),
    ]);
    let stats = oracle.run(&case).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(stats.declined.get(&("aborting", CRASHED)), Some(&1));
    let crashes = evm_memory::harness::engines::isolate::take_crashes();
    assert_eq!(crashes.len(), 1);
    assert!(crashes[0]
        .to_string()
        .contains("engine aborting crashed on case 1"));
    assert!(crashes[0].how.contains("signal 6"), "{}", crashes[0].how);
    // The next case runs with a fresh child, compared as usual.
    let fine = Case {
        ops: vec![Op::MStore8 {
            offset: evm_memory::harness::u(3),
            value: 1,
        }],
        ..Case::default()
    };
    let stats = oracle.run(&fine).unwrap_or_else(|d| panic!("{d}"));
    assert!(stats.declined.is_empty() && stats.ops == 1);

    // A child that hangs is killed at the time limit, and counts as crashed on the case.
    let hang = Case {
        ops: vec![Op::MStore8 {
            offset: evm_memory::harness::u(3),
            value: 0xCD,
        }],
        ..Case::default()
    };
    let mut oracle = Oracle::new(vec![
        Box::new(OursEngine::new()),
        Box::new(isolated_aborting().with_time_limit(std::time::Duration::from_secs(2))),
    ]);
    let stats = oracle.run(&hang).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(stats.declined.get(&("aborting", CRASHED)), Some(&1));
    let crashes = evm_memory::harness::engines::isolate::take_crashes();
    assert!(crashes[0].how.contains("time limit"), "{}", crashes[0].how);

    // A campaign over it ends with a report that names each crash with its case.
    let config = CampaignConfig {
        seed: 0xAB0127,
        budget: Budget::Sequences(300),
        corpus_dir: None,
        evm_programs: 0,
        ..CampaignConfig::default()
    };
    let factory = || -> Vec<Box<dyn Engine>> {
        vec![
            Box::new(OursEngine::new()),
            Box::new(ModelEngine::new()),
            Box::new(isolated_aborting().with_time_limit(std::time::Duration::from_secs(5))),
        ]
    };
    let report = Campaign::with_engines(config, Box::new(factory))
        .run()
        .expect("the campaign ends with a report");
    let crashes: Vec<_> = report
        .divergences
        .reports
        .iter()
        .filter(|f| f.kind == "crash")
        .collect();
    eprintln!(
        "{} failures, {} crashes reported; first: {}",
        report.divergences.count,
        crashes.len(),
        crashes
            .first()
            .map_or("-", |f| f.text.lines().next().unwrap_or(""))
    );
    assert!(!crashes.is_empty(), "no crash reported");
    assert!(crashes
        .iter()
        .all(|f| f.text.contains("engine aborting crashed on case")
            && f.text.contains("MStore8")
            && !f.input.is_empty()));
    assert_eq!(
        report.divergences.count,
        report.divergences.reports.len() as u64 + report.divergences.omitted
    );
    assert!(report.divergences.reports.iter().all(|f| f.kind == "crash"));
}
