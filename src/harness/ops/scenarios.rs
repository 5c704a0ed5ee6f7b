//! Named scenarios: hand-written cases for the behaviours that matter most, used as corpus seeds
//! (written in the generator's byte format with [`encode`](super::generate::encode)) and run by
//! the tests.

use super::case::{u, Capacity, Case, Op, LARGE_FRAME, LARGE_GAS, LARGE_LIMIT};
use super::generate::{decode_with, encode_with, Profile};
use crate::{MemoryPricing, U256};

/// A named case.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// File-name friendly name.
    pub name: &'static str,
    /// Which fuzz target's corpus it seeds.
    pub target: &'static str,
    /// The case.
    pub case: Case,
}

fn word(b: u8) -> U256 {
    U256::from_be_bytes([b; 32])
}

fn call(args_offset: u64, args_len: u64, ret_offset: u64, ret_len: u64, gas: u64) -> Op {
    Op::Call {
        args_offset: u(args_offset),
        args_len: u(args_len),
        ret_offset: u(ret_offset),
        ret_len: u(ret_len),
        gas,
    }
}

impl Scenario {
    /// The generator profile of the scenario's target.
    pub fn profile(&self) -> Profile {
        if self.target == "diff_small" {
            Profile::Small
        } else {
            Profile::Full
        }
    }

    /// The scenario as a corpus file for its target.
    ///
    /// # Errors
    /// When the case cannot be expressed in its target's format.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        encode_with(&self.case, self.profile())
    }

    /// Decodes a corpus file of this scenario's target.
    pub fn decode(&self, bytes: &[u8]) -> Case {
        decode_with(&mut arbitrary::Unstructured::new(bytes), self.profile())
    }
}

