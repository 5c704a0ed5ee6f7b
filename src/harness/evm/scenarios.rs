//! Named programs: hand-written [`ProgramSpec`]s for the memory behaviours of whole transactions
//! that clients have got wrong or that matter most, used as corpus seeds of the bytecode-level
//! target (written with [`encode_program`] by [`write_corpus`]) and run by the tests, which
//! check on stock revm that each does what its documentation says.
//!
//! Contracts are numbered as in every spec: contract 0 (A, the entry, at 0x…A000), contract 1
//! (B, 0x…B000), contract 2 (C, 0x…C000) and on.

use std::io;
use std::path::Path;

use revm_primitives::{hardfork::SpecId, U256};

use super::assemble::assemble;
use super::generate::encode_program;
use super::spec::{
    Action, CallKind, CreateKind, InitCode, ProgramSpec, Region, Sink, Target, Word,
};

/// A scenario's builder.
pub type ScenarioFn = fn() -> ProgramSpec;

/// Every named scenario: a file-name friendly name and its builder.
pub const SCENARIOS: &[(&str, ScenarioFn)] = &[
    ("identity_overlap", identity_overlap),
    ("return_data_snapshot", return_data_snapshot),
    ("revert_output_copied", revert_output_copied),
    ("returndatacopy_edges", returndatacopy_edges),
    ("sibling_memory", sibling_memory),
    ("call_chain_1024", call_chain_1024),
    ("create_from_memory", create_from_memory),
    ("mcopy_overlaps", mcopy_overlaps),
    ("memory_limit_in_child", memory_limit_in_child),
];

/// A recognisable word: byte `i` is `seed · 31 + 7 · i + 1`.
pub fn pattern(seed: u8) -> [u8; 32] {
    core::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 7 + 1))
}

fn w(seed: u8) -> Word {
    Word::Const(U256::from_be_bytes(pattern(seed)))
}

fn k(value: u64) -> Word {
    Word::from(value)
}

fn mstore(offset: u64, value: Word) -> Action {
    Action::MStore {
        offset: k(offset),
        value,
    }
}

fn call(
    kind: CallKind,
    target: Target,
    gas: Word,
    args: (u64, u64),
    ret: (u64, u64),
    sink: Sink,
) -> Action {
    Action::Call {
        kind,
        target,
        gas,
        value: Word::ZERO,
        args: Region::at(args.0, args.1),
        ret: Region::at(ret.0, ret.1),
        sink,
    }
}

fn sstore(slot: u64) -> Sink {
    Sink::SStore(k(slot))
}

fn ret(offset: u64, len: u64) -> Action {
    Action::Return(Region::at(offset, len))
}

fn spec_of(contracts: Vec<Vec<Action>>) -> ProgramSpec {
    ProgramSpec {
        contracts,
        ..ProgramSpec::default()
    }
}

/// geth CVE-2021-39137 (go-ethereum 1.10.8): the identity precompile's output aliased the
/// caller's memory, so with overlapping argument and return regions the copy into the return
/// region read bytes it had already overwritten. A writes two words and CALLs the identity
/// precompile with arguments 0..64 and return region 16..80, then (after two more words at
/// 0x100) STATICCALLs it with arguments 0x110..0x150 and return region 0x100..0x140, then
/// DELEGATECALLs it with both regions 0x180..0x1C0; each output must be the input as it was
/// before the call (a `memmove`). A RETURNDATACOPYs the last return data to 0x200 and RETURNs
/// 0..0x240; the first call's success flag goes to slot 0.
pub fn identity_overlap() -> ProgramSpec {
    spec_of(vec![vec![
        mstore(0, w(1)),
        mstore(0x20, w(2)),
        call(
            CallKind::Call,
            Target::Identity,
            Word::Gas,
            (0, 64),
            (16, 64),
            sstore(0),
        ),
        mstore(0x100, w(1)),
        mstore(0x120, w(2)),
        call(
            CallKind::StaticCall,
            Target::Identity,
            Word::Gas,
            (0x110, 64),
            (0x100, 64),
            Sink::Pop,
        ),
        mstore(0x180, w(3)),
        call(
            CallKind::DelegateCall,
            Target::Identity,
            Word::Gas,
            (0x180, 64),
            (0x180, 64),
            Sink::Pop,
        ),
        Action::ReturnDataCopy {
            dst: k(0x200),
            src: Word::ZERO,
            len: Word::ReturnDataSize,
        },
        ret(0, 0x240),
    ]])
}

