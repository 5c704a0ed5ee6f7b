//! A client command run over many state-test files at once, as trace-diffing tools batch
//! them: the command runs under `sh -c` in its own process group, reads the file names on
//! stdin (one per line) and prints its traces; its stdout and stderr are read line by line on
//! two threads into one bounded channel, so that a trace of gigabytes is never held whole.
//!
//! Lines that look like trace lines (JSON objects) are handed on in the order they arrive;
//! the rest of stdout (the per-file results arrays, pretty-printed or not) is kept as text
//! and parsed at the end ([`ClientProcess::finish`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// What the next line of a client's output is.
#[derive(Debug)]
pub enum Next {
    /// A trace line.
    Line(String),
    /// Both streams closed (the client exited or crashed).
    Eof,
    /// Nothing came before the deadline.
    Timeout,
}

/// A running client.
#[derive(Debug)]
pub struct ClientProcess {
    child: Child,
    lines: Receiver<String>,
    readers: Vec<JoinHandle<String>>,
    writer: Option<JoinHandle<()>>,
}

/// Reads `stream` line by line: trace lines go to `tx`, the rest (when `keep_rest`) is
/// returned as text at the end.
fn read_lines(stream: impl Read, tx: SyncSender<String>, keep_rest: bool) -> String {
    let mut reader = BufReader::with_capacity(1 << 20, stream);
    let mut rest = String::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&buf);
        let trimmed = line.trim();
        let trace_like = trimmed.starts_with('{') && trimmed.ends_with('}');
        if trace_like || !keep_rest {
            if tx.send(trimmed.to_string()).is_err() {
                break;
            }
        } else {
            rest.push_str(&line);
        }
    }
    rest
}

impl ClientProcess {
    /// Starts `command` (under `sh -c`) with `files` to be written to its stdin.
    ///
    /// # Errors
    /// The shell cannot be started.
    pub fn spawn(command: &str, files: &[PathBuf]) -> Result<Self, String> {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("PYTHONUNBUFFERED", "1")
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start `{command}`: {e}"))?;
        let (tx, lines) = sync_channel(256);
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            let tx = tx.clone();
            readers.push(std::thread::spawn(move || read_lines(out, tx, true)));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(std::thread::spawn(move || read_lines(err, tx, false)));
        }
        let writer = child.stdin.take().map(|mut stdin| {
            let names: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
            std::thread::spawn(move || {
                let _ = stdin.write_all(names.as_bytes());
            })
        });
        Ok(Self {
            child,
            lines,
            readers,
            writer,
        })
    }

    /// The next trace line, waiting until `deadline` at most.
    pub fn next_line(&mut self, deadline: Instant) -> Next {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(wait) {
            Ok(line) => Next::Line(line),
            Err(RecvTimeoutError::Timeout) => Next::Timeout,
            Err(RecvTimeoutError::Disconnected) => Next::Eof,
        }
    }

    /// Kills the client's process group (the shell and what it started).
    pub fn kill(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
    }

    /// Waits for the client to exit (killing it first when `kill` is set, or when it prints
    /// nothing more for `grace` without exiting) and returns its status and the per-case
    /// results it printed on stdout (objects with `pass`, in order).
    pub fn finish(mut self, kill: bool, grace: Duration) -> (Option<ExitStatus>, Vec<Value>) {
        if kill {
            self.kill();
        }
        // Drain what is left so that the readers can end.
        loop {
            match self.lines.recv_timeout(grace) {
                Ok(_) => {}
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => self.kill(),
            }
        }
        let mut text = String::new();
        for reader in self.readers.drain(..) {
            text.push_str(&reader.join().unwrap_or_default());
        }
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        let status = self.child.wait().ok();
        (status, results(&text))
    }
}

/// The objects with a `pass` field in `text` (JSON values one after the other: arrays of
/// results or single results), in order.
pub fn results(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut push = |v: Value| {
        if v.get("pass").is_some() {
            out.push(v);
        }
    };
    loop {
        match stream.next() {
            Some(Ok(Value::Array(items))) => items.into_iter().for_each(&mut push),
            Some(Ok(value)) => push(value),
            Some(Err(_)) | None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_read_pretty_printed_or_not() {
        let text = "[\n    {\n        \"name\": \"a\",\n        \"pass\": true\n    }\n]\n\
                    [{\"name\":\"b\",\"pass\":false},{\"x\":1}]\n";
        let found = results(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1]["pass"], Value::Bool(false));
    }
}
