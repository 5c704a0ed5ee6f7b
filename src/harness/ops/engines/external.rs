//! [`ExternalEngine`]: a memory in another process, any language, driven over the engine
//! protocol ([`protocol`](crate::harness::ops::protocol)) through its standard input and output.
//!
//! The process starts when the engine is first needed and is kept from case to case. A reader
//! thread turns its output into lines and a writer thread feeds its input, so that every wait
//! has a deadline (a per-case time limit, [`DEFAULT_TIMEOUT`] or `EVM_MEMORY_EXT_TIMEOUT`
//! seconds). Whatever goes wrong (the process does not start, exits, runs past the time limit,
//! replies something malformed or short, speaks another protocol version, or replies an error)
//! becomes an [`EngineFailure`] naming the engine, the op and what happened: the oracle counts
//! the case *not comparable* for that reason, the process is killed, and the next case starts a
//! fresh one.
//!
//! Its memory is bounded as well ([`MEMORY_LIMIT_ENV`], [`DEFAULT_MEMORY_LIMIT_MB`] by
//! default): an engine that grows past what a case pays for fails its allocation there (not
//! comparable, its standard error in the detail) instead of taking the machine with it.

use std::cell::{Ref, RefCell};
use std::io::{BufRead, BufReader, Read, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::ops::case::{Case, Op};
use crate::harness::ops::engine::{Engine, EngineFailure, FrameBytes};
use crate::harness::ops::observation::Observation;
use crate::harness::ops::protocol::{
    self, case_to_json, hello_from_json, observation_from_json, short, unhex, Hello,
    PROTOCOL_VERSION,
};

/// The per-case time limit when `EVM_MEMORY_EXT_TIMEOUT` does not set one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The environment variable holding the per-case time limit of external engines, in seconds.
pub const TIMEOUT_ENV: &str = "EVM_MEMORY_EXT_TIMEOUT";

/// The environment variable naming the `conformance` binary that `isolated:NAME` engines run
/// (`conformance serve NAME`); by default the running program when it is `conformance`, else
/// `target/release/conformance` or `target/debug/conformance` of this crate.
pub const CONFORMANCE_BIN_ENV: &str = "EVM_MEMORY_CONFORMANCE_BIN";

/// The environment variable naming the Python interpreter of the `spec` engine (by default
/// `target/spec-venv/bin/python` of this crate, which `.ci/spec-venv` makes).
pub const SPEC_PYTHON_ENV: &str = "EVM_MEMORY_SPEC_PYTHON";

/// The environment variable holding the memory limit of every engine process the harness
/// starts (external and isolated engines), in MiB; `0` for none.
pub const MEMORY_LIMIT_ENV: &str = "EVM_MEMORY_EXT_MEMORY_MB";

/// The memory limit of an engine process when [`MEMORY_LIMIT_ENV`] does not set one: 2 GiB,
/// eight times the per-case memory budget
/// ([`CASE_MEMORY_BUDGET`](crate::harness::budget::CASE_MEMORY_BUDGET)), room for an engine's
/// frames, its copies of them and its protocol text. An engine that grows past what the case
/// pays for (a memory that under-charges) fails its allocation there and is not comparable,
/// instead of taking the machine with it.
pub const DEFAULT_MEMORY_LIMIT_MB: u64 = 2048;

/// The memory limit of engine processes: [`MEMORY_LIMIT_ENV`] if set (`0`: none), else
/// [`DEFAULT_MEMORY_LIMIT_MB`]. (A value that is not a number counts as the default.)
pub fn memory_limit_from_env() -> Option<u64> {
    let mb = std::env::var(MEMORY_LIMIT_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_MEMORY_LIMIT_MB);
    (mb > 0).then_some(mb)
}

/// A command running `program` with `args` under a memory limit of `limit_mb` MiB (its data
/// segment, which on Linux covers the heap and every private writable mapping): through
/// `/bin/sh`'s `ulimit -d`, then `exec` (so the engine keeps the process, its pipes and its
/// exit status). Without a limit, or off Unix, the program itself.
///
/// An engine built with AddressSanitizer maps its shadow memory as data and cannot start under
/// such a limit: run it with `EVM_MEMORY_EXT_MEMORY_MB=0`.
pub fn limited_command<S: AsRef<std::ffi::OsStr>>(
    program: impl AsRef<std::ffi::OsStr>,
    args: impl IntoIterator<Item = S>,
    limit_mb: Option<u64>,
) -> Command {
    match limit_mb {
        Some(mb) if cfg!(unix) => {
            let mut cmd = Command::new("/bin/sh");
            cmd.arg("-c")
                .arg("ulimit -d \"$0\" || exit 125; exec \"$@\"")
                .arg((mb.saturating_mul(1024)).to_string())
                .arg(program)
                .args(args);
            cmd
        }
        _ => {
            let mut cmd = Command::new(program);
            cmd.args(args);
            cmd
        }
    }
}

/// The per-case time limit `EVM_MEMORY_EXT_TIMEOUT` sets, else [`DEFAULT_TIMEOUT`].
pub fn timeout_from_env() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64)
}