/// CVE-2020-26241 (go-ethereum before 1.9.17): the identity precompile returned its input
/// without copying it, so return data aliased the caller's memory and a later memory write
/// changed it. Return data must be a snapshot. A stores word 1 at 0, CALLs the identity
/// precompile with it, overwrites 0 with word 2 and RETURNDATACOPYs to 0x20 (word 1 expected);
/// then CALLs B (which RETURNs word 9) into 0x40..0x60, overwrites 0x40 with word 3 and
/// RETURNDATACOPYs to 0x60 (word 9 expected). A RETURNs 0..0x80: words 2, 1, 3, 9.
pub fn return_data_snapshot() -> ProgramSpec {
    let copy_back = |dst| Action::ReturnDataCopy {
        dst: k(dst),
        src: Word::ZERO,
        len: k(32),
    };
    spec_of(vec![
        vec![
            mstore(0, w(1)),
            call(
                CallKind::Call,
                Target::Identity,
                Word::Gas,
                (0, 32),
                (0, 0),
                Sink::Pop,
            ),
            mstore(0, w(2)),
            copy_back(0x20),
            call(
                CallKind::Call,
                Target::Contract(1),
                Word::Gas,
                (0, 0),
                (0x40, 32),
                Sink::Pop,
            ),
            mstore(0x40, w(3)),
            copy_back(0x60),
            ret(0, 0x80),
        ],
        vec![mstore(0, w(9)), ret(0, 32)],
    ])
}

/// Returned data reaches the caller's return region on REVERT as on success, and not on an
/// exceptional halt (whose return data is empty). A fills 0..0x60 with word 7, then CALLs B
/// (REVERTs word 4) into 0..0x20, C (stores word 5, then INVALID; 50,000 gas) into 0x20..0x40
/// and D (RETURNs word 6) into 0x40..0x60, storing the flags in slots 0, 2, 4 and the return
/// data sizes after B and C in slots 1 and 3. A RETURNs 0..0x60: words 4, 7, 6; the slots
/// hold 0, 32, 0, 0, 1.
pub fn revert_output_copied() -> ProgramSpec {
    let child = |target, gas, ret: u64, slot| {
        call(
            CallKind::Call,
            Target::Contract(target),
            gas,
            (0, 0),
            (ret, 32),
            sstore(slot),
        )
    };
    let size_into = |slot| Action::Observe {
        word: Word::ReturnDataSize,
        sink: sstore(slot),
    };
    spec_of(vec![
        vec![
            mstore(0, w(7)),
            mstore(0x20, w(7)),
            mstore(0x40, w(7)),
            child(1, Word::Gas, 0, 0),
            size_into(1),
            child(2, k(50_000), 0x20, 2),
            size_into(3),
            child(3, Word::Gas, 0x40, 4),
            ret(0, 0x60),
        ],
        vec![mstore(0, w(4)), Action::Revert(Region::at(0, 32))],
        vec![mstore(0, w(5)), Action::Invalid],
        vec![mstore(0, w(6)), ret(0, 32)],
    ])
}

