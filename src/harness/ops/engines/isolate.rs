//! Crash isolation for engines that can take the process down (a foreign library that aborts,
//! as the seed design does on an offset overflow, or crashes): [`Isolated`] runs every case
//! through its engine in a child process first, and only a case the child survived through
//! the engine in-process, where the oracle compares it.
//!
//! The child is any program that calls [`serve`] with the engine: the `conformance` command's
//! hidden `isolate ENGINE` subcommand for an engine built by name, or a test binary for a
//! planted one. It reads cases from standard input (a length as 4 little-endian bytes, then the
//! case in the generator's byte format, [`encode`]) and answers each with a line
//! ending with [`ANSWER`] once the engine has run it to the end (other lines, such as a test
//! harness's chatter, are skipped). A child that dies instead (a signal, an abort, any exit) has
//! crashed on that case: the engine is left out of the case (it *declines* it, with the reason
//! [`CRASHED`], and the other engines are compared), the crash is recorded with the case
//! ([`take_crashes`]: the campaign reports each as a failure, with the case's reproducer), and
//! a fresh child serves the next case. A child that takes longer than the per-case time limit
//! ([`CASE_TIME_LIMIT`]) over a case is killed and counts as crashed on it. A case the byte
//! format cannot hold runs in-process without the screen.
//!
//! It costs a round trip and a second run per case; the campaign isolates `c:PATH` engines
//! only. (A later protocol for external engines can serve the same role: this module keeps
//! to the minimum, one request and one line per case.)

use std::cell::RefCell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::harness::ops::budget::{Growth, Quote};
use crate::harness::ops::case::{Case, Op};
use crate::harness::ops::engine::{Engine, FrameBytes, Reach};
use crate::harness::ops::generate::{decode, encode};
use crate::harness::ops::observation::Observation;
use crate::harness::ops::oracle::Oracle;

/// The line a child writes after each case it ran.
pub const ANSWER: &str = "isolate: ok";

/// The decline reason of a case on which an isolated engine's child crashed (or ran past the
/// per-case time limit).
pub const CRASHED: &str = "crashed in its child process (a finding: see the failures)";

/// How long a child may take over one case before it is killed and the case counts as a
/// crash ([`Isolated::with_time_limit`] to change it).
pub const CASE_TIME_LIMIT: Duration = Duration::from_secs(30);

/// A crash of an isolated engine on a case.
#[derive(Clone, Debug)]
pub struct Crash {
    /// The engine's name.
    pub engine: &'static str,
    /// How the child ended (a signal, an exit status, or an I/O failure).
    pub how: String,
    /// The case it crashed on.
    pub case: Case,
    /// The case in the generator's byte format (what a corpus file holds).
    pub input: Vec<u8>,
    /// Cases this engine's children had been given before, in all (the crash is on case
    /// `index + 1`).
    pub index: u64,
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "engine {} crashed on case {} ({}): not comparable for it; the other engines were \
             compared",
            self.engine,
            self.index + 1,
            self.how
        )
    }
}

thread_local! {
    static CRASHES: RefCell<Vec<Crash>> = const { RefCell::new(Vec::new()) };
}

/// The crashes recorded on this thread since the last call, oldest first.
pub fn take_crashes() -> Vec<Crash> {
    CRASHES.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

/// Serves `engine` to a parent [`Isolated`]: reads cases from `input` until it ends, runs each
/// through the engine alone (with the oracle's bounds, so that a runaway is stopped here too)
/// and answers [`ANSWER`] on `output` after each. A crash of the engine ends the process, which is
/// the point.
///
/// # Errors
/// Reading `input` or writing `output` failed (a parent gone).
pub fn serve(
    engine: Box<dyn Engine>,
    mut input: impl Read,
    mut output: impl Write,
) -> io::Result<()> {
    let mut oracle = Oracle::new(vec![engine]);
    let mut bytes = Vec::new();
    loop {
        let mut len = [0u8; 4];
        match input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        bytes.clear();
        bytes.resize(u32::from_le_bytes(len) as usize, 0);
        input.read_exact(&mut bytes)?;
        // Whatever the verdict (one engine compares nothing but the rules), the engine ran.
        let _ = oracle.run(&decode(&bytes));
        writeln!(output, "{ANSWER}")?;
        output.flush()?;
    }
}

/// A running child, its output read line by line by a thread of its own (so that a child
/// that hangs can be waited for with a time limit).
struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

/// An engine run in-process only on cases a child process running it survived (see the
/// [module](self) documentation).
pub struct Isolated {
    inner: Box<dyn Engine>,
    command: Box<dyn Fn() -> Command>,
    worker: RefCell<Option<Worker>>,
    cases: std::cell::Cell<u64>,
    time_limit: Duration,
    /// The last case screened (its bytes) and the verdict: the oracle asks twice per case.
    last: RefCell<(Vec<u8>, Option<&'static str>)>,
}

impl fmt::Debug for Isolated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Isolated")
            .field("engine", &self.inner.name())
            .finish_non_exhaustive()
    }
}

impl Isolated {
    /// `inner`, screened by children that `command` starts (each must [`serve`] the same
    /// engine).
    pub fn new(inner: Box<dyn Engine>, command: impl Fn() -> Command + 'static) -> Self {
        Self {
            inner,
            command: Box::new(command),
            worker: RefCell::new(None),
            cases: std::cell::Cell::new(0),
            time_limit: CASE_TIME_LIMIT,
            last: RefCell::new((Vec::new(), None)),
        }
    }