/// Every named scenario.
pub fn all() -> Vec<Scenario> {
    let mut out = Vec::new();
    let mut add = |name: &'static str, target: &'static str, case: Case| {
        out.push(Scenario { name, target, case })
    };

    // The seed design's usage examples.
    add(
        "seed_examples",
        "diff_ops",
        Case {
            ops: vec![
                Op::MStore {
                    offset: u(0),
                    value: u(0x0123_4567_89AB_CDEF),
                },
                Op::MLoad { offset: u(0) },
                Op::MStore8 {
                    offset: u(10),
                    value: 0xFF,
                },
                Op::MStore8 {
                    offset: u(11),
                    value: 0xAB,
                },
                Op::MLoad { offset: u(1024) },
                Op::MSize,
                Op::CallDataCopy {
                    mem_offset: u(100),
                    data_offset: u(0),
                    len: u(8),
                },
                Op::Read {
                    offset: u(100),
                    len: u(8),
                },
                call(0, 0, 0, 0, u64::MAX),
                Op::MStore {
                    offset: u(0),
                    value: u(0xDEAD_BEEF),
                },
                Op::Revert {
                    offset: u(0),
                    len: u(0),
                },
                Op::MLoad { offset: u(0) },
            ],
            calldata: vec![1, 2, 3, 4, 5, 6, 7, 8],
            ..Case::default()
        },
    );

    // Word boundaries: 31/32/33 and straddling stores.
    add(
        "word_boundaries",
        "diff_ops",
        Case {
            ops: vec![
                Op::MStore8 {
                    offset: u(31),
                    value: 1,
                },
                Op::MSize,
                Op::MStore8 {
                    offset: u(32),
                    value: 2,
                },
                Op::MSize,
                Op::MStore {
                    offset: u(33),
                    value: word(0xAA),
                },
                Op::MSize,
                Op::MLoad { offset: u(63) },
                Op::Read {
                    offset: u(95),
                    len: u(2),
                },
                Op::MSize,
            ],
            ..Case::default()
        },
    );

    // Zero lengths at huge offsets never expand and never fail.
    let mut huge_zero = Vec::new();
    for off in [
        U256::MAX,
        u(u64::MAX),
        U256::from_limbs([0, 1, 0, 0]),
        u(1 << 32),
    ] {
        huge_zero.push(Op::MCopy {
            dst: off,
            src: off,
            len: u(0),
        });
        huge_zero.push(Op::CallDataCopy {
            mem_offset: off,
            data_offset: off,
            len: u(0),
        });
        huge_zero.push(Op::CodeCopy {
            mem_offset: off,
            data_offset: U256::MAX,
            len: u(0),
        });
        huge_zero.push(Op::Read {
            offset: off,
            len: u(0),
        });
        huge_zero.push(call(0, 0, 0, 0, 0));
        huge_zero.push(Op::Call {
            args_offset: off,
            args_len: u(0),
            ret_offset: off,
            ret_len: u(0),
            gas: 0,
        });
        huge_zero.push(Op::Return {
            offset: off,
            len: u(0),
        });
    }
    huge_zero.push(Op::MSize);
    huge_zero.push(Op::MLoad {
        offset: U256::from_limbs([0, 1, 0, 0]),
    });
    add(
        "huge_zero_length",
        "diff_ops",
        Case {
            ops: huge_zero,
            ..Case::default()
        },
    );

    // MCOPY overlaps (EIP-5656 vectors) and expansion over the larger range.
    add(
        "mcopy_overlaps",
        "diff_ops",
        Case {
            code: (0u8..32).collect(),
            ops: vec![
                Op::CodeCopy {
                    mem_offset: u(0),
                    data_offset: u(0),
                    len: u(32),
                },
                Op::MCopy {
                    dst: u(1),
                    src: u(0),
                    len: u(8),
                },
                Op::MLoad { offset: u(0) },
                Op::CodeCopy {
                    mem_offset: u(0),
                    data_offset: u(0),
                    len: u(32),
                },
                Op::MCopy {
                    dst: u(0),
                    src: u(1),
                    len: u(8),
                },
                Op::MLoad { offset: u(0) },
                Op::MCopy {
                    dst: u(0),
                    src: u(0),
                    len: u(32),
                },
                Op::MCopy {
                    dst: u(0),
                    src: u(0xa0),
                    len: u(1),
                },
                Op::MSize,
                Op::MCopy {
                    dst: u(0x100),
                    src: u(0),
                    len: u(33),
                },
                Op::MSize,
                Op::MCopy {
                    dst: u(20),
                    src: u(0x100),
                    len: u(40),
                },
                Op::Read {
                    offset: u(0),
                    len: u(0x140),
                },
            ],
            ..Case::default()
        },
    );

    // Deep nesting: 40 frames, each writing, then unwinding with returns.
    let mut deep = Vec::new();
    for i in 0..40u64 {
        deep.push(Op::MStore8 {
            offset: u(i),
            value: i as u8 + 1,
        });
        deep.push(call(0, i + 1, 64, 32, u64::MAX));
    }
    deep.push(Op::CallDataCopy {
        mem_offset: u(0),
        data_offset: u(0),
        len: u(64),
    });
    for i in 0..40u64 {
        deep.push(Op::MStore {
            offset: u(i),
            value: word(i as u8),
        });
        deep.push(if i % 3 == 2 {
            Op::Revert {
                offset: u(0),
                len: u(48),
            }
        } else {
            Op::Return {
                offset: u(i),
                len: u(16),
            }
        });
        deep.push(Op::ReturnDataCopy {
            mem_offset: u(128),
            data_offset: u(0),
            len: u(16),
        });
    }
    deep.push(Op::Read {
        offset: u(0),
        len: u(200),
    });
    add(
        "deep_nesting",
        "diff_ops",
        Case {
            ops: deep,
            ..Case::default()
        },
    );

    // Return regions: shorter, longer and zero-length returns, then RETURNDATACOPY edges.
    add(
        "return_regions",
        "diff_ops",
        Case {
            ops: vec![
                Op::MStore {
                    offset: u(0),
                    value: word(0x11),
                },
                call(0, 32, 0x40, 8, 100_000),
                Op::MStore {
                    offset: u(0),
                    value: word(0x22),
                },
                Op::Return {
                    offset: u(0),
                    len: u(32),
                },
                Op::Read {
                    offset: u(0x40),
                    len: u(16),
                },
                Op::ReturnDataCopy {
                    mem_offset: u(0x80),
                    data_offset: u(0),
                    len: u(32),
                },
                call(0, 0, 0x100, 64, 100_000),
                Op::MStore8 {
                    offset: u(0),
                    value: 0x33,
                },
                Op::Return {
                    offset: u(0),
                    len: u(1),
                },
                Op::Read {
                    offset: u(0x100),
                    len: u(64),
                },
                call(0, 0, 0x200, 64, 100_000),
                Op::MStore8 {
                    offset: u(0),
                    value: 0x44,
                },
                Op::Halt,
                Op::ReturnDataCopy {
                    mem_offset: u(0),
                    data_offset: u(0),
                    len: u(0),
                },
                Op::Read {
                    offset: u(0),
                    len: u(0x240),
                },
                // Past the end of the (empty) return data, even with a zero length: EIP-211.
                Op::ReturnDataCopy {
                    mem_offset: u(0),
                    data_offset: u(1),
                    len: u(0),
                },
            ],
            ..Case::default()
        },
    );

    // Freed child bytes must never come back.
    add(
        "stale_child_bytes",
        "diff_ops",
        Case {
            ops: vec![
                call(0, 0, 0, 0, u64::MAX),
                Op::MStore {
                    offset: u(0),
                    value: word(0xEE),
                },
                Op::MStore {
                    offset: u(0x200),
                    value: word(0xEE),
                },
                Op::Halt,
                Op::MLoad { offset: u(0x40) },
                Op::MLoad { offset: u(0x220) },
                call(0, 0, 0, 0, u64::MAX),
                Op::MLoad { offset: u(0) },
                Op::Read {
                    offset: u(0),
                    len: u(0x240),
                },
                Op::Return {
                    offset: u(0),
                    len: u(0),
                },
            ],
            ..Case::default()
        },
    );

    // The limit's edge, parents included.
    let limit = 0x200;
    add(
        "limit_edge",
        "diff_small",
        Case {
            limit,
            gas: 1000,
            ops: vec![
                Op::MStore8 {
                    offset: u(limit - 1),
                    value: 1,
                },
                Op::MSize,
                call(0, 0, 0, 0, u64::MAX),
                Op::MStore8 {
                    offset: u(0),
                    value: 1,
                },
                Op::MCopy {
                    dst: u(0),
                    src: u(limit - 33),
                    len: u(33),
                },
                Op::MStore8 {
                    offset: u(limit),
                    value: 1,
                },
            ],
            ..Case::default()
        },
    );
    add(
        "limit_in_child",
        "diff_ops",
        Case {
            limit: 0x100,
            gas: 1_000_000,
            ops: vec![
                Op::MStore {
                    offset: u(0x60),
                    value: word(1),
                },
                call(0, 0, 0, 0, u64::MAX),
                Op::MStore {
                    offset: u(0x60),
                    value: word(2),
                },
                Op::MStore8 {
                    offset: u(0x80),
                    value: 3,
                },
                Op::MSize,
                Op::MLoad { offset: u(0x60) },
            ],
            ..Case::default()
        },
    );

    // Out of gas exactly at the edge: 3 gas buys one word, 6 buys two.
    add(
        "out_of_gas_edge",
        "diff_small",
        Case {
            limit: 2048,
            gas: 8,
            ops: vec![
                Op::MStore8 {
                    offset: u(0),
                    value: 1,
                },
                Op::MStore8 {
                    offset: u(32),
                    value: 2,
                },
                Op::MSize,
                Op::MStore8 {
                    offset: u(64),
                    value: 3,
                },
                Op::MSize,
            ],
            ..Case::default()
        },
    );
    add(
        "out_of_gas_in_child",
        "diff_ops",
        Case {
            gas: 1000,
            ops: vec![
                call(0, 0, 0, 32, 5),
                Op::MStore {
                    offset: u(0),
                    value: word(1),
                },
                Op::MStore {
                    offset: u(0x40),
                    value: word(1),
                },
                Op::MSize,
                Op::MStore {
                    offset: u(0x20),
                    value: word(9),
                },
                Op::ReturnDataCopy {
                    mem_offset: u(0),
                    data_offset: u(0),
                    len: u(1),
                },
            ],
            ..Case::default()
        },
    );

    // Invalid operands: offsets above 2^64 - 1 with a non-zero length.
    add(
        "invalid_operands",
        "diff_ops",
        Case {
            ops: vec![
                call(0, 0, 0, 0, u64::MAX),
                Op::MLoad {
                    offset: U256::from_limbs([0, 1, 0, 0]),
                },
                call(0, 0, 0, 0, u64::MAX),
                Op::MCopy {
                    dst: u(0),
                    src: U256::MAX,
                    len: u(1),
                },
                call(0, 0, 0, 0, u64::MAX),
                Op::Read {
                    offset: u(0),
                    len: U256::from_limbs([0, 1, 0, 0]),
                },
                Op::MStore {
                    offset: u(u64::MAX),
                    value: word(1),
                },
            ],
            ..Case::default()
        },
    );

    // Calldata from the parent's argument region, with padding.
    add(
        "calldata_regions",
        "diff_ops",
        Case {
            calldata: (1u8..=40).collect(),
            ops: vec![
                Op::CallDataCopy {
                    mem_offset: u(0),
                    data_offset: u(0),
                    len: u(40),
                },
                Op::CallDataCopy {
                    mem_offset: u(40),
                    data_offset: u(30),
                    len: u(20),
                },
                call(5, 20, 0x80, 32, u64::MAX),
                Op::CallDataCopy {
                    mem_offset: u(0),
                    data_offset: u(0),
                    len: u(32),
                },
                Op::CallDataCopy {
                    mem_offset: u(33),
                    data_offset: u(19),
                    len: u(3),
                },
                Op::CallDataCopy {
                    mem_offset: u(64),
                    data_offset: U256::MAX,
                    len: u(3),
                },
                Op::Read {
                    offset: u(0),
                    len: u(96),
                },
                Op::Return {
                    offset: u(0),
                    len: u(96),
                },
                Op::Read {
                    offset: u(0x80),
                    len: u(32),
                },
            ],
            ..Case::default()
        },
    );

    // The small-limit target's own seeds.
    add(
        "small_mixed",
        "diff_small",
        Case {
            limit: 100,
            gas: 300,
            ops: vec![
                Op::MStore {
                    offset: u(31),
                    value: word(7),
                },
                Op::MStore {
                    offset: u(64),
                    value: word(8),
                },
                call(0, 64, 0, 0, u64::MAX),
                Op::MStore8 {
                    offset: u(0),
                    value: 1,
                },
                Op::MStore8 {
                    offset: u(32),
                    value: 1,
                },
                Op::MSize,
            ],
            ..Case::default()
        },
    );

    // Memory priced other than mainnet's: cheap words and a large divisor, then dear words and
    // a small divisor with a budget that runs out, each through a CALL (the child prices from
    // zero words under the same pricing) and at the limit's edge.
    add(
        "repriced_memory",
        "diff_ops",
        Case {
            limit: 0x20000,
            pricing: MemoryPricing {
                word_cost: 1,
                quadratic_denominator: 1024,
            },
            ops: vec![
                Op::MStore {
                    offset: u(0),
                    value: word(1),
                },
                Op::MStore8 {
                    offset: u(0xFFFF),
                    value: 2,
                },
                call(0, 64, 0x100, 32, u64::MAX),
                Op::MStore {
                    offset: u(0x8000),
                    value: word(3),
                },
                Op::Return {
                    offset: u(0x8000),
                    len: u(32),
                },
                Op::MCopy {
                    dst: u(0x10000),
                    src: u(0),
                    len: u(0xFFE0),
                },
                Op::MStore8 {
                    offset: u(0x20000),
                    value: 4,
                },
                Op::MSize,
            ],
            ..Case::default()
        },
    );
    add(
        "small_repriced",
        "diff_small",
        Case {
            limit: 2048,
            gas: 1000,
            pricing: MemoryPricing {
                word_cost: 8,
                quadratic_denominator: 256,
            },
            ops: vec![
                Op::MStore {
                    offset: u(0),
                    value: word(5),
                },
                call(0, 32, 0, 32, 200),
                Op::MStore {
                    offset: u(0x200),
                    value: word(6),
                },
                Op::Return {
                    offset: u(0x200),
                    len: u(32),
                },
                Op::MStore {
                    offset: u(0x300),
                    value: word(7),
                },
                Op::MSize,
            ],
            ..Case::default()
        },
    );
    // RETURNDATACOPY at huge source offsets (EIP-211's bound check, with offsets that
    // saturate and small lengths): in children, where a failure only ends the child, then in
    // the root on a child's 32 bytes of return data, where it ends the case.
    let returndatacopy = |mem_offset: U256, data_offset: U256, len: u64| Op::ReturnDataCopy {
        mem_offset,
        data_offset,
        len: u(len),
    };
    let mut ops = Vec::new();
    for (data_offset, len) in [
        (U256::MAX, 1),
        (U256::MAX, 0),
        (u(u64::MAX), 1),
        (U256::from_limbs([0, 1, 0, 0]), 0),
        (U256::from_limbs([0, 0, 0, 1 << 63]), 32),
    ] {
        // A child that fails keeps the gas it was given: give it little.
        ops.push(call(0, 0, 0, 0, 1000));
        ops.push(returndatacopy(u(0), data_offset, len));
    }
    ops.extend([
        call(0, 0, 0, 0, u64::MAX),
        Op::MStore {
            offset: u(0),
            value: word(0x77),
        },
        Op::Return {
            offset: u(0),
            len: u(32),
        },
        returndatacopy(u(0), u(31), 1),
        returndatacopy(U256::MAX, u(32), 0),
        returndatacopy(u(0), u(u64::MAX), 1),
    ]);
    add(
        "returndatacopy_huge_offsets",
        "diff_ops",
        Case {
            ops,
            ..Case::default()
        },
    );
    // RETURNDATACOPY(0, 2^256 - 1, 1) on the root's empty return data: the case ends there.
    add(
        "returndatacopy_max_offset_root",
        "diff_small",
        Case {
            limit: 2048,
            gas: 1000,
            ops: vec![
                Op::MStore8 {
                    offset: u(0),
                    value: 1,
                },
                returndatacopy(u(0), U256::MAX, 1),
            ],
            ..Case::default()
        },
    );

    // Call depth 1,024 with regions at every level, in both directions: 1,025 CALLs (the last
    // fails softly at the limit), a word stored at the bottom, and 1,024 RETURNs that hand it
    // up through every frame's return region. Enough gas for a 64-byte expansion at every
    // level, where 63/64 of what is left goes down each time.
    let mut ops = vec![call(0, 32, 32, 32, u64::MAX); 1025];
    ops.push(Op::MStore {
        offset: u(32),
        value: word(0xD1),
    });
    ops.extend(vec![
        Op::Return {
            offset: u(32),
            len: u(32)
        };
        1024
    ]);
    ops.push(Op::MLoad { offset: u(32) });
    add(
        "depth_limit_chain",
        "diff_ops",
        Case {
            gas: LARGE_GAS,
            ops,
            ..Case::default()
        },
    );

    // Large frames: past 2^16 words (2 MiB, where words² passes 2^32) in the root and in a
    // child, copies across the 2 MiB line, and the 16 MiB limit's edge.
    let mib2 = LARGE_FRAME as u64;
    add(
        "large_frames",
        "diff_ops",
        Case {
            limit: LARGE_LIMIT,
            gas: LARGE_GAS,
            ops: vec![
                Op::MStore8 {
                    offset: u(mib2 - 1),
                    value: 1,
                },
                Op::MStore {
                    offset: u(mib2 - 16),
                    value: word(0x2A),
                },
                call(mib2 - 32, 64, mib2 + 64, 32, u64::MAX),
                Op::CallDataCopy {
                    mem_offset: u(mib2 - 8),
                    data_offset: u(0),
                    len: u(64),
                },
                Op::MCopy {
                    dst: u(0),
                    src: u(mib2),
                    len: u(64),
                },
                Op::Return {
                    offset: u(mib2 - 8),
                    len: u(32),
                },
                Op::MLoad {
                    offset: u(mib2 + 64),
                },
                Op::MStore8 {
                    offset: u(LARGE_LIMIT - 1),
                    value: 2,
                },
                Op::Read {
                    offset: u(mib2 - 64),
                    len: u(128),
                },
                Op::MStore8 {
                    offset: u(LARGE_LIMIT),
                    value: 3,
                },
            ],
            ..Case::default()
        },
    );

    // Growth that moves the buffer inside children: an exact starting capacity of 512 bytes,
    // outgrown by a child that copies its calldata (in the parent's region, which moves too)
    // and by a grandchild.
    add(
        "child_reallocation",
        "diff_ops",
        Case {
            capacity: Capacity::Exact(512),
            calldata: vec![0xC5; 40],
            ops: vec![
                Op::CallDataCopy {
                    mem_offset: u(0),
                    data_offset: u(0),
                    len: u(40),
                },
                call(0, 40, 256, 64, u64::MAX),
                Op::CallDataCopy {
                    mem_offset: u(4000),
                    data_offset: u(0),
                    len: u(64),
                },
                call(4000, 64, 0, 32, u64::MAX),
                Op::CallDataCopy {
                    mem_offset: u(65_000),
                    data_offset: u(8),
                    len: u(64),
                },
                Op::Return {
                    offset: u(65_000),
                    len: u(32),
                },
                Op::MCopy {
                    dst: u(100_000),
                    src: u(0),
                    len: u(64),
                },
                Op::Return {
                    offset: u(100_000),
                    len: u(64),
                },
                Op::MLoad { offset: u(256) },
            ],
            ..Case::default()
        },
    );
    add(
        "child_reallocation_from_zero",
        "diff_small",
        Case {
            limit: 2048,
            gas: 1000,
            capacity: Capacity::Zero,
            calldata: vec![0x5C; 16],
            ops: vec![
                call(0, 0, 0, 0, u64::MAX),
                Op::CallDataCopy {
                    mem_offset: u(0),
                    data_offset: u(0),
                    len: u(16),
                },
                call(0, 16, 32, 16, u64::MAX),
                Op::CallDataCopy {
                    mem_offset: u(600),
                    data_offset: u(0),
                    len: u(16),
                },
                Op::Return {
                    offset: u(600),
                    len: u(16),
                },
                Op::MSize,
            ],
            ..Case::default()
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_encodes_and_round_trips() {
        for s in all() {
            let bytes = s.encode().unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert_eq!(s.decode(&bytes), s.case, "{}", s.name);
        }
    }
}
