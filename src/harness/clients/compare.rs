//! A client's traces against ours, step by step ([`compare_client`]).
//!
//! The client runs over all the files at once ([`ClientProcess`]); its lines are read as they
//! come and each step is checked against our trace of the same case (made with
//! [`CompactSink`], one small record per step) as soon as it arrives, so that nothing of the
//! client's trace is kept but the step being compared (and, for a divergence, the first
//! differing step). Compared: depth, pc, op, gas, memSize, the memory where the client prints
//! it (by digest), whether there is an error, the number of steps, and the closing lines
//! (output, gas used, error, state root) and the per-file results (`pass`), after the
//! conventions of [`normalise`](super::normalise).
//!
//! A client that exits before a file's last case ends, that stays silent for longer than the
//! per-file timeout, or whose lines do not parse makes that file *not comparable*; it is
//! started again on the files after it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::compact::{CompactSink, FullStep, OurStep};
use super::eip3155::{parse_line, ClientStep, Line};
use super::normalise::{final_differences, normalise_step, same_error, skip_our_step};
use super::process::{ClientProcess, Next};
use super::run::{test_file, trace_case, CaseEnd, TraceEngine};
use crate::harness::evm::{digest, disassemble};
use crate::harness::statetest::prepared::{prepare_cases, PreparedCase};

/// A client: its name in reports and the command that runs it (under `sh -c`, file names on
/// stdin, EIP-3155 on stdout or stderr).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSpec {
    /// Name in reports.
    pub name: String,
    /// The command.
    pub command: String,
}

/// The folder of the execution specs' virtual environment: `$EVM_MEMORY_SPEC_VENV`, else
/// `target/spec-venv` (as `.ci/spec-venv` makes it).
pub fn spec_venv() -> PathBuf {
    std::env::var_os("EVM_MEMORY_SPEC_VENV")
        .map_or_else(|| PathBuf::from("target/spec-venv"), PathBuf::from)
}

impl ClientSpec {
    /// `NAME=COMMAND`, or the name of a built-in client (`eels`: `ethereum-spec-evm statetest
    /// --json` from the specs' virtual environment, see [`spec_venv`]).
    ///
    /// # Errors
    /// No `=` and not a built-in name, or an empty name or command.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some((name, command)) = text.split_once('=') {
            let (name, command) = (name.trim(), command.trim());
            if name.is_empty() || command.is_empty() {
                return Err(format!("`{text}`: expected NAME=COMMAND"));
            }
            return Ok(Self {
                name: name.to_string(),
                command: command.to_string(),
            });
        }
        match text.trim() {
            "eels" => {
                let venv = spec_venv();
                let tool = venv.join("bin/ethereum-spec-evm");
                if !tool.is_file() {
                    return Err(format!(
                        "eels: {} does not exist (run `bash .ci/spec-venv` first)",
                        tool.display()
                    ));
                }
                Ok(Self {
                    name: "eels".into(),
                    command: format!("{} statetest --json", tool.display()),
                })
            }
            other => Err(format!(
                "`{other}`: expected NAME=COMMAND or a built-in client (eels)"
            )),
        }
    }

    /// The shell command that runs `file` through this client alone.
    pub fn rerun(&self, file: &Path) -> String {
        format!("printf '%s\\n' '{}' | {}", file.display(), self.command)
    }
}

/// The first step where a client and ours differ, in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The file.
    pub file: String,
    /// The case (`test :: fork`).
    pub case: String,
    /// What differs (`step 12: memory`, `closing line: gasUsed`, …).
    pub what: String,
    /// The step (0-based) where it does, when it is a step.
    pub step: Option<usize>,
    /// Our step there, in full (memory, stack, code), when there is one.
    pub ours: Option<FullStep>,
    /// The client's step there, when it printed one.
    pub client: Option<ClientStep>,
    /// Our code at that step disassembled, the instruction marked.
    pub disassembly: String,
    /// The command that reruns the file with the client alone.
    pub rerun: String,
}

/// What became of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileVerdict {
    /// Every case agreed.
    Agreed,
    /// A case differed (the first one).
    Diverged(Box<Divergence>),
    /// The client could not be compared on it (crash, timeout, unreadable output).
    NotComparable(String),
}

/// A client's run over a set of files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientRun {
    /// The client.
    pub name: String,
    /// Its command.
    pub command: String,
    /// Per file, in order.
    pub files: Vec<(String, FileVerdict)>,
    /// Steps compared (both sides printed them and they were checked).
    pub steps_compared: u64,
    /// Memories compared (steps where the client printed the memory).
    pub memories_compared: u64,
    /// Cases compared to their end.
    pub cases: u64,
    /// Times the client was started.
    pub starts: u64,
}

impl ClientRun {
    /// Files that agreed.
    pub fn agreed(&self) -> usize {
        self.files
            .iter()
            .filter(|(_, v)| matches!(v, FileVerdict::Agreed))
            .count()
    }