/// A running engine process and the threads around it.
struct Process {
    child: Child,
    to_engine: Option<Sender<String>>,
    from_engine: Receiver<Line>,
    stderr: Arc<Mutex<String>>,
    /// Disconnects when the thread reading standard error has read all of it.
    stderr_done: Receiver<()>,
}

/// What the reader thread saw: a line, or the end of the output (with an error, if any).
enum Line {
    Text(String),
    End(Option<String>),
}

/// Most bytes of the engine's standard error kept for error messages (its tail).
const STDERR_TAIL: usize = 2000;

impl Process {
    fn start(
        program: &str,
        args: &[String],
        env: &[(String, String)],
        limit_mb: Option<u64>,
    ) -> Result<Self, String> {
        let mut child = limited_command(program, args, limit_mb)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `{program}`: {e}"))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the process's pipes are missing".to_string());
        };
        let (to_engine, lines_in) = mpsc::channel::<String>();
        thread::spawn(move || {
            let mut stdin = std::io::BufWriter::new(stdin);
            for line in lines_in {
                if stdin.write_all(line.as_bytes()).is_err() || stdin.flush().is_err() {
                    break;
                }
            }
        });
        let (lines_out, from_engine) = mpsc::channel::<Line>();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) => {
                        let _ = lines_out.send(Line::End(None));
                        break;
                    }
                    Ok(_) => {
                        if lines_out.send(Line::Text(line)).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = lines_out.send(Line::End(Some(e.to_string())));
                        break;
                    }
                }
            }
        });
        let tail = Arc::new(Mutex::new(String::new()));
        let keep = Arc::clone(&tail);
        let (stderr_open, stderr_done) = mpsc::channel::<()>();
        thread::spawn(move || {
            // Dropped when the loop ends: the sign that all of standard error has been read.
            let _open = stderr_open;
            let mut stderr = stderr;
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut t) = keep.lock() {
                    t.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if t.len() > 2 * STDERR_TAIL {
                        let cut = t.len() - STDERR_TAIL;
                        let cut = (cut..t.len())
                            .find(|&i| t.is_char_boundary(i))
                            .unwrap_or(t.len());
                        t.drain(..cut);
                    }
                }
            }
        });
        Ok(Self {
            child,
            to_engine: Some(to_engine),
            from_engine,
            stderr: tail,
            stderr_done,
        })
    }

    fn send(&self, line: String) {
        if let Some(tx) = &self.to_engine {
            // A closed pipe shows as the end of the output, which every send waits for.
            let _ = tx.send(line);
        }
    }

    /// Waits (a bounded time: a grandchild may hold the pipe open) until standard error has
    /// been read to its end, so that the last words of an engine that exited are in the tail.
    fn wait_for_stderr(&self, limit: Duration) {
        let _ = self.stderr_done.recv_timeout(limit);
    }

    /// The engine's standard error so far, its tail, trimmed.
    fn stderr_tail(&self) -> String {
        let text = self.stderr.lock().map(|t| t.clone()).unwrap_or_default();
        let text = text.trim();
        let start = text.len().saturating_sub(STDERR_TAIL);
        let start = (start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        text[start..].to_string()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.to_engine = None;
        // Give a well-behaved engine a moment to exit on the closed input, then kill it.
        let until = Instant::now() + Duration::from_millis(200);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the engine keeps between calls (behind a `RefCell`: the oracle asks for frames
/// through `&self`).
struct State {
    process: Option<Process>,
    hello: Option<Hello>,
    failure: Option<EngineFailure>,
    deadline: Instant,
    /// Index of the next op of the case.
    op_index: usize,
    /// Every open frame's size after the last step, once asked.
    sizes: Option<Vec<usize>>,
    /// Bytes asked after the last step: `(frame, from, to)` and what came back.
    bytes: Vec<AskedBytes>,
    /// Processes started (the first, and one after every failure that needed it).
    starts: u64,
}

/// Bytes asked of a frame: `(frame, from, to)` and what came back (`None`: not open).
type AskedBytes = ((usize, usize, usize), Option<Vec<u8>>);

/// A memory in another process, driven over the engine protocol
/// ([`protocol`](crate::harness::ops::protocol)). The process starts when the engine is first
/// needed and is kept from case to case; every wait has the case's deadline; whatever goes
/// wrong becomes an [`EngineFailure`] (the case is not comparable) and the next case starts a
/// fresh process.
pub struct ExternalEngine {
    name: &'static str,
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    timeout: Duration,
    memory_limit: Option<u64>,
    state: RefCell<State>,
}

impl std::fmt::Debug for ExternalEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalEngine")
            .field("name", &self.name)
            .field("program", &self.program)
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

impl ExternalEngine {
    /// An engine called `name` that runs `program` with `args`, with the time limit of
    /// [`timeout_from_env`]. Nothing starts until the engine is first needed.
    pub fn new(name: &'static str, program: &str, args: &[String]) -> Self {
        Self {
            name,
            program: program.to_string(),
            args: args.to_vec(),
            env: Vec::new(),
            timeout: timeout_from_env(),
            memory_limit: memory_limit_from_env(),
            state: RefCell::new(State {
                process: None,
                hello: None,
                failure: None,
                deadline: Instant::now(),
                op_index: 0,
                sizes: None,
                bytes: Vec::new(),
                starts: 0,
            }),
        }
    }

    /// An engine called `name` that runs `command`, split at whitespace (no quoting).
    ///
    /// # Errors
    /// When `command` is empty.
    pub fn from_command(name: &'static str, command: &str) -> Result<Self, String> {
        let mut words = command.split_whitespace().map(String::from);
        let program = words
            .next()
            .ok_or_else(|| format!("engine `{name}`: empty command"))?;
        let args: Vec<String> = words.collect();
        Ok(Self::new(name, &program, &args))
    }

    /// The same engine with `key=value` in its process's environment (e.g. the spec driver's
    /// deliberate bug, `EVM_MEMORY_SPEC_BUG`).
    #[must_use]
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// The same engine with its process's memory limited to `limit_mb` MiB (`None`: no
    /// limit); by default [`memory_limit_from_env`].
    #[must_use]
    pub fn with_memory_limit(mut self, limit_mb: Option<u64>) -> Self {
        self.memory_limit = limit_mb;
        self
    }

    /// The same engine with a per-case time limit of `timeout`.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The engine `name` (one of the engines this crate builds) run in a child process through
    /// `conformance serve NAME`, called `isolated:NAME`: what crashes or hangs there is a
    /// failure of that engine, not of the harness.
    ///
    /// # Errors
    /// When no `conformance` binary is found ([`CONFORMANCE_BIN_ENV`]).
    pub fn isolated(name: &str) -> Result<Self, String> {
        let bin = conformance_bin()?;
        let full = super::intern(&format!("isolated:{name}"));
        Ok(Self::new(
            full,
            &bin.to_string_lossy(),
            &["serve".to_string(), name.to_string()],
        ))
    }

    /// The execution specs as an engine: `python/spec_engine.py` of this crate under the
    /// interpreter of [`SPEC_PYTHON_ENV`] (by default the virtual environment `.ci/spec-venv`
    /// makes).
    pub fn spec() -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let python = std::env::var(SPEC_PYTHON_ENV).unwrap_or_else(|_| {
            root.join("target/spec-venv/bin/python")
                .to_string_lossy()
                .into_owned()
        });
        let script = root.join("python/spec_engine.py");
        Self::new("spec", &python, &[script.to_string_lossy().into_owned()])
    }

    /// The engine's hello, starting it when it is not running.
    ///
    /// # Errors
    /// Why it could not start or greet ([`EngineFailure`]).
    pub fn hello(&self) -> Result<Hello, EngineFailure> {
        let mut state = self.state.borrow_mut();
        self.ensure_started(&mut state)?;
        state
            .hello
            .clone()
            .ok_or_else(|| self.fail_now("did not start", "no hello"))
    }

    /// Processes started so far: the first, and one more after each failure that ended one.
    pub fn starts(&self) -> u64 {
        self.state.borrow().starts
    }

    fn fail_now(&self, reason: &'static str, what: &str) -> EngineFailure {
        EngineFailure {
            reason,
            detail: format!(
                "engine `{}` (`{}`): {reason}: {what}",
                self.name,
                self.command_line()
            ),
        }
    }

    fn command_line(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Starts the process and reads its hello, when none is running.
    fn ensure_started(&self, state: &mut State) -> Result<(), EngineFailure> {
        if state.process.is_some() {
            return Ok(());
        }
        state.hello = None;
        state.starts += 1;
        let process = Process::start(&self.program, &self.args, &self.env, self.memory_limit)
            .map_err(|e| self.fail_now("did not start", &e))?;
        state.process = Some(process);
        state.deadline = Instant::now() + self.timeout;
        let line = match self.read_line(state, "its hello") {
            Ok(line) => line,
            Err(mut failure) => {
                if failure.reason == "exited" || failure.reason == "timed out" {
                    failure.reason = "did not start";
                    failure.detail = failure.detail.replacen(": exited", ": did not start", 1);
                }
                state.process = None;
                return Err(failure);
            }
        };
        let hello = hello_from_json(&line).map_err(|e| {
            state.process = None;
            self.fail_now("malformed reply", &format!("hello {}: {e}", short(&line)))
        })?;
        if hello.protocol != PROTOCOL_VERSION {
            state.process = None;
            return Err(self.fail_now(
                "protocol version",
                &format!(
                    "speaks protocol {}, the harness speaks {PROTOCOL_VERSION}",
                    hello.protocol
                ),
            ));
        }
        state.hello = Some(hello);
        Ok(())
    }

    /// Reads one reply (a JSON object) before the case's deadline; `what` names what was
    /// awaited. Any failure kills the process.
    fn read_line(&self, state: &mut State, what: &str) -> Result<Value, EngineFailure> {
        let Some(process) = state.process.as_mut() else {
            return Err(self.fail_now("exited", "no process"));
        };
        let wait = state.deadline.saturating_duration_since(Instant::now());
        let result = match process.from_engine.recv_timeout(wait) {
            Ok(Line::Text(text)) => match serde_json::from_str::<Value>(text.trim_end()) {
                Ok(v) if v.is_object() => Ok(v),
                Ok(v) => Err((
                    "malformed reply",
                    format!("{what}: not an object: {}", short(&v)),
                )),
                Err(e) => {
                    let shown: String = text.trim_end().chars().take(120).collect();
                    Err((
                        "malformed reply",
                        format!("{what}: not JSON ({e}): `{shown}`"),
                    ))
                }
            },
            Ok(Line::End(error)) => {
                // Give it a moment to be reaped, for its exit status.
                let mut status = None;
                for _ in 0..50 {
                    if let Ok(Some(s)) = process.child.try_wait() {
                        status = Some(s);
                        break;
                    }
                    thread::sleep(Duration::from_millis(2));
                }
                let status = status.map_or("still running".to_string(), |s| s.to_string());
                process.wait_for_stderr(Duration::from_millis(500));
                let stderr = process.stderr_tail();
                Err((
                    "exited",
                    format!(
                        "output ended while waiting for {what} ({status}{}){}",
                        error.map(|e| format!(", {e}")).unwrap_or_default(),
                        if stderr.is_empty() {
                            String::new()
                        } else {
                            format!("; its standard error ends with:\n{stderr}")
                        }
                    ),
                ))
            }
            Err(RecvTimeoutError::Timeout) => Err((
                "timed out",
                format!(
                    "no reply within the case's time limit of {:?} while waiting for {what} \
                     (killed)",
                    self.timeout
                ),
            )),
            Err(RecvTimeoutError::Disconnected) => Err(("exited", format!("{what}: gone"))),
        };
        match result {
            Ok(v) => match v.get("error") {
                Some(e) => {
                    state.process = None;
                    let text = e.as_str().map_or_else(|| short(e), String::from);
                    Err(self.fail_now("engine error", &format!("{what}: {text}")))
                }
                None => Ok(v),
            },
            Err((reason, detail)) => {
                state.process = None;
                Err(self.fail_now(reason, &detail))
            }
        }
    }

    /// Sends `request` and reads its reply, recording a failure (and returning `None`) when
    /// there is no good one.
    fn ask(&self, state: &mut State, request: &Value, what: &str) -> Option<Value> {
        if state.failure.is_some() {
            return None;
        }
        let Some(process) = state.process.as_ref() else {
            state.failure = Some(self.fail_now("exited", &format!("{what}: not running")));
            return None;
        };
        process.send(format!("{request}\n"));
        match self.read_line(state, what) {
            Ok(v) => Some(v),
            Err(f) => {
                state.failure = Some(f);
                None
            }
        }
    }

    fn malformed(&self, state: &mut State, what: &str, error: &str) {
        state.process = None;
        state.failure = Some(self.fail_now("malformed reply", &format!("{what}: {error}")));
    }

    fn op_text(state: &State) -> String {
        format!("op #{}", state.op_index.saturating_sub(1))
    }

    /// The bytes `from..to` of open frame `frame` after the last step (asked once, then kept).
    fn fetch(&self, frame: usize, from: usize, to: usize) -> Option<usize> {
        let mut state = self.state.borrow_mut();
        let key = (frame, from, to);
        if let Some(i) = state.bytes.iter().position(|(k, _)| *k == key) {
            return Some(i);
        }
        let what = format!(
            "the bytes {from}..{to} of frame {frame} after {}",
            Self::op_text(&state)
        );
        let reply = self.ask(&mut state, &json!({ "bytes": [frame, from, to] }), &what)?;
        let bytes = match reply.get("bytes") {
            Some(Value::Null) => None,
            Some(b) => match unhex(b) {
                Ok(b) if b.len() <= to.saturating_sub(from) => Some(b),
                Ok(b) => {
                    let e = format!("{} bytes, more than asked", b.len());
                    self.malformed(&mut state, &what, &e);
                    return None;
                }
                Err(e) => {
                    self.malformed(&mut state, &what, &e);
                    return None;
                }
            },
            None => {
                self.malformed(
                    &mut state,
                    &what,
                    &format!("no `bytes` in {}", short(&reply)),
                );
                return None;
            }
        };
        state.bytes.push((key, bytes));
        Some(state.bytes.len() - 1)
    }

    fn lend(&self, index: usize) -> Option<FrameBytes<'_>> {
        let state = self.state.borrow();
        state.bytes.get(index)?.1.as_ref()?;
        Some(FrameBytes::Cell(Ref::map(state, |s| {
            s.bytes[index].1.as_deref().unwrap_or(&[])
        })))
    }
}

/// The `conformance` binary that runs `isolated:NAME` engines ([`CONFORMANCE_BIN_ENV`]).
///
/// # Errors
/// When none is found.
pub fn conformance_bin() -> Result<PathBuf, String> {
    if let Ok(bin) = std::env::var(CONFORMANCE_BIN_ENV) {
        return Ok(PathBuf::from(bin));
    }
    if let Ok(exe) = std::env::current_exe() {
        if exe.file_stem().is_some_and(|s| s == "conformance") {
            return Ok(exe);
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for profile in ["release", "debug"] {
        let bin = root.join("target").join(profile).join("conformance");
        if bin.is_file() {
            return Ok(bin);
        }
    }
    Err(format!(
        "no `conformance` binary for an isolated engine: build it (cargo build --release \
         --features harness --bin conformance) or set {CONFORMANCE_BIN_ENV}"
    ))
}

impl Engine for ExternalEngine {
    fn name(&self) -> &'static str {
        self.name
    }

    fn begin(&mut self, case: &Case) {
        let mut state = self.state.borrow_mut();
        state.failure = None;
        state.op_index = 0;
        state.sizes = None;
        state.bytes.clear();
        if let Err(f) = self.ensure_started(&mut state) {
            state.failure = Some(f);
            return;
        }
        state.deadline = Instant::now() + self.timeout;
        if let Some(p) = &state.process {
            p.send(format!("{}\n", json!({ "case": case_to_json(case) })));
        }
    }

    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        obs.clear();
        let mut state = self.state.borrow_mut();
        let index = state.op_index;
        state.op_index += 1;
        state.sizes = None;
        state.bytes.clear();
        if state.failure.is_some() {
            obs.ended = true;
            return;
        }
        let what = format!("the observation of op #{index}");
        // The op goes along when it is not the case's (a caller running ops of its own).
        let request = if case.ops.get(index) == Some(op) {
            json!({ "step": index })
        } else {
            json!({ "step": index, "op": protocol::op_to_json(op) })
        };
        let Some(reply) = self.ask(&mut state, &request, &what) else {
            obs.ended = true;
            return;
        };
        if let Err(e) = observation_from_json(&reply, obs) {
            self.malformed(&mut state, &what, &format!("{e} in {}", short(&reply)));
            obs.clear();
            obs.ended = true;
        }
    }

    fn frame_sizes(&self, out: &mut Vec<usize>) {
        let mut state = self.state.borrow_mut();
        if state.sizes.is_none() {
            let what = format!("the frame sizes after {}", Self::op_text(&state));
            let Some(reply) = self.ask(&mut state, &json!({ "sizes": true }), &what) else {
                return;
            };
            let sizes = reply.get("sizes").and_then(Value::as_array).and_then(|a| {
                a.iter()
                    .map(|n| n.as_u64().and_then(|n| usize::try_from(n).ok()))
                    .collect::<Option<Vec<usize>>>()
            });
            match sizes {
                Some(sizes) => state.sizes = Some(sizes),
                None => {
                    let e = format!("no `sizes` list in {}", short(&reply));
                    self.malformed(&mut state, &what, &e);
                    return;
                }
            }
        }
        out.extend_from_slice(state.sizes.as_deref().unwrap_or(&[]));
    }

    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>> {
        let index = self.fetch(frame, 0, usize::MAX >> 1)?;
        self.lend(index)
    }

    fn frame_range(&self, frame: usize, range: Range<usize>) -> Option<FrameBytes<'_>> {
        let index = self.fetch(frame, range.start, range.end)?;
        self.lend(index)
    }

    fn declines(&self, case: &Case) -> Option<&'static str> {
        // An engine that cannot start declines nothing: its failure shows at `begin`.
        let caps = self.hello().ok()?.capabilities;
        protocol::declines(caps, case)
    }

    fn failure(&self) -> Option<EngineFailure> {
        self.state.borrow().failure.clone()
    }
}