/// RETURNDATACOPY at and past the end of the return data (EIP-211: reading past the end halts,
/// even with a zero length; the end is computed saturating). B RETURNs one word. A CALLs,
/// with 100,000 gas each and the flags into slots 0 ..= 4: C, which CALLs B and copies 0 bytes
/// at offset 32 (the end: fine), then 0 bytes at offset 33 (halts); D, which copies 1 byte at
/// offset 2^256 − 1 of empty return data (halts); E, which copies 0 bytes to memory offset
/// 2^64 of empty return data, then 0 bytes at offset 0 (both fine, no expansion); F, which
/// CALLs B, copies 0 bytes at 32 and 32 bytes at 0 and RETURNs them; G, which CALLs B and
/// copies 0 bytes at offset 2^256 − 1 (saturates past the end: halts). The flags are 0, 0, 1,
/// 1, 0; A then copies F's return data (word 8) and RETURNs it.
pub fn returndatacopy_edges() -> ProgramSpec {
    let rdc = |dst: Word, src: Word, len: u64| Action::ReturnDataCopy {
        dst,
        src,
        len: k(len),
    };
    let call_b = call(
        CallKind::Call,
        Target::Contract(1),
        Word::Gas,
        (0, 0),
        (0, 0),
        Sink::Pop,
    );
    let mut a: Vec<Action> = (0..5)
        .map(|i| {
            call(
                CallKind::Call,
                Target::Contract(2 + i as u16),
                k(100_000),
                (0, 0),
                (0, 0),
                sstore(i),
            )
        })
        .collect();
    a.push(rdc(Word::ZERO, Word::ZERO, 0));
    // After the last call (G halted) the return data is empty; call F again for its word.
    a.push(call(
        CallKind::Call,
        Target::Contract(5),
        k(100_000),
        (0, 0),
        (0, 0),
        Sink::Pop,
    ));
    a.push(Action::ReturnDataCopy {
        dst: Word::ZERO,
        src: Word::ZERO,
        len: Word::ReturnDataSize,
    });
    a.push(ret(0, 32));
    spec_of(vec![
        a,
        vec![mstore(0, w(8)), ret(0, 32)],
        vec![
            call_b.clone(),
            rdc(Word::ZERO, k(32), 0),
            rdc(Word::ZERO, k(33), 0),
        ],
        vec![rdc(Word::ZERO, Word::Const(U256::MAX), 1)],
        vec![
            rdc(Word::Const(U256::from_limbs([0, 1, 0, 0])), Word::ZERO, 0),
            rdc(Word::ZERO, Word::ZERO, 0),
        ],
        vec![
            call_b.clone(),
            rdc(Word::ZERO, k(32), 0),
            rdc(Word::ZERO, Word::ZERO, 32),
            ret(0, 32),
        ],
        vec![call_b, rdc(Word::ZERO, Word::Const(U256::MAX), 0)],
    ])
}

/// The memory of one call is never visible to the next sibling (each starts empty), nor to its
/// caller except through the return region. B MLOADs word 0 into 0x20, stores word 5 at 0,
/// MSTOREs its MSIZE (0x40) at 0x40 and RETURNs 0x20..0x60. A stores word 6 at 0x200, CALLs B
/// into 0..0x40, DELEGATECALLs B into 0x40..0x80, CALLs B into 0x80..0xC0, MSTOREs its MSIZE at
/// 0xC0 and RETURNs 0..0xE0: every call saw zero at 0 and an MSIZE of 0x40; A's MSIZE is 0x220.
pub fn sibling_memory() -> ProgramSpec {
    let b = |kind, at| {
        call(
            kind,
            Target::Contract(1),
            Word::Gas,
            (0, 0),
            (at, 0x40),
            Sink::Pop,
        )
    };
    spec_of(vec![
        vec![
            mstore(0x200, w(6)),
            b(CallKind::Call, 0),
            b(CallKind::DelegateCall, 0x40),
            b(CallKind::Call, 0x80),
            Action::Observe {
                word: Word::MSize,
                sink: Sink::MStore(k(0xC0)),
            },
            ret(0, 0xE0),
        ],
        vec![
            Action::MLoad {
                offset: Word::ZERO,
                sink: Sink::MStore(k(0x20)),
            },
            mstore(0, w(5)),
            Action::Observe {
                word: Word::MSize,
                sink: Sink::MStore(k(0x40)),
            },
            ret(0x20, 0x40),
        ],
    ])
}