    /// The divergences.
    pub fn divergences(&self) -> Vec<&Divergence> {
        self.files
            .iter()
            .filter_map(|(_, v)| match v {
                FileVerdict::Diverged(d) => Some(&**d),
                _ => None,
            })
            .collect()
    }

    /// Files that could not be compared, with why.
    pub fn not_comparable(&self) -> Vec<(&str, &str)> {
        self.files
            .iter()
            .filter_map(|(f, v)| match v {
                FileVerdict::NotComparable(why) => Some((f.as_str(), why.as_str())),
                _ => None,
            })
            .collect()
    }
}

/// Where a client step differs from ours: the names of the differing fields.
fn step_differences(ours: &OurStep, client: &ClientStep) -> Vec<&'static str> {
    let mut out = Vec::new();
    if u64::from(ours.depth) != client.depth {
        out.push("depth");
    }
    if u64::from(ours.pc) != client.pc {
        out.push("pc");
    }
    if ours.op != client.op {
        out.push("op");
    }
    if ours.gas != client.gas {
        out.push("gas");
    }
    if ours.mem_size != client.mem_size {
        out.push("memSize");
    }
    if let Some(memory) = &client.memory {
        if !(memory.is_empty() && ours.mem_size == 0) && digest(memory) != ours.mem_digest {
            out.push("memory");
        }
    }
    if !same_error(ours.error.as_deref(), client.error.as_deref()) {
        out.push("error");
    }
    out
}

/// Our trace of one case.
struct OurCase {
    case: PreparedCase,
    /// Our steps.
    steps: Vec<OurStep>,
    end: CaseEnd,
}

/// What reading one case of the client's output ended with.
enum CaseRead {
    /// Its `stateRoot` line came.
    Done(Option<Box<Divergence>>),
    /// The client stopped (why).
    Stopped(String, bool),
}

/// Settings of a comparison.
#[derive(Clone, Debug)]
pub struct CompareConfig {
    /// How long a client may take over one file.
    pub timeout: Duration,
}

impl Default for CompareConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
        }
    }
}

/// A divergence at our step `index` of `ours`, with our step re-run in full and disassembled.
fn divergence(
    file: &Path,
    client_spec: &ClientSpec,
    ours: &OurCase,
    what: String,
    index: Option<usize>,
    client: Option<ClientStep>,
) -> Box<Divergence> {
    let full = index.and_then(|i| {
        let (sink, _) = trace_case(TraceEngine::Ours, &ours.case, CompactSink::capture_at(i));
        sink.captured
    });
    let disassembly = full
        .as_ref()
        .map(|f| disassemble(&f.code, Some(f.pc)))
        .unwrap_or_default();
    Box::new(Divergence {
        file: file.display().to_string(),
        case: format!("{} :: {}", ours.case.test, ours.case.fork),
        what,
        step: index,
        ours: full,
        client,
        disassembly,
        rerun: client_spec.rerun(file),
    })
}

/// Reads one case of the client's output and compares it with `ours`.
fn read_case(
    process: &mut ClientProcess,
    deadline: Instant,
    file: &Path,
    spec: &ClientSpec,
    ours: &OurCase,
    run: &mut ClientRun,
) -> CaseRead {
    // `index` counts the client's steps, `at` ours.
    let (mut index, mut at) = (0usize, 0usize);
    let mut found: Option<Box<Divergence>> = None;
    let mut last = None;
    // Our steps that a client may leave out (see `skip_our_step`) are passed over unless the
    // client's step is that very step.
    let pass_over = |at: &mut usize, client: Option<&ClientStep>| {
        while let Some(our) = ours.steps.get(*at) {
            let same = client.is_some_and(|c| {
                c.depth == u64::from(our.depth) && c.pc == u64::from(our.pc) && c.op == our.op
            });
            if skip_our_step(our) && !same {
                *at += 1;
            } else {
                break;
            }
        }
    };
    loop {
        let text = match process.next_line(deadline) {
            Next::Line(text) => text,
            Next::Eof => {
                return CaseRead::Stopped("the client exited before the case ended".into(), false)
            }
            Next::Timeout => return CaseRead::Stopped("timed out".into(), true),
        };
        let line = match parse_line(&text) {
            Ok(line) => line,
            Err(e) => return CaseRead::Stopped(format!("unreadable line: {e}"), true),
        };
        match line {
            Line::Other => {}
            Line::Step(mut step) => {
                if found.is_none() {
                    normalise_step(&mut step);
                    pass_over(&mut at, Some(&step));
                    match ours.steps.get(at) {
                        Some(our) => {
                            let fields = step_differences(our, &step);
                            run.steps_compared += 1;
                            run.memories_compared += u64::from(step.memory.is_some());
                            if !fields.is_empty() {
                                let what = format!("step {index}: {}", fields.join(", "));
                                found =
                                    Some(divergence(file, spec, ours, what, Some(at), Some(step)));
                            }
                        }
                        None => {
                            let what = format!(
                                "step {index}: the client runs on past our last step ({} steps)",
                                ours.steps.len()
                            );
                            found = Some(divergence(file, spec, ours, what, None, Some(step)));
                        }
                    }
                    at += 1;
                }
                index += 1;
            }
            Line::Final(final_line) => last = Some(final_line),
            Line::StateRoot(root) => {
                if found.is_none() {
                    pass_over(&mut at, None);
                }
                if found.is_none() && at < ours.steps.len() {
                    let what = format!(
                        "step {index}: the client's trace ends ({index} steps, ours {})",
                        ours.steps.len()
                    );
                    found = Some(divergence(file, spec, ours, what, Some(at), None));
                }
                if found.is_none() {
                    let mut fields: Vec<String> = last
                        .as_ref()
                        .map(|l| final_differences(&ours.end, l))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(f, a, b)| format!("{f} (ours {a}, client {b})"))
                        .collect();
                    if root != ours.end.state_root {
                        fields.push(format!(
                            "stateRoot (ours {}, client {root})",
                            ours.end.state_root
                        ));
                    }
                    if !fields.is_empty() {
                        let what = format!("closing lines: {}", fields.join("; "));
                        found = Some(divergence(file, spec, ours, what, None, None));
                    }
                }
                return CaseRead::Done(found);
            }
        }
    }
}

