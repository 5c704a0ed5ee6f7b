//! The bytecode-level oracle on hand-written transactions: stock revm and `MemoryEvm` agree
//! before every instruction and at the end; each deliberate bug of `MemoryEvm` (`Faults`) is
//! caught and named.
#![cfg(feature = "harness")]

use evm_memory::harness::asm::{op, Asm};
use evm_memory::harness::evm::{Difference, EvmOracle, TxSetup};
use evm_memory::revm::faults::Faults;
use revm_context::{BlockEnv, CfgEnv, TxEnv};
use revm_database::{CacheDB, EmptyDB};
use revm_primitives::{hardfork::SpecId, Address, TxKind, U256};
use revm_state::{AccountInfo, Bytecode};

const SENDER: Address = Address::with_last_byte(0xCA);
const MAIN: Address = Address::with_last_byte(0xAA);
const CALLEE: Address = Address::with_last_byte(0xBB);
const IDENTITY: Address = Address::with_last_byte(0x04);

fn setup(contracts: &[(Address, Asm)]) -> TxSetup {
    let mut db = CacheDB::new(EmptyDB::default());
    db.insert_account_info(SENDER, AccountInfo::from_balance(U256::from(1u128 << 80)));
    for (address, code) in contracts {
        db.insert_account_info(
            *address,
            AccountInfo::default().with_code(Bytecode::new_raw(code.code())),
        );
    }
    let mut cfg = CfgEnv::default();
    cfg.set_spec_and_mainnet_gas_params(SpecId::CANCUN);
    let block = BlockEnv {
        gas_limit: 1 << 40,
        basefee: 0,
        ..BlockEnv::default()
    };
    let tx = TxEnv::builder()
        .caller(SENDER)
        .kind(TxKind::Call(MAIN))
        .gas_limit(1_000_000)
        .gas_price(0)
        .build()
        .unwrap();
    TxSetup { db, cfg, block, tx }
}

/// The caller writes two words, calls the identity precompile with overlapping regions, then
/// calls a contract that reverts with 32 bytes into a return region, and returns its memory.
fn program() -> Vec<(Address, Asm)> {
    let reverter = Asm::new().mstore(0, 0xdead).revert(0, 32);
    let main = Asm::new()
        .mstore(0, 0x1111)
        .mstore(32, 0x2222)
        .call(op::STATICCALL, IDENTITY, (0, 64), (16, 64))
        .op(op::POP)
        .call(op::CALL, CALLEE, (0, 0), (0x60, 0x20))
        .op(op::POP)
        .ret(0, 0x80);
    vec![(MAIN, main), (CALLEE, reverter)]
}

#[test]
fn the_engines_agree_step_by_step() {
    let mut oracle = EvmOracle::new();
    let agreement = oracle
        .run(&setup(&program()))
        .unwrap_or_else(|d| panic!("{d}"));
    assert!(agreement.steps > 20, "{agreement:?}");
    assert_eq!(agreement.max_depth, 1);
    assert!(agreement.success);
}

#[test]
fn revert_output_not_copied_is_caught_at_the_next_instruction() {
    let mut oracle = EvmOracle::new();
    oracle.faults = Faults {
        revert_output_not_copied: true,
        ..Faults::default()
    };
    let divergence = oracle.run(&setup(&program())).unwrap_err();
    let Difference::Step { stock, ours, .. } = &divergence.difference else {
        panic!("not a step difference: {divergence}");
    };
    // Right after the CALL returns: same instruction, different memory.
    let (stock, ours) = (stock.unwrap(), ours.unwrap());
    assert_eq!((stock.pc, stock.opcode), (ours.pc, ours.opcode));
    assert_eq!(stock.opcode, op::POP);
    assert_ne!(stock.memory_digest, ours.memory_digest);
    let report = divergence.to_string();
    assert!(
        report.contains("first differing memory byte: 126"),
        "{report}"
    );
}

#[test]
fn identity_output_before_input_is_caught() {
    let mut oracle = EvmOracle::new();
    oracle.faults = Faults {
        identity_output_before_input: true,
        ..Faults::default()
    };
    let divergence = oracle.run(&setup(&program())).unwrap_err();
    let report = divergence.to_string();
    assert!(report.contains("DIVERGENCE before instruction"), "{report}");
}

mod generated {
    use evm_memory::harness::campaign::SplitMix64;
    use evm_memory::harness::evm::{
        check_program, decode_program, program_report, program_setup, EvmOracle, SCENARIOS,
    };
    use evm_memory::revm::faults::Faults;

    /// Random program inputs, deterministic for a seed.
    fn inputs(seed: u64, n: usize) -> impl Iterator<Item = Vec<u8>> {
        let mut rng = SplitMix64::new(seed);
        (0..n).map(move |_| {
            let len = 64 + rng.below(960) as usize;
            let mut bytes = vec![0u8; len];
            rng.fill(&mut bytes);
            bytes
        })
    }

    #[test]
    fn every_named_scenario_agrees() {
        for (name, spec) in SCENARIOS {
            let agreement = check_program(&spec().compile());
            assert!(!agreement.over_budget, "{name}: over the step budget");
            eprintln!(
                "{name}: {} steps, depth {}",
                agreement.steps, agreement.max_depth
            );
        }
    }

    #[test]
    fn random_programs_agree() {
        let mut oracle = EvmOracle::new();
        let (mut steps, mut programs) = (0, 0);
        for input in inputs(0xD1FF, 300) {
            let program = decode_program(&input).compile();
            match oracle.run(&program_setup(&program)) {
                Ok(a) => steps += a.steps,
                Err(d) => panic!("{}", program_report(&program, &d)),
            }
            programs += 1;
        }
        eprintln!("{programs} programs, {steps} instructions compared");
        assert!(steps > programs * 20);
    }

    /// Runs random programs with `faults` until the oracle reports a divergence; the number
    /// of programs it took.
    fn programs_to_catch(faults: Faults, bound: usize) -> Option<(usize, String)> {
        let mut oracle = EvmOracle::new();
        oracle.faults = faults;
        for (i, input) in inputs(0xBAD, bound).enumerate() {
            let program = decode_program(&input).compile();
            if let Err(d) = oracle.run(&program_setup(&program)) {
                return Some((i + 1, program_report(&program, &d)));
            }
        }
        None
    }

    #[test]
    fn a_broken_memory_evm_is_caught_within_a_bounded_number_of_programs() {
        // The bytecode-level mutants `diff_evm` takes by name (`mutant:NAME`).
        for (name, _) in evm_memory::revm::faults::EVM_MUTANTS {
            let faults =
                evm_memory::harness::evm::faults_from_selection(&format!("mutant:{name}")).unwrap();
            assert_ne!(faults, Faults::default(), "{name}");
            let (n, report) = programs_to_catch(faults, 2_000)
                .unwrap_or_else(|| panic!("{name}: not caught in 2,000 programs"));
            eprintln!("{name}: caught after {n} programs");
            assert!(
                report.contains(">>"),
                "{name}: no marked instruction:\n{report}"
            );
            assert!(
                report.contains("fn diff_evm_repro()"),
                "{name}: no reproducer"
            );
        }
    }
}
