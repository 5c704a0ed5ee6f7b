//! Where a fuzz target's time goes: `perf record` of a built target fuzzing from its corpus,
//! `perf report`'s flat profile grouped into what a reader can act on (libFuzzer's
//! instrumentation, the engines' adapters, our memory's core, the oracle, the C library's
//! copies and comparisons, …). `conformance fuzz-rate` adds it to `reports/fuzz.md` for every
//! target, so that a throughput goal that is missed comes with what bounds it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::fuzz_command::FuzzCommand;

/// The groups a profile's symbols fall into, in the order they are tried: the first group one
/// of whose patterns a symbol contains takes its share.
pub const PROFILE_GROUPS: [(&str, &[&str]); 13] = [
    (
        "libFuzzer's comparison tracing (`-trace-compares`, cargo fuzz's default)",
        &["__sanitizer_cov_trace_"],
    ),
    (
        "libFuzzer's coverage and bookkeeping",
        &[
            "fuzzer::",
            "__sanitizer_cov",
            "__sanitizer_weak_hook",
            "__sancov",
        ],
    ),
    ("byte comparisons (`memcmp`, `bcmp`)", &["memcmp", "bcmp"]),
    (
        "copies and zeroing (`memmove`, `memcpy`, `memset`)",
        &["memmove", "memcpy", "memset"],
    ),
    (
        "the allocator",
        &[
            "malloc",
            "free",
            "realloc",
            "calloc",
            "_int_",
            "alloc::raw_vec",
        ],
    ),
    (
        "the `ours` and `ours-plain` adapters",
        &["harness::ops::engines::ours"],
    ),
    (
        "the `revm` adapter and revm's `SharedMemory`",
        &["harness::ops::engines::revm", "SharedMemory"],
    ),
    ("the reference model", &["harness::ops::engines::model"]),
    (
        "the oracle and observations",
        &[
            "harness::ops::oracle",
            "harness::ops::observation",
            "harness::ops::engine",
        ],
    ),
    (
        "decoding inputs (generators)",
        &[
            "harness::ops::generate",
            "harness::evm::generate",
            "harness::evm::compile",
        ],
    ),
    (
        "diff_evm: both EVMs, tracing and comparison",
        &["harness::evm", "revm_", "evm_memory::revm"],
    ),
    (
        "our memory's core and C interface (`evm_memory::…`)",
        &["evm_memory::"],
    ),
    ("the kernel", &["[k]"]),
];

/// What is left after [`PROFILE_GROUPS`].
pub const OTHER_GROUP: &str = "everything else";

/// `perf record` of the built fuzz target `binary` fuzzing for `seconds` from `seeds` (new
/// inputs go to `work`), call graphs off, into `data`.
pub fn perf_record_command(
    binary: &Path,
    data: &Path,
    work: &Path,
    seeds: &[PathBuf],
    seconds: u64,
) -> FuzzCommand {
    let mut args: Vec<String> = ["record", "-F", "999", "-o"]
        .into_iter()
        .map(String::from)
        .collect();
    args.push(data.to_string_lossy().into_owned());
    args.push("--".into());
    args.push(binary.to_string_lossy().into_owned());
    args.push(work.to_string_lossy().into_owned());
    args.extend(seeds.iter().map(|s| s.to_string_lossy().into_owned()));
    args.extend([
        format!("-max_total_time={seconds}"),
        "-rss_limit_mb=4096".into(),
    ]);
    FuzzCommand {
        program: "perf".into(),
        args,
    }
}

/// `perf report`'s flat profile of `data`, one line per symbol.
pub fn perf_report_command(data: &Path) -> FuzzCommand {
    let mut args: Vec<String> = [
        "report",
        "--no-children",
        "--sort",
        "symbol",
        "--stdio",
        "-i",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    args.push(data.to_string_lossy().into_owned());
    FuzzCommand {
        program: "perf".into(),
        args,
    }
}

/// One group's share of a profile, in percent of the samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    /// The group ([`PROFILE_GROUPS`] or [`OTHER_GROUP`]).
    pub group: &'static str,
    /// Its share, in percent.
    pub percent: f64,
    /// Its heaviest symbol and that symbol's share.
    pub top: (String, f64),
}