    /// The engine with a per-case time limit of `limit` instead of [`CASE_TIME_LIMIT`].
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    /// `inner` (built by name as `name`), screened by `conformance isolate NAME` children of
    /// the running `conformance` executable.
    ///
    /// # Errors
    /// The path of the running executable is unknown.
    pub fn by_name(inner: Box<dyn Engine>, name: &str) -> io::Result<Self> {
        let exe = std::env::current_exe()?;
        let name = name.to_string();
        Ok(Self::new(inner, move || {
            let mut command = Command::new(&exe);
            command.arg("isolate").arg(&name);
            command
        }))
    }

    fn start(&self) -> io::Result<Worker> {
        // The child's memory is bounded as an external engine's is (`EVM_MEMORY_EXT_MEMORY_MB`).
        let command = (self.command)();
        let mut limited = super::external::limited_command(
            command.get_program(),
            command.get_args(),
            super::external::memory_limit_from_env(),
        );
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => limited.env(key, value),
                None => limited.env_remove(key),
            };
        }
        let mut child = limited
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let (send, lines) = channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            while matches!(stdout.read_line(&mut line), Ok(n) if n > 0) {
                if send.send(std::mem::take(&mut line)).is_err() {
                    break;
                }
            }
        });
        Ok(Worker {
            child,
            stdin,
            lines,
        })
    }

    /// Runs `bytes` in the child: `Ok` when it answered, else how it ended.
    fn screen(&self, bytes: &[u8]) -> Result<(), String> {
        let mut slot = self.worker.borrow_mut();
        if slot.is_none() {
            *slot = Some(
                self.start()
                    .map_err(|e| format!("its child process did not start: {e}"))?,
            );
        }
        let worker = slot.as_mut().ok_or("no child")?;
        let len = u32::try_from(bytes.len()).map_err(|_| "case too large".to_string())?;
        let sent = worker
            .stdin
            .write_all(&len.to_le_bytes())
            .and_then(|()| worker.stdin.write_all(bytes))
            .and_then(|()| worker.stdin.flush());
        let mut timed_out = false;
        if sent.is_ok() {
            let deadline = Instant::now() + self.time_limit;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match worker.lines.recv_timeout(left) {
                    // Whatever precedes it on the line is chatter too.
                    Ok(line) if line.trim_end().ends_with(ANSWER) => return Ok(()),
                    Ok(_) => {}
                    Err(RecvTimeoutError::Timeout) => {
                        timed_out = true;
                        break;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        }
        // The child is gone (or talks nonsense): how it ended, and a fresh one next time.
        let Some(mut worker) = slot.take() else {
            return Err("no child".into());
        };
        drop(worker.stdin);
        let _ = worker.child.kill();
        let how = match worker.child.wait() {
            Ok(_) if timed_out => format!(
                "ran past the per-case time limit of {:?} and was killed",
                self.time_limit
            ),
            Ok(status) => describe(status),
            Err(e) => format!("could not be waited for: {e}"),
        };
        Err(how)
    }
}

/// How a child ended, in words.
fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                6 => " (SIGABRT: an abort)",
                11 => " (SIGSEGV)",
                9 => " (SIGKILL)",
                4 => " (SIGILL)",
                7 => " (SIGBUS)",
                _ => "",
            };
            return format!("killed by signal {signal}{name}");
        }
    }
    format!("its child process ended: {status}")
}

impl Drop for Isolated {
    fn drop(&mut self) {
        if let Some(mut worker) = self.worker.get_mut().take() {
            drop(worker.stdin);
            let _ = worker.child.wait();
        }
    }
}

impl Engine for Isolated {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// What the engine declines, else [`CRASHED`] when its child crashed on the case (recorded
    /// for [`take_crashes`]).
    fn declines(&self, case: &Case) -> Option<&'static str> {
        if let Some(reason) = self.inner.declines(case) {
            return Some(reason);
        }
        let Ok(input) = encode(case) else {
            return None;
        };
        {
            let last = self.last.borrow();
            if !last.0.is_empty() && last.0 == input {
                return last.1;
            }
        }
        let index = self.cases.get();
        self.cases.set(index + 1);
        let verdict = match self.screen(&input) {
            Ok(()) => None,
            Err(how) => {
                CRASHES.with(|c| {
                    c.borrow_mut().push(Crash {
                        engine: self.inner.name(),
                        how,
                        case: case.clone(),
                        input: input.clone(),
                        index,
                    });
                });
                Some(CRASHED)
            }
        };
        *self.last.borrow_mut() = (input, verdict);
        verdict
    }

    fn begin(&mut self, case: &Case) {
        self.inner.begin(case);
    }

    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        self.inner.step(case, op, obs);
    }

    fn frame_sizes(&self, out: &mut Vec<usize>) {
        self.inner.frame_sizes(out);
    }

    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>> {
        self.inner.frame(frame)
    }

    fn reach(&self) -> Reach {
        self.inner.reach()
    }

    fn would_grow(&self, growth: &Growth) -> Quote {
        self.inner.would_grow(growth)
    }
}
