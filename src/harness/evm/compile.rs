//! [`program_from_case`]: an op-model [`Case`] as a program, so that the op model's corpus
//! (`corpus/diff_ops`, `corpus/diff_small`) seeds the bytecode-level target too.
//!
//! The case's flat op sequence (a CALL enters a child whose ops follow until its RETURN, REVERT
//! or halt) becomes contracts: the root's ops go to the entry contract, each child's to a
//! contract of its own (numbered in call order, so at [`contract_address(k)`] for the `k`-th
//! CALL), called with a CALL at that point. Every offset, length and region is kept as it is;
//! gas is not modelled exactly (the op model charges memory expansion only, so the program gets
//! the case's gas plus an allowance for static costs). A read (`Op::Read`) becomes a KECCAK256,
//! every fourth one a LOG; the case's calldata is the transaction's and its code is the data
//! account's, which CODECOPY reads with EXTCODECOPY (so its offsets stay those of the case).
//!
//! [`contract_address(k)`]: super::contract_address

use revm_primitives::{hardfork::SpecId, U256};

use super::spec::{Action, CallKind, ProgramSpec, Region, Sink, Target, Word};
use crate::harness::ops::case::{Case, Op, DEFAULT_LIMIT};

/// Intrinsic gas of a call transaction.
const INTRINSIC_GAS: u64 = 21_000;

/// Gas allowed per op for what the op model does not charge (static costs, cold accesses).
const GAS_PER_OP: u64 = 3_000;

