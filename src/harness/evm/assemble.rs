//! [`ProgramSpec::compile`]: actions to bytecode with the [`Asm`] assembler, and
//! [`check_straight_line`], the check that generated code only uses the allowed opcodes, never
//! jumps and has every PUSH immediate complete.
//!
//! Each action pushes its operands (the first stack argument last), runs one instruction and
//! consumes what it leaves with its [`Sink`], so the stack is empty between actions. Before
//! SHANGHAI zero is pushed as `PUSH1 0` (there is no PUSH0); MCOPY is emitted whatever the fork
//! (before CANCUN it is an invalid opcode and halts, in every EVM alike).

use revm_primitives::{hardfork::SpecId, U256};

use super::program::{
    contract_address, Contract, Program, DATA_ADDRESS, EMPTY_ADDRESS, IDENTITY_ADDRESS,
};
use super::spec::{Action, CreateKind, InitCode, ProgramSpec, Region, Sink, Target, Word};
use crate::harness::asm::{op, Asm};

/// The value of LOG topic `j` (topics are constants: logs compare by their data region).
pub const fn log_topic(j: u8) -> u64 {
    0x7091_0000 + j as u64
}

/// Every opcode generated code may hold: the pushes, the memory instructions, the calls and
/// creates, the terminators, and the few words and sinks (POP, GAS, ADDRESS, SSTORE, the sizes).
pub const ALLOWED_OPCODES: [u8; 33] = [
    op::STOP,
    op::KECCAK256,
    op::ADDRESS,
    op::CALLDATASIZE,
    op::CALLDATACOPY,
    op::CODESIZE,
    op::CODECOPY,
    op::EXTCODECOPY,
    op::RETURNDATASIZE,
    op::RETURNDATACOPY,
    op::POP,
    op::MLOAD,
    op::MSTORE,
    op::MSTORE8,
    op::SSTORE,
    op::MSIZE,
    op::GAS,
    op::MCOPY,
    op::PUSH0,
    op::LOG0,
    op::LOG1,
    op::LOG2,
    op::LOG3,
    op::LOG4,
    op::CREATE,
    op::CALL,
    op::CALLCODE,
    op::RETURN,
    op::DELEGATECALL,
    op::CREATE2,
    op::STATICCALL,
    op::REVERT,
    op::INVALID,
];

/// Checks that `code` is straight-line generated code: only [`ALLOWED_OPCODES`] and
/// PUSH1 … PUSH32 with complete immediates (so no JUMP, JUMPI or JUMPDEST).
///
/// # Errors
/// The first offending position and why.
pub fn check_straight_line(code: &[u8]) -> Result<(), String> {
    let mut pc = 0;
    while pc < code.len() {
        let opcode = code[pc];
        if (op::PUSH1..=op::PUSH32).contains(&opcode) {
            let n = (opcode - op::PUSH0) as usize;
            if pc + 1 + n > code.len() {
                return Err(format!(
                    "{pc}: PUSH{n} with {} of its {n} immediate bytes",
                    code.len() - pc - 1
                ));
            }
            pc += 1 + n;
        } else if ALLOWED_OPCODES.contains(&opcode) {
            pc += 1;
        } else {
            return Err(format!("{pc}: opcode {opcode:#04x} is not allowed"));
        }
    }
    Ok(())
}

impl ProgramSpec {
    /// The bytecode of every contract at its address (contract `i` at
    /// [`contract_address(i)`](contract_address)), then the data account when [`data`](Self::data) is not
    /// empty; the rest as it is.
    pub fn compile(&self) -> Program {
        let mut contracts: Vec<Contract> = self
            .contracts
            .iter()
            .enumerate()
            .map(|(i, actions)| Contract {
                address: contract_address(i),
                code: assemble(actions, self.spec),
            })
            .collect();
        if !self.data.is_empty() {
            contracts.push(Contract {
                address: DATA_ADDRESS,
                code: self.data.clone(),
            });
        }
        Program {
            spec: self.spec,
            gas_limit: self.gas_limit,
            memory_limit: self.memory_limit,
            calldata: self.calldata.clone(),
            contracts,
        }
    }
}