/// Runs `spec` over `files` and compares every step with ours (see the module's
/// documentation). Files whose cases we cannot set up are not comparable.
pub fn compare_client(spec: &ClientSpec, files: &[PathBuf], config: &CompareConfig) -> ClientRun {
    let mut run = ClientRun {
        name: spec.name.clone(),
        command: spec.command.clone(),
        ..ClientRun::default()
    };
    let mut next = 0;
    while next < files.len() {
        let mut process = match ClientProcess::spawn(&spec.command, &files[next..]) {
            Ok(p) => p,
            Err(why) => {
                for file in &files[next..] {
                    run.files.push((
                        file.display().to_string(),
                        FileVerdict::NotComparable(why.clone()),
                    ));
                }
                break;
            }
        };
        run.starts += 1;
        let mut kill = false;
        // Per case of this process, in order: (file index, our verdict on `pass`).
        let mut passes: Vec<(usize, bool)> = Vec::new();
        while next < files.len() {
            let file = &files[next];
            let name = file.display().to_string();
            let cases = match prepare_cases(&test_file(file)) {
                Ok(cases) if !cases.is_empty() => cases,
                Ok(_) => {
                    // The client still reads the file: its output for it cannot be placed.
                    run.files
                        .push((name, FileVerdict::NotComparable("no case we run".into())));
                    kill = true;
                    next += 1;
                    break;
                }
                Err(why) => {
                    run.files.push((name, FileVerdict::NotComparable(why)));
                    kill = true;
                    next += 1;
                    break;
                }
            };
            let deadline = Instant::now() + config.timeout;
            let mut verdict = FileVerdict::Agreed;
            let mut stopped = false;
            for case in cases {
                let (sink, end) = trace_case(TraceEngine::Ours, &case, CompactSink::default());
                let ours = OurCase {
                    case,
                    steps: sink.steps,
                    end,
                };
                match read_case(&mut process, deadline, file, spec, &ours, &mut run) {
                    CaseRead::Done(found) => {
                        run.cases += 1;
                        passes.push((next, ours.end.pass));
                        if let (Some(d), FileVerdict::Agreed) = (found, &verdict) {
                            verdict = FileVerdict::Diverged(d);
                        }
                    }
                    CaseRead::Stopped(why, must_kill) => {
                        verdict = FileVerdict::NotComparable(why);
                        kill = must_kill;
                        stopped = true;
                        break;
                    }
                }
            }
            run.files.push((name, verdict));
            next += 1;
            if stopped {
                break;
            }
        }
        let (_, results) = process.finish(kill, config.timeout);
        // The per-case results the client printed, matched in order when they all came.
        if results.len() == passes.len() {
            for ((index, ours_pass), result) in passes.iter().zip(&results) {
                let client_pass = result.get("pass").and_then(serde_json::Value::as_bool);
                if client_pass.is_some_and(|p| p != *ours_pass) {
                    if let Some((file, verdict @ FileVerdict::Agreed)) = run.files.get_mut(*index) {
                        *verdict = FileVerdict::Diverged(Box::new(Divergence {
                            file: file.clone(),
                            case: String::new(),
                            what: format!(
                                "results: the client says pass={}, ours {ours_pass}",
                                !ours_pass
                            ),
                            step: None,
                            ours: None,
                            client: None,
                            disassembly: String::new(),
                            rerun: spec.rerun(Path::new(file)),
                        }));
                    }
                }
            }
        }
    }
    run
}