/// The case as a CANCUN program: see the module documentation.
pub fn program_from_case(case: &Case) -> ProgramSpec {
    let mut contracts: Vec<Vec<Action>> = vec![Vec::new()];
    // The frames open at this point of the sequence, innermost last (never empty).
    let mut open = vec![0usize];
    let mut reads = 0u8;
    for op in &case.ops {
        let frame = open.last().copied().unwrap_or(0);
        let c = Word::Const;
        let action = match *op {
            Op::MStore { offset, value } => Action::MStore {
                offset: c(offset),
                value: c(value),
            },
            Op::MStore8 { offset, value } => Action::MStore8 {
                offset: c(offset),
                value: c(U256::from(value)),
            },
            Op::MLoad { offset } => Action::MLoad {
                offset: c(offset),
                sink: Sink::Pop,
            },
            Op::MSize => Action::Observe {
                word: Word::MSize,
                sink: Sink::Pop,
            },
            Op::MCopy { dst, src, len } => Action::MCopy {
                dst: c(dst),
                src: c(src),
                len: c(len),
            },
            Op::CallDataCopy {
                mem_offset,
                data_offset,
                len,
            } => Action::CallDataCopy {
                dst: c(mem_offset),
                src: c(data_offset),
                len: c(len),
            },
            Op::CodeCopy {
                mem_offset,
                data_offset,
                len,
            } => Action::ExtCodeCopy {
                target: Target::Data,
                dst: c(mem_offset),
                src: c(data_offset),
                len: c(len),
            },
            Op::ReturnDataCopy {
                mem_offset,
                data_offset,
                len,
            } => Action::ReturnDataCopy {
                dst: c(mem_offset),
                src: c(data_offset),
                len: c(len),
            },
            Op::Read { offset, len } => {
                reads = reads.wrapping_add(1);
                let region = Region {
                    offset: c(offset),
                    len: c(len),
                };
                if reads % 4 == 0 {
                    Action::Log {
                        topics: (reads / 4) % 5,
                        region,
                    }
                } else {
                    Action::Keccak {
                        region,
                        sink: Sink::Pop,
                    }
                }
            }
            Op::Call {
                args_offset,
                args_len,
                ret_offset,
                ret_len,
                gas,
            } => {
                let child = contracts.len();
                contracts.push(Vec::new());
                open.push(child);
                Action::Call {
                    kind: CallKind::Call,
                    target: Target::Contract(child as u16),
                    gas: if gas == u64::MAX {
                        Word::Gas
                    } else {
                        Word::from(gas)
                    },
                    value: Word::ZERO,
                    args: Region {
                        offset: c(args_offset),
                        len: c(args_len),
                    },
                    ret: Region {
                        offset: c(ret_offset),
                        len: c(ret_len),
                    },
                    sink: Sink::Pop,
                }
            }
            Op::Return { offset, len } => Action::Return(Region {
                offset: c(offset),
                len: c(len),
            }),
            Op::Revert { offset, len } => Action::Revert(Region {
                offset: c(offset),
                len: c(len),
            }),
            Op::Halt => Action::Invalid,
        };
        let ends = matches!(op, Op::Return { .. } | Op::Revert { .. } | Op::Halt);
        if let Some(actions) = contracts.get_mut(frame) {
            actions.push(action);
        }
        // The root's ops after its end are kept in its code, unreachable, like the model's.
        if ends && open.len() > 1 {
            open.pop();
        }
    }
    let gas_limit = INTRINSIC_GAS
        .saturating_add(16 * case.calldata.len() as u64)
        .saturating_add(case.gas)
        .saturating_add(GAS_PER_OP * case.ops.len() as u64);
    ProgramSpec {
        spec: SpecId::CANCUN,
        gas_limit,
        memory_limit: (case.limit != DEFAULT_LIMIT).then_some(case.limit),
        calldata: case.calldata.clone(),
        data: case.code.clone(),
        contracts,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::harness::evm::assemble::check_straight_line;
    use crate::harness::evm::generate::{decode_program, encode_program};
    use crate::harness::evm::program::DATA_ADDRESS;
    use crate::harness::evm::spec::MAX_CONTRACTS;
    use crate::harness::ops::case::u;
    use crate::harness::ops::generate::{decode, decode_small};

    #[test]
    fn children_get_their_own_contracts() {
        let call = |gas| Op::Call {
            args_offset: u(0),
            args_len: u(4),
            ret_offset: u(8),
            ret_len: u(4),
            gas,
        };
        let case = Case {
            ops: vec![
                call(u64::MAX),
                Op::MSize,
                call(100),
                Op::Halt,
                Op::Return {
                    offset: u(0),
                    len: u(1),
                },
                Op::MLoad { offset: u(1) },
            ],
            ..Case::default()
        };
        let spec = program_from_case(&case);
        assert_eq!(spec.contracts.len(), 3);
        assert_eq!(spec.contracts[0].len(), 2);
        assert!(matches!(
            spec.contracts[0][0],
            Action::Call {
                target: Target::Contract(1),
                gas: Word::Gas,
                ..
            }
        ));
        assert_eq!(spec.contracts[1].len(), 3);
        assert!(matches!(
            spec.contracts[1][1],
            Action::Call {
                target: Target::Contract(2),
                ..
            }
        ));
        assert_eq!(spec.contracts[2], vec![Action::Invalid]);
        assert_eq!(spec.memory_limit, None);
    }

    fn corpus(target: &str) -> Vec<Vec<u8>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "md"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
    }

    #[test]
    fn every_op_corpus_file_compiles_to_a_valid_program() {
        let mut n = 0;
        for (target, decode) in [
            ("diff_ops", decode as fn(&[u8]) -> Case),
            ("diff_small", decode_small),
        ] {
            let files = corpus(target);
            assert!(!files.is_empty(), "corpus/{target} is empty");
            for bytes in files {
                let spec = program_from_case(&decode(&bytes));
                let program = spec.compile();
                for contract in &program.contracts {
                    if contract.address != DATA_ADDRESS {
                        check_straight_line(&contract.code).unwrap();
                    }
                }
                n += 1;
                if spec.contracts.len() > MAX_CONTRACTS {
                    // A chain deeper than the program format holds (a case at call depth
                    // 1,024 has a contract per frame): compiled, not encodable.
                    continue;
                }
                let encoded = encode_program(&spec).expect("compiled cases encode");
                assert_eq!(decode_program(&encoded), spec);
            }
        }
        eprintln!("{n} corpus cases compiled");
    }
}
