//! The bytecode-level differential `diff_evm`: whole transactions over a few generated
//! contracts, run through stock revm and [`MemoryEvm`](crate::revm::MemoryEvm) and compared
//! before every instruction and at the end.
//!
//! * [`spec`] — the structured form: a [`ProgramSpec`] of contracts as lists of [`Action`]s;
//! * [`assemble`] — [`ProgramSpec::compile`] to bytecode, and the straight-line check;
//! * [`program`] — the compiled [`Program`] and the revm environment it runs in;
//! * [`generate`] — bytes to a valid spec, biased toward memory ([`decode_program`]), and its
//!   inverse ([`encode_program`]);
//! * [`compile`] — an op-model [`Case`](crate::harness::Case) as a program
//!   ([`program_from_case`]);
//! * [`trace`] — what each engine shows before every instruction ([`StepRecord`], [`Recorder`]);
//! * [`oracle`] — both engines on one transaction, the first divergence ([`EvmOracle`]);
//! * [`phase`] — the conformance campaign's `diff_evm` phase: its results and random inputs
//!   (the report renders them: [`report`](crate::harness::report));
//! * [`disasm`] — a disassembler and per-contract listings for reports;
//! * [`reproducer`] — a program as a pasteable Rust test;
//! * [`scenarios`] — named programs that seed the corpus.
//!
//! Every generated program is straight-line bytecode (no jumps, complete PUSH immediates), so
//! every frame ends; recursion through calls is bounded by gas and the depth limit.

pub mod assemble;
pub mod compile;
pub mod disasm;
pub mod generate;
pub mod oracle;
pub mod phase;
pub mod program;
pub mod reproducer;
pub mod scenarios;
pub mod spec;
pub mod trace;

pub use assemble::{check_straight_line, init_code, ALLOWED_OPCODES};
pub use compile::program_from_case;
pub use disasm::{disassemble, listing};
pub use generate::{decode_program, encode_program, MAX_GENERATED_GAS};
pub use oracle::{
    check_program, check_program_with, faults_from_selection, fuzz_program, program_report,
    program_setup, Agreement, Difference, EvmDivergence, EvmOracle, TxSetup, MAX_WORK,
};
pub use program::{
    contract_address, Contract, Program, StockOutcome, DATA_ADDRESS, EMPTY_ADDRESS,
    IDENTITY_ADDRESS, SENDER,
};
pub use reproducer::rust_reproducer;
pub use scenarios::{write_corpus, SCENARIOS};
pub use spec::{
    Action, ActionKind, CallKind, CreateKind, InitCode, ProgramSpec, Region, Sink, Target, Word,
    MAX_ACTIONS, MAX_CONTRACTS,
};
pub use trace::{digest, Recorder, StepRecord};