/// The bytecode of a list of actions under `spec` (it runs off its end into STOP).
pub fn assemble(actions: &[Action], spec: SpecId) -> Vec<u8> {
    actions
        .iter()
        .fold(Asm::for_spec(spec), |asm, a| action(asm, a, spec))
        .into_bytes()
}

/// Width of the PUSHes of lengths and offsets in init code's tail.
const TAIL_PUSH: u8 = 4;

/// Init code that runs `body`, then copies `runtime` (appended after it) to memory offset 0
/// with CODECOPY and RETURNs it; with the offset at which `runtime` starts.
pub fn init_code(body: &[Action], runtime: &[u8], spec: SpecId) -> (Vec<u8>, usize) {
    let body = assemble(body, spec);
    let tail = |at: usize| {
        let len = U256::from(runtime.len());
        Asm::for_spec(spec)
            .push_fixed(TAIL_PUSH, len)
            .push_fixed(TAIL_PUSH, U256::from(at))
            .push(0)
            .op(op::CODECOPY)
            .push_fixed(TAIL_PUSH, len)
            .push(0)
            .op(op::RETURN)
            .into_bytes()
    };
    // The tail's length does not depend on the offset it pushes.
    let at = body.len() + tail(0).len();
    let mut code = body;
    code.extend_from_slice(&tail(at));
    code.extend_from_slice(runtime);
    (code, at)
}

fn word(asm: Asm, w: Word) -> Asm {
    match w {
        Word::Const(v) => asm.push_u256(v),
        Word::CallDataSize => asm.op(op::CALLDATASIZE),
        Word::ReturnDataSize => asm.op(op::RETURNDATASIZE),
        Word::MSize => asm.op(op::MSIZE),
        Word::CodeSize => asm.op(op::CODESIZE),
        Word::Gas => asm.op(op::GAS),
    }
}

fn words(asm: Asm, ws: &[Word]) -> Asm {
    ws.iter().fold(asm, |asm, &w| word(asm, w))
}

fn sink(asm: Asm, s: Sink) -> Asm {
    match s {
        Sink::Pop => asm.op(op::POP),
        Sink::MStore(offset) => word(asm, offset).op(op::MSTORE),
        Sink::SStore(slot) => word(asm, slot).op(op::SSTORE),
    }
}

/// Pushes a region: length, then offset (on top).
fn region(asm: Asm, r: Region) -> Asm {
    words(asm, &[r.len, r.offset])
}

fn target(asm: Asm, t: Target) -> Asm {
    match t {
        Target::Contract(i) => asm.push_address(contract_address(i as usize)),
        Target::This => asm.op(op::ADDRESS),
        Target::Identity => asm.push_address(IDENTITY_ADDRESS),
        Target::Empty => asm.push_address(EMPTY_ADDRESS),
        Target::Data => asm.push_address(DATA_ADDRESS),
    }
}

fn action(asm: Asm, a: &Action, spec: SpecId) -> Asm {
    match a {
        Action::MStore { offset, value } => words(asm, &[*value, *offset]).op(op::MSTORE),
        Action::MStore8 { offset, value } => words(asm, &[*value, *offset]).op(op::MSTORE8),
        Action::MLoad { offset, sink: s } => sink(word(asm, *offset).op(op::MLOAD), *s),
        Action::Observe { word: w, sink: s } => sink(word(asm, *w), *s),
        Action::MCopy { dst, src, len } => words(asm, &[*len, *src, *dst]).op(op::MCOPY),
        Action::CallDataCopy { dst, src, len } => {
            words(asm, &[*len, *src, *dst]).op(op::CALLDATACOPY)
        }
        Action::CodeCopy { dst, src, len } => words(asm, &[*len, *src, *dst]).op(op::CODECOPY),
        Action::ReturnDataCopy { dst, src, len } => {
            words(asm, &[*len, *src, *dst]).op(op::RETURNDATACOPY)
        }
        Action::ExtCodeCopy {
            target: t,
            dst,
            src,
            len,
        } => target(words(asm, &[*len, *src, *dst]), *t).op(op::EXTCODECOPY),
        Action::Keccak { region: r, sink: s } => sink(region(asm, *r).op(op::KECCAK256), *s),
        Action::Log { topics, region: r } => {
            let n = (*topics).min(4);
            let asm = (0..n).rev().fold(asm, |asm, j| asm.push(log_topic(j)));
            region(asm, *r).op(op::LOG0 + n)
        }
        Action::Call {
            kind,
            target: t,
            gas,
            value,
            args,
            ret,
            sink: s,
        } => {
            let asm = region(region(asm, *ret), *args);
            let asm = if kind.has_value() {
                word(asm, *value)
            } else {
                asm
            };
            sink(word(target(asm, *t), *gas).op(kind.opcode()), *s)
        }
        Action::Create {
            kind,
            value,
            init,
            sink: s,
        } => {
            let (asm, at) = match init {
                InitCode::Written { at, body, runtime } => {
                    let (code, _) = init_code(body, runtime, spec);
                    let len = Word::Const(U256::from(code.len()));
                    (
                        write_bytes(asm, *at, &code),
                        Region {
                            offset: Word::Const(*at),
                            len,
                        },
                    )
                }
                InitCode::Region(r) => (asm, *r),
            };
            let (asm, opcode) = match kind {
                CreateKind::Create => (asm, op::CREATE),
                CreateKind::Create2 { salt } => (word(asm, *salt), op::CREATE2),
            };
            sink(word(region(asm, at), *value).op(opcode), *s)
        }
        Action::Return(r) => region(asm, *r).op(op::RETURN),
        Action::Revert(r) => region(asm, *r).op(op::REVERT),
        Action::Invalid => asm.op(op::INVALID),
        Action::Stop => asm.op(op::STOP),
    }
}

