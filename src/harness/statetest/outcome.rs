//! What running one file produced: passed, failed and skipped case counts, each failure
//! ([`Failure`]: where, which engine, what differed) and each skip ([`Skip`]: where, why).

use serde::Serialize;

use super::check::Mismatch;

/// Which post entry of a test a failure or skip is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CaseIndex {
    /// Position of the entry in the fork's list under `post`.
    pub entry: usize,
    /// `indexes.data`.
    pub d: usize,
    /// `indexes.gas`.
    pub g: usize,
    /// `indexes.value`.
    pub v: usize,
}

impl std::fmt::Display for CaseIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{} (d={}, g={}, v={})",
            self.entry, self.d, self.g, self.v
        )
    }
}

/// Where in the test files something happened: the file, and as far as known the test, the fork
/// and the post entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The file's report name (relative to the root it was found under).
    pub file: String,
    /// The test unit's name, unless the whole file is concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    /// The fork, as named under `post`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fork: Option<String>,
    /// The post entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseIndex>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(test) = &self.test {
            write!(f, " :: {test}")?;
        }
        if let Some(fork) = &self.fork {
            write!(f, " :: {fork}")?;
        }
        if let Some(case) = &self.case {
            write!(f, " {case}")?;
        }
        Ok(())
    }
}

/// The kind of a [`Failure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The file could not be read.
    Unreadable,
    /// The file is not a state-test suite (the parser's error is the message).
    Parse,
    /// A value in the case is out of range, or the transaction could not be built although the
    /// file expects no exception.
    Malformed,
    /// An engine (or the set-up around it) panicked; the message is the panic's.
    Panic,
    /// An engine's run differs from what the file expects.
    File,
    /// Two engines' runs differ.
    Disagreement,
}

impl FailureKind {
    /// A few words for reports.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Unreadable => "unreadable file",
            Self::Parse => "not a state-test file",
            Self::Malformed => "malformed case",
            Self::Panic => "panic",
            Self::File => "differs from the file",
            Self::Disagreement => "engines disagree",
        }
    }
}

/// One failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Where.
    #[serde(flatten)]
    pub location: Location,
    /// The engine concerned (`a vs b` for a disagreement), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// What kind of failure.
    pub kind: FailureKind,
    /// An explanation, for failures that are not a list of differences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What differed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<Mismatch>,
}

/// One skip: a file skipped by name, a fork not run, or a case not executed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skip {
    /// Where.
    #[serde(flatten)]
    pub location: Location,
    /// How many cases it stands for (a file skipped by name counts as one).
    pub cases: usize,
    /// Why (one of the reasons in [`skips`](super::skips)).
    pub reason: String,
    /// Particulars, when the reason is general (e.g. the fork's name, the builder's error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What one file produced.
///
/// Cases are post entries; a file that cannot be read or parsed counts as one failed case and a
/// file skipped by name as one skipped case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileOutcome {
    /// Cases every engine passed and all engines agreed on.
    pub passed: usize,
    /// Cases with at least one failure.
    pub failed: usize,
    /// Cases not run.
    pub skipped: usize,
    /// The failures, in file order.
    pub failures: Vec<Failure>,
    /// The skips, in file order.
    pub skips: Vec<Skip>,
}

impl FileOutcome {
    /// Records `cases` skipped cases at `location` for `reason`.
    pub fn skip(&mut self, location: Location, cases: usize, reason: &str, detail: Option<String>) {
        self.skipped += cases;
        self.skips.push(Skip {
            location,
            cases,
            reason: reason.to_string(),
            detail,
        });
    }

    /// A file that failed as a whole (unreadable, unparsable, panicked outside any case).
    pub fn file_failure(file: &str, kind: FailureKind, message: String) -> Self {
        Self {
            failed: 1,
            failures: vec![Failure {
                location: Location {
                    file: file.to_string(),
                    ..Location::default()
                },
                engine: None,
                kind,
                message: Some(message),
                mismatches: Vec::new(),
            }],
            ..Self::default()
        }
    }
}