/// A 1,024-deep call chain passing calldata, as far as gas permits (it permits: the gas limit
/// is 2^44). A copies its calldata to memory, MSTORE8s a byte right after it (so its memory,
/// and the calldata it passes on, is one word longer than its own calldata), stores its
/// CALLDATASIZE in slot 0 and CALLs itself with all its memory as arguments. Each frame
/// writes slot 0 before calling, so the deepest writes last: the frame at depth 1,024 (whose
/// own CALL fails on the depth limit) got 32 · 1,024 bytes, and slot 0 ends at 32,768.
pub fn call_chain_1024() -> ProgramSpec {
    ProgramSpec {
        gas_limit: 1 << 44,
        contracts: vec![vec![
            Action::CallDataCopy {
                dst: Word::ZERO,
                src: Word::ZERO,
                len: Word::CallDataSize,
            },
            Action::MStore8 {
                offset: Word::CallDataSize,
                value: k(1),
            },
            Action::Observe {
                word: Word::CallDataSize,
                sink: sstore(0),
            },
            Action::Call {
                kind: CallKind::Call,
                target: Target::This,
                gas: Word::Gas,
                value: Word::ZERO,
                args: Region {
                    offset: Word::ZERO,
                    len: Word::MSize,
                },
                ret: Region::at(0, 0),
                sink: Sink::Pop,
            },
            Action::Stop,
        ]],
        ..ProgramSpec::default()
    }
}

/// How many bytes of its second init code [`create_from_memory`] creates from.
pub const TRUNCATED_INIT: u64 = 48;

/// The runtime code [`create_from_memory`]'s init code deploys: it RETURNs word 7.
pub fn created_runtime() -> Vec<u8> {
    assemble(&[mstore(0, w(7)), ret(0, 32)], SpecId::CANCUN)
}

/// CREATE and CREATE2 with init code the creating action wrote to memory (MSTOREs of its
/// bytes): the init code does memory work of its own (stores, an MCOPY, a KECCAK256, a
/// CALLDATACOPY) and RETURNs the runtime code ([`created_runtime`]) copied out of itself. A
/// CREATEs from init code written at 0 (address into slot 0), CREATE2s with salt 0x5a17 and
/// value 1 from init code written at 0x100 (slot 1), CREATEs from the empty region (an account
/// without code; slot 2), CREATE2s from the first 48 bytes of the second init code as they sit
/// in memory (its runtime cut short: CODECOPY pads the rest with zeros, so it deploys the
/// runtime's first bytes and zeros; slot 3), and CREATEs from init code that REVERTs (no
/// account: slot 4 holds 0). Two accounts end up with the runtime code.
pub fn create_from_memory() -> ProgramSpec {
    let runtime = created_runtime();
    let written = |at: u64, body: Vec<Action>, runtime: &[u8]| InitCode::Written {
        at: U256::from(at),
        body,
        runtime: runtime.to_vec(),
    };
    let create = |kind, value, init, slot| Action::Create {
        kind,
        value: k(value),
        init,
        sink: sstore(slot),
    };
    spec_of(vec![vec![
        create(
            CreateKind::Create,
            0,
            written(
                0,
                vec![
                    mstore(0x20, w(3)),
                    Action::MCopy {
                        dst: k(0),
                        src: k(0x20),
                        len: k(32),
                    },
                    Action::Keccak {
                        region: Region::at(0, 64),
                        sink: Sink::MStore(k(0x40)),
                    },
                ],
                &runtime,
            ),
            0,
        ),
        create(
            CreateKind::Create2 { salt: k(0x5a17) },
            1,
            written(
                0x100,
                vec![Action::CallDataCopy {
                    dst: k(0),
                    src: k(0),
                    len: k(32),
                }],
                &runtime,
            ),
            1,
        ),
        create(CreateKind::Create, 0, InitCode::Region(Region::at(0, 0)), 2),
        create(
            CreateKind::Create2 { salt: k(1) },
            0,
            InitCode::Region(Region::at(0x100, TRUNCATED_INIT)),
            3,
        ),
        create(
            CreateKind::Create,
            0,
            written(0x200, vec![Action::Revert(Region::at(0, 32))], &runtime),
            4,
        ),
    ]])
}