/// MSTOREs of `bytes` from `at` on, a word at a time (the last word zero-padded; offsets are
/// computed modulo 2^256, but a write that far out halts on its first word anyway).
fn write_bytes(asm: Asm, at: U256, bytes: &[u8]) -> Asm {
    bytes.chunks(32).enumerate().fold(asm, |asm, (i, chunk)| {
        let mut w = [0u8; 32];
        w[..chunk.len()].copy_from_slice(chunk);
        asm.push_bytes(&w)
            .push_u256(at.wrapping_add(U256::from(32 * i)))
            .op(op::MSTORE)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::evm::spec::CallKind;

    #[test]
    fn actions_assemble_to_their_idioms() {
        let code = assemble(
            &[
                Action::MStore {
                    offset: Word::from(0x40),
                    value: Word::from(0x2a),
                },
                Action::call(
                    CallKind::StaticCall,
                    Target::Identity,
                    Word::Gas,
                    Region::at(0, 32),
                    Region::at(16, 32),
                ),
                Action::Return(Region {
                    offset: Word::ZERO,
                    len: Word::MSize,
                }),
            ],
            SpecId::CANCUN,
        );
        let expected = [
            &[op::PUSH1, 0x2a, op::PUSH1, 0x40, op::MSTORE][..],
            &[op::PUSH1, 32, op::PUSH1, 16, op::PUSH1, 32, op::PUSH0],
            &[op::PUSH1, 4, op::GAS, op::STATICCALL, op::POP],
            &[op::MSIZE, op::PUSH0, op::RETURN],
        ]
        .concat();
        assert_eq!(code, expected);
        assert!(check_straight_line(&code).is_ok());
    }

    #[test]
    fn init_code_returns_its_runtime() {
        for spec in [SpecId::LONDON, SpecId::CANCUN] {
            let (code, at) = init_code(&[Action::Stop], &[0xAA, 0xBB], spec);
            assert_eq!(&code[at..], &[0xAA, 0xBB]);
            assert!(check_straight_line(&code[..at]).is_ok());
            assert_eq!(code[at - 1], op::RETURN);
        }
    }

    #[test]
    fn the_checker_rejects_jumps_and_short_pushes() {
        assert!(check_straight_line(&[op::JUMPDEST]).is_err());
        assert!(check_straight_line(&[op::PUSH1, 0, op::JUMP]).is_err());
        assert!(check_straight_line(&[op::PUSH2, 0]).is_err());
        assert!(check_straight_line(&[op::PUSH2, 0, 0]).is_ok());
    }

    #[test]
    fn no_push0_before_shanghai() {
        let code = assemble(
            &[Action::MStore {
                offset: Word::ZERO,
                value: Word::ZERO,
            }],
            SpecId::LONDON,
        );
        assert!(!code.contains(&op::PUSH0));
    }
}