/// Groups the flat profile `report` (`perf report --no-children --sort symbol --stdio`) into
/// [`PROFILE_GROUPS`], heaviest first; groups with no samples are left out.
pub fn profile_shares(report: &str) -> Vec<Share> {
    let mut shares: Vec<Share> = Vec::new();
    for line in report.lines() {
        let line = line.trim();
        let Some((percent, rest)) = line.split_once('%') else {
            continue;
        };
        let Ok(percent) = percent.trim().parse::<f64>() else {
            continue;
        };
        let rest = rest.trim();
        // `[.] symbol` (user space) or `[k] symbol` (kernel).
        let kernel = rest.starts_with("[k]");
        let symbol = rest
            .get(3..)
            .unwrap_or("")
            .split("  ")
            .next()
            .unwrap_or("")
            .trim();
        let group = if kernel {
            "the kernel"
        } else {
            PROFILE_GROUPS
                .iter()
                .find(|(_, patterns)| patterns.iter().any(|p| symbol.contains(p)))
                .map_or(OTHER_GROUP, |(g, _)| *g)
        };
        match shares.iter_mut().find(|s| s.group == group) {
            Some(s) => {
                s.percent += percent;
                if percent > s.top.1 {
                    s.top = (symbol.to_string(), percent);
                }
            }
            None => shares.push(Share {
                group,
                percent,
                top: (symbol.to_string(), percent),
            }),
        }
    }
    shares.sort_by(|a, b| b.percent.total_cmp(&a.percent));
    shares
}

/// A symbol shortened for a table: generic arguments and the hash suffix dropped, at most 90
/// characters.
fn short_symbol(symbol: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in symbol.chars() {
        match c {
            '<' => {
                depth += 1;
                if depth == 1 {
                    out.push_str("<…>");
                }
            }
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = out.replace('|', "\\|");
    if out.chars().count() > 90 {
        let cut: String = out.chars().take(89).collect();
        format!("{cut}…")
    } else {
        out
    }
}

/// The profile of `target` as a Markdown table.
pub fn profile_markdown(target: &str, shares: &[Share]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#### `{target}`\n");
    let _ = writeln!(s, "| share | where | heaviest symbol |\n|---:|---|---|");
    for share in shares.iter().filter(|s| s.percent >= 0.5) {
        let _ = writeln!(
            s,
            "| {:.1}% | {} | `{}` ({:.1}%) |",
            share.percent,
            share.group,
            short_symbol(&share.top.0),
            share.top.1
        );
    }
    let _ = writeln!(s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_profile_is_grouped() {
        let report = "# Samples: 9K\n\
            #\n    22.20%  [.] __sanitizer_cov_trace_const_cmp8   -   -\n\
            \x20   10.38%  [.] __memcmp_evex_movbe   -   -\n\
            \x20    4.61%  [.] fuzzer::Fuzzer::RunOne(unsigned char const*)::{lambda}   -   -\n\
            \x20    4.48%  [.] <evm_memory::harness::ops::engines::ours::OursEngine as evm_memory::harness::ops::engine::Engine>::step   -   -\n\
            \x20    1.00%  [.] evm_memory::harness::ops::engines::ours::OursEngine::touch   -   -\n\
            \x20    1.13%  [k] exc_page_fault   -   -\n\
            \x20    0.26%  [.] evm_memory::context::<impl evm_memory::memory::Memory>::enter_child   -   -\n";
        let shares = profile_shares(report);
        let get = |g: &str| shares.iter().find(|s| s.group.starts_with(g)).unwrap();
        assert!((get("libFuzzer's comparison").percent - 22.2).abs() < 1e-9);
        assert!((get("byte comparisons").percent - 10.38).abs() < 1e-9);
        let ours = get("the `ours`");
        assert!((ours.percent - 5.48).abs() < 1e-9);
        assert!(ours.top.0.contains("OursEngine as"));
        assert!((get("the kernel").percent - 1.13).abs() < 1e-9);
        assert!((get("our memory's core").percent - 0.26).abs() < 1e-9);
        assert_eq!(shares[0].group, get("libFuzzer's comparison").group);
        let md = profile_markdown("diff_ops", &shares);
        assert!(
            md.contains("| 22.2% | libFuzzer's comparison tracing"),
            "{md}"
        );
        assert!(md.contains("`<…>::step`"), "{md}");
    }
}