/// MCOPY (EIP-5656) with overlapping regions: the copy is a `memmove`. A stores words 1, 2, 3 at
/// 0, 0x20, 0x40, then MCOPYs 63 bytes from 0 to 1 (forward overlap), 26 bytes from 70 to 64
/// (backward overlap), a word onto itself, 0 bytes between offsets 2^256 − 1 (no expansion),
/// 33 bytes from 0x10 to 0x100 (expanding to 0x140) and a word from 0x130 to 0x10 (reading
/// past MSIZE: expands to 0x160 and copies zeros), and RETURNs 0..MSIZE.
pub fn mcopy_overlaps() -> ProgramSpec {
    let mcopy = |dst: Word, src: Word, len: u64| Action::MCopy {
        dst,
        src,
        len: k(len),
    };
    spec_of(vec![vec![
        mstore(0, w(1)),
        mstore(0x20, w(2)),
        mstore(0x40, w(3)),
        mcopy(k(1), k(0), 63),
        mcopy(k(64), k(70), 26),
        mcopy(k(0x20), k(0x20), 32),
        mcopy(Word::Const(U256::MAX), Word::Const(U256::MAX), 0),
        mcopy(k(0x100), k(0x10), 33),
        mcopy(k(0x10), k(0x130), 32),
        Action::Return(Region {
            offset: Word::ZERO,
            len: Word::MSize,
        }),
    ]])
}

/// The configured memory limit (revm's `CfgEnv::memory_limit`, 0x2000 here) bounds the whole
/// shared memory, so a child hits it at a smaller size than its caller. A grows to 0x1020 bytes
/// (a word at 0x1000), then CALLs B, which MSTORE8s at 0x1000 (0x1020 + 0x1020 > 0x2000: B
/// halts; slot 0 holds 0), and C, which MSTORE8s at 0x100 (0x1020 + 0x120 fits: slot 1 holds
/// 1), both with 100,000 gas; A stores its MSIZE (0x1020, untouched by the children) in slot 2.
pub fn memory_limit_in_child() -> ProgramSpec {
    let child = |target, slot| {
        call(
            CallKind::Call,
            Target::Contract(target),
            k(100_000),
            (0, 0),
            (0, 0),
            sstore(slot),
        )
    };
    let store8 = |offset| Action::MStore8 {
        offset: k(offset),
        value: k(1),
    };
    ProgramSpec {
        memory_limit: Some(0x2000),
        contracts: vec![
            vec![
                mstore(0x1000, w(1)),
                child(1, 0),
                child(2, 1),
                Action::Observe {
                    word: Word::MSize,
                    sink: sstore(2),
                },
            ],
            vec![store8(0x1000), ret(0, 0)],
            vec![store8(0x100), ret(0, 0)],
        ],
        ..ProgramSpec::default()
    }
}

/// Writes every scenario into `dir` (created if missing) as a corpus file named after it, in
/// the generator's byte format; returns how many were written.
///
/// # Errors
/// Creating the directory or writing a file; a scenario that does not encode.
pub fn write_corpus(dir: &Path) -> io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    for (name, build) in SCENARIOS {
        let bytes = encode_program(&build()).map_err(io::Error::other)?;
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(SCENARIOS.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::evm::generate::decode_program;

    #[test]
    fn every_scenario_round_trips() {
        for (name, build) in SCENARIOS {
            let spec = build();
            let bytes = encode_program(&spec).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(decode_program(&bytes), spec, "{name}");
        }
    }

    #[test]
    fn corpus_files_are_written() {
        let dir = std::env::temp_dir().join(format!("evm-scenarios-{}", std::process::id()));
        assert_eq!(write_corpus(&dir).unwrap(), SCENARIOS.len());
        for (name, build) in SCENARIOS {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            assert_eq!(decode_program(&bytes), build(), "{name}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
