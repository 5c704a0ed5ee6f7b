//! The mutants of ours (`mutant:NAME`, `evm_memory::harness::engines::mutants`) are what
//! `conformance fuzz-find` measures the fuzz targets against: each must be a real bug that the
//! oracle names at its op (a case written for it), that random cases from the campaign's
//! generator find, and that ours without the bug does not show.
#![cfg(feature = "harness")]

use evm_memory::harness::campaign::random_input;
use evm_memory::harness::engines::{build_engine, parse_engine_selection, MUTANTS};
use evm_memory::harness::generate::decode_into;
use evm_memory::harness::{u, Case, Mode, Op, Oracle};
use evm_memory::U256;

/// A case that shows `mutant` (without the prefix), and the index of the op it diverges at.
fn shows(mutant: &str) -> (Case, usize) {
    let word = U256::from_be_bytes([0xAB; 32]);
    let case = |ops: Vec<Op>| Case {
        ops,
        calldata: vec![1, 2, 3],
        ..Case::default()
    };
    match mutant {
        // Bytes written first, then a copy reading past the end of the 3 bytes of calldata.
        "no-zero-fill" => (
            case(vec![
                Op::MStore {
                    offset: u(0),
                    value: word,
                },
                Op::CallDataCopy {
                    mem_offset: u(0),
                    data_offset: u(0),
                    len: u(32),
                },
                Op::MLoad { offset: u(0) },
            ]),
            1,
        ),
        "mcopy-forward" => (
            case(vec![
                Op::MStore {
                    offset: u(0),
                    value: U256::from(0x0102_0304_0506_0708u64) << 192,
                },
                Op::MCopy {
                    dst: u(1),
                    src: u(0),
                    len: u(8),
                },
                Op::MLoad { offset: u(0) },
            ]),
            1,
        ),
        // A growth to 4 MiB, which the case's gas pays for.
        "gas-u32" => (
            Case {
                gas: 100_000_000,
                ..case(vec![Op::MStore8 {
                    offset: u(4 << 20),
                    value: 1,
                }])
            },
            0,
        ),
        // A child writes and returns nothing; the root then grows over the child's bytes.
        "stale-buffer" => (
            case(vec![
                Op::MStore {
                    offset: u(0),
                    value: word,
                },
                Op::Call {
                    args_offset: u(0),
                    args_len: u(0),
                    ret_offset: u(0),
                    ret_len: u(0),
                    gas: 100_000,
                },
                Op::MStore {
                    offset: u(0),
                    value: word,
                },
                Op::Return {
                    offset: u(0),
                    len: u(0),
                },
                Op::MLoad { offset: u(32) },
            ]),
            4,
        ),
        "false-oom" => (
            case(vec![Op::MLoad {
                offset: u(u64::MAX - 40),
            }]),
            0,
        ),
        _ => panic!("no case for mutant `{mutant}`: add one"),
    }
}

fn oracle(names: &[&str], mode: Mode) -> Oracle {
    let engines = names.iter().map(|n| build_engine(n).unwrap()).collect();
    Oracle::new(engines).with_mode(mode)
}

#[test]
fn every_mutant_is_named_at_its_op_and_ours_is_not() {
    let mut failures = Vec::new();
    for (name, bug) in MUTANTS {
        let engine = format!("mutant:{name}");
        let (case, at) = shows(name);
        for mode in [Mode::Fast, Mode::Full] {
            match oracle(&[&engine, "model", "revm"], mode).run(&case) {
                Ok(_) => failures.push(format!("{engine} ({bug}): not caught in {mode:?}")),
                Err(d) if d.op_index != at || d.suspects() != [engine.as_str()] => {
                    failures.push(format!(
                        "{engine}: caught at op {} blaming {:?}, expected op {at}: {d}",
                        d.op_index,
                        d.suspects()
                    ))
                }
                Err(_) => {}
            }
        }
        if let Err(d) = oracle(&["ours", "model", "revm"], Mode::Full).run(&case) {
            failures.push(format!("{engine}'s case diverges without the bug: {d}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn random_cases_find_every_mutant() {
    let mut failures = Vec::new();
    let (mut bytes, mut case) = (Vec::new(), Case::default());
    for (name, _) in MUTANTS {
        let engine = format!("mutant:{name}");
        let mut oracle = oracle(&[&engine, "model"], Mode::Fast);
        let found = (0..20_000u64).find(|&i| {
            let profile = random_input(0x5EED, i, 2048, &mut bytes);
            decode_into(&bytes, profile, &mut case);
            oracle
                .run(&case)
                .is_err_and(|d| d.suspects() == [engine.as_str()])
        });
        match found {
            Some(i) => eprintln!("{engine}: found by random case #{i}"),
            None => failures.push(format!("{engine}: not found in 20,000 random cases")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mutants_are_selectable_and_never_default() {
    let names = parse_engine_selection("ours,mutant:gas-u32").unwrap();
    assert_eq!(names, ["ours", "mutant:gas-u32"]);
    assert!(!parse_engine_selection("")
        .unwrap()
        .iter()
        .any(|n| n.starts_with("mutant:")));
    let e = parse_engine_selection("mutant:nope").unwrap_err();
    assert!(
        e.contains("unknown mutant") && e.contains("mutant:stale-buffer"),
        "{e}"
    );
}

/// Regression: a mutant's own arithmetic on huge operands (an MCOPY of `2^64 − 1` bytes to a
/// higher address overflowed `mcopy-forward`'s size check, found by `conformance fuzz-find`
/// as a crash that named no mutant) never panics: the op fails as it does in ours.
#[test]
fn mutants_survive_huge_operands() {
    let huge = U256::from(u64::MAX);
    let ops = vec![
        Op::MCopy {
            dst: u(1),
            src: u(0),
            len: huge,
        },
        Op::CallDataCopy {
            mem_offset: u(0),
            data_offset: huge,
            len: huge,
        },
        Op::MStore8 {
            offset: huge,
            value: 1,
        },
    ];
    for (name, _) in MUTANTS {
        let engine = format!("mutant:{name}");
        for op in &ops {
            let case = Case {
                ops: vec![op.clone()],
                ..Case::default()
            };
            // Agreement or a divergence naming the mutant; a panic fails the test.
            if let Err(d) = oracle(&[&engine, "model"], Mode::Full).run(&case) {
                assert_eq!(d.suspects(), [engine.as_str()], "{d}");
            }
        }
    }
}
