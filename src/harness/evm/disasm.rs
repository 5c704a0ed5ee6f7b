//! A disassembler for reports: one `pc: MNEMONIC immediate` line per instruction (revm's opcode
//! names), an optional marked pc (`>>`, where a divergence happened), and a [`Program`]'s
//! listing contract by contract.

use std::fmt::Write;

use revm_bytecode::opcode::{OpCode, PUSH0, PUSH1, PUSH32};
use revm_primitives::Address;

use super::program::Program;

/// `code` as one line per instruction, `>>` before the instruction at `mark`. A PUSH whose
/// immediate runs past the end shows the bytes there are and says so; an undefined opcode
/// shows as `UNKNOWN 0x..`.
pub fn disassemble(code: &[u8], mark: Option<usize>) -> String {
    let mut out = String::new();
    let mut pc = 0;
    while pc < code.len() {
        let opcode = code[pc];
        let prefix = if mark == Some(pc) { ">> " } else { "   " };
        let _ = write!(out, "{prefix}{pc:>5}: ");
        match OpCode::new(opcode) {
            Some(known) => out.push_str(known.as_str()),
            None => {
                let _ = write!(out, "UNKNOWN {opcode:#04x}");
            }
        }
        let mut next = pc + 1;
        if (PUSH1..=PUSH32).contains(&opcode) {
            let n = (opcode - PUSH0) as usize;
            let end = (next + n).min(code.len());
            out.push_str(" 0x");
            for b in &code[next..end] {
                let _ = write!(out, "{b:02x}");
            }
            if end - next < n {
                let _ = write!(out, " (truncated: {} of {n} bytes)", end - next);
            }
            next = end;
        }
        out.push('\n');
        pc = next;
    }
    if let Some(at) = mark.filter(|&m| m >= code.len()) {
        // Past the end: the implicit STOP.
        let _ = writeln!(out, ">> {at:>5}: (end of code: STOP)");
    }
    out
}

/// Every account of `program` with its code: a header (index, address, size; the entry and
/// the data account named) and its disassembly, with `>>` at `mark`'s pc in `mark`'s account.
pub fn listing(program: &Program, mark: Option<(Address, usize)>) -> String {
    let mut out = String::new();
    for (i, contract) in program.contracts.iter().enumerate() {
        let role = program.role(i);
        let _ = writeln!(
            out,
            "contract {i}{role} at {}, {} bytes:",
            contract.address,
            contract.code.len()
        );
        let at = mark.and_then(|(address, pc)| (address == contract.address).then_some(pc));
        out.push_str(&disassemble(&contract.code, at));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::asm::op;
    use crate::harness::evm::program::{contract_address, Contract};
    use revm_primitives::hardfork::SpecId;

    #[test]
    fn instructions_and_immediates() {
        let code = [
            op::PUSH1,
            0x2a,
            op::PUSH0,
            op::MSTORE,
            0x0c,
            op::PUSH2,
            0x01,
        ];
        let text = disassemble(&code, Some(3));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "       0: PUSH1 0x2a");
        assert_eq!(lines[1], "       2: PUSH0");
        assert_eq!(lines[2], ">>     3: MSTORE");
        assert_eq!(lines[3], "       4: UNKNOWN 0x0c");
        assert_eq!(lines[4], "       5: PUSH2 0x01 (truncated: 1 of 2 bytes)");
        assert!(disassemble(&[], Some(0)).contains("end of code"));
    }

    #[test]
    fn listing_marks_one_contract() {
        let program = Program {
            spec: SpecId::CANCUN,
            gas_limit: 100_000,
            memory_limit: None,
            calldata: vec![],
            contracts: vec![
                Contract {
                    address: contract_address(0),
                    code: vec![op::STOP],
                },
                Contract {
                    address: contract_address(1),
                    code: vec![op::MSIZE, op::STOP],
                },
            ],
        };
        let text = listing(&program, Some((contract_address(1), 1)));
        assert!(text.contains("contract 0 (entry)"));
        assert_eq!(text.matches(">>").count(), 1);
        assert!(text.contains(">>     1: STOP"));
    }
}
