//! `MemoryEvm` against stock revm on the whole state-test suite (`../shared/ethereum-tests`,
//! or `EVM_MEMORY_STATETESTS`, or a path given on the command line), side by side in one run:
//!
//! * **whole process**: the runner (`run_paths`: parse, run, check roots, one worker) over
//!   the whole suite with one engine per process, the engines alternating, one warm-up pair and
//!   then `--whole-runs` pairs (default 3); each child reports its wall time and its peak
//!   resident memory (`VmHWM`); the medians and their ratio;
//! * **per file**: each file's runnable cases, set up once (parsing excluded), committed by
//!   each EVM on fresh pre-states `--runs` times (default 3), the engines alternating; the
//!   fastest pass per engine, and the peak heap bytes above the pass's start (a counting
//!   allocator around the system one, `realloc` kept in place as the system does it).
//!
//! Writes `target/bench-statetests.json` (`--out`), which `python3 benches/report.py` turns
//! into section 9 of `reports/bench.md`: the totals, the ten worst ratios in time and in
//! memory, and how many files are above the goal.
//!
//! Run: `cargo bench --features harness --bench statetests` (about two minutes here).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use evm_memory::harness::statetest::{
    discover, engines_by_name, locate_statetests, prepare_cases, run_paths, Evm, RunConfig,
};

/// The system allocator, counting the bytes allocated now and at the most.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    CURRENT.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds as it does for `System`; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `layout` are passed on.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, that is by `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; `new_size` is the caller's, valid for `layout.align()`.
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What the command line asks for.
struct Args {
    path: Option<PathBuf>,
    out: PathBuf,
    runs: usize,
    whole_runs: usize,
    /// Set in a child: run the whole suite with this engine and report.
    child: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        path: None,
        out: PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()))
            .join("bench-statetests.json"),
        runs: 3,
        whole_runs: 3,
        child: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            // What `cargo bench` passes to every bench binary.
            "--bench" => {}
            "--out" => args.out = value("--out")?.into(),
            "--runs" => args.runs = number(&value("--runs")?)?,
            "--whole-runs" => args.whole_runs = number(&value("--whole-runs")?)?,
            "--child" => args.child = Some(value("--child")?),
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            path => args.path = Some(path.into()),
        }
    }
    Ok(args)
}

fn number(text: &str) -> Result<usize, String> {
    match text.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{text:?} is not a positive number")),
    }
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("statetests bench: {why}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let dir = match &args.path {
        Some(path) => path.clone(),
        None => match locate_statetests() {
            Ok(dir) => dir,
            Err(why) => {
                eprintln!("statetests bench SKIPPED: {why}");
                return Ok(());
            }
        },
    };
    if let Some(engine) = &args.child {
        return child(engine, &dir);
    }
    let whole = whole_process(&dir, args.whole_runs)?;
    let files = per_file(&dir, args.runs)?;
    let json = serde_json::json!({
        "path": dir.display().to_string(),
        "runs": args.runs,
        "whole_runs": args.whole_runs,
        "whole": whole,
        "files": files,
    });
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&json).unwrap())
        .map_err(|e| format!("{}: {e}", args.out.display()))?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

/// In a child process: the runner over `dir` with `engine` alone, one worker, no report; prints
/// `{"wall_s": …, "peak_rss_kib": …, "cases": …}`.
fn child(engine: &str, dir: &std::path::Path) -> Result<(), String> {
    let started = Instant::now();
    let engines = engines_by_name(&[engine.to_string()])?;
    let config = RunConfig {
        jobs: 1,
        ..RunConfig::default()
    };
    let report = run_paths(&[dir.to_path_buf()], &engines, &config)?;
    let wall = started.elapsed().as_secs_f64();
    if !report.passed() {
        return Err(format!("{engine}: the state tests failed"));
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    println!(
        "{}",
        serde_json::json!({"wall_s": wall, "peak_rss_kib": peak_kib, "cases": report.totals.passed})
    );
    Ok(())
}

/// Whole-process runs, the engines alternating: a warm-up pair, then `runs` pairs.
fn whole_process(dir: &std::path::Path, runs: usize) -> Result<serde_json::Value, String> {
    let me = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    let mut samples: Vec<(String, f64, u64)> = Vec::new();
    for round in 0..=runs {
        for engine in ["ours", "revm"] {
            let output = Command::new(&me)
                .arg("--child")
                .arg(engine)
                .arg(dir)
                .output()
                .map_err(|e| format!("cannot start {}: {e}", me.display()))?;
            if !output.status.success() {
                return Err(format!(
                    "the {engine} child failed ({}): {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
            let line = String::from_utf8_lossy(&output.stdout);
            let v: serde_json::Value = serde_json::from_str(line.trim())
                .map_err(|e| format!("the {engine} child printed {line:?}: {e}"))?;
            let (wall, rss) = (
                v["wall_s"].as_f64().unwrap_or(0.0),
                v["peak_rss_kib"].as_u64().unwrap_or(0),
            );
            eprintln!(
                "whole suite, {engine}{}: {wall:.2} s, peak RSS {} MiB",
                if round == 0 { " (warm-up)" } else { "" },
                rss / 1024
            );
            if round > 0 {
                samples.push((engine.to_string(), wall, rss));
            }
        }
    }
    let median = |engine: &str, pick: &dyn Fn(&(String, f64, u64)) -> f64| {
        let mut v: Vec<f64> = samples.iter().filter(|s| s.0 == engine).map(pick).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let runs_of = |engine: &str| -> Vec<serde_json::Value> {
        samples
            .iter()
            .filter(|s| s.0 == engine)
            .map(|s| serde_json::json!({"wall_s": s.1, "peak_rss_kib": s.2}))
            .collect()
    };
    Ok(serde_json::json!({
        "ours": {"wall_s": median("ours", &|s| s.1), "peak_rss_kib": median("ours", &|s| s.2 as f64), "runs": runs_of("ours")},
        "revm": {"wall_s": median("revm", &|s| s.1), "peak_rss_kib": median("revm", &|s| s.2 as f64), "runs": runs_of("revm")},
    }))
}

/// Per file: the fastest of `runs` passes per engine and the peak heap of a pass.
fn per_file(dir: &std::path::Path, runs: usize) -> Result<Vec<serde_json::Value>, String> {
    let files = discover(&[dir.to_path_buf()])?;
    let mut out = Vec::new();
    let started = Instant::now();
    for file in &files {
        let cases = match prepare_cases(file) {
            Ok(cases) if !cases.is_empty() => cases,
            // Skipped or unreadable files are the runner's to report.
            _ => continue,
        };
        let mut best = [Duration::MAX; 2];
        let mut peak = [0usize; 2];
        for _ in 0..runs {
            for (i, evm) in [Evm::Ours, Evm::Revm].into_iter().enumerate() {
                let base = CURRENT.load(Ordering::Relaxed);
                PEAK.store(base, Ordering::Relaxed);
                let t = Instant::now();
                for case in &cases {
                    std::hint::black_box(case.transact(evm));
                }
                best[i] = best[i].min(t.elapsed());
                peak[i] = peak[i].max(PEAK.load(Ordering::Relaxed) - base);
            }
        }
        out.push(serde_json::json!({
            "file": file.name,
            "cases": cases.len(),
            "ours_s": best[0].as_secs_f64(),
            "revm_s": best[1].as_secs_f64(),
            "ours_peak_bytes": peak[0],
            "revm_peak_bytes": peak[1],
        }));
    }
    eprintln!(
        "per file: {} files in {:.1} s",
        out.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}
