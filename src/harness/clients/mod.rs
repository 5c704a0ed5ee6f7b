//! Foreign EVMs compared step by step with `MemoryEvm`: EIP-3155 traces with memory, the
//! `diff_evm` programs as GeneralStateTests files, and any client's state-test runner (the
//! execution specs built in as `eels`) run on them, every step compared.
//!
//! * [`eip3155`] — the trace line format, printed and parsed;
//! * [`tracer`] — one EIP-3155 tracer for both engines ([`Eip3155Tracer`]: revm's inspector,
//!   `MemoryEvm`'s step hook) and where its steps go ([`TraceSink`], [`JsonSink`]);
//! * [`compact`] — our steps kept small for comparing ([`CompactSink`]);
//! * [`run`] — state-test cases traced through our engines (`conformance trace`);
//! * [`export`] — programs as state tests filled by stock revm (`conformance export-statetests`);
//! * [`normalise`] — the one place where known differences of convention between clients are
//!   smoothed out, each with its reason;
//! * [`process`] — a client command run over many files at once, its output read as a stream
//!   of lines, with a per-file timeout;
//! * [`compare`] — a client's stream against our trace, step by step ([`compare_client`]);
//! * [`report`] — the figures and the first divergences (`reports/clients.{json,md}`).

pub mod compact;
pub mod compare;
pub mod eip3155;
pub mod export;
pub mod normalise;
pub mod process;
pub mod report;
pub mod run;
pub mod tracer;

pub use compact::{CompactSink, FullStep, OurStep};

pub use compare::{compare_client, ClientRun, ClientSpec, CompareConfig, Divergence, FileVerdict};
pub use eip3155::{parse_line, ClientStep, FinalLine, Line};
pub use export::{export_statetests, ExportConfig, Exported};

pub use report::ClientsReport;
pub use run::{print_files, trace_case, CaseEnd, TraceEngine};
pub use tracer::{Eip3155Tracer, JsonSink, StepOutcome, StepView, TraceSink};

#[cfg(test)]
mod tests;
