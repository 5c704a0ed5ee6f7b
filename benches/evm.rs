//! Whole transactions through stock revm (`build_mainnet`, revm's `SharedMemory`) and through
//! `MemoryEvm` (`build_memory_evm`, our memory), side by side in one run: a memory-heavy
//! transaction set (deep CALL chains passing and returning data, CALL round trips, the identity
//! precompile, large MCOPY and KECCAK256 regions, the MSTORE/MLOAD loop of a contract), each EVM
//! built once per workload and running the same transaction again and again (`transact`:
//! execute and finalize, nothing committed), so the work measured is the EVM's, allocations
//! reused as a node reuses them; and every case of the state tests of `../shared/ethereum-tests`
//! (or `EVM_MEMORY_STATETESTS`), each on a fresh state with a fresh EVM, as the state-test
//! runner runs them. Before measuring, each workload checks that both EVMs agree.
//!
//! Run: `cargo bench --features harness --bench evm && python3 benches/report.py` (the report
//! takes both this suite's groups, `evm_*`, and the memory suite's).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evm_memory::harness::asm::{op, Asm};
use evm_memory::harness::statetest::{
    discover, locate_statetests, prepare_cases, Evm, OursInRevm, PreparedCase, StateTestEngine,
    StockRevm,
};
use evm_memory::revm::MemoryBuilder;
use revm_context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm_database::{CacheDB, EmptyDB};
use revm_handler::{ExecuteEvm, MainBuilder, MainContext};
use revm_primitives::{hardfork::SpecId, Address, TxKind, U256};
use revm_state::{AccountInfo, Bytecode};

const SENDER: Address = Address::with_last_byte(0xCA);
const MAIN: Address = Address::with_last_byte(0xAA);
const CALLEE: Address = Address::with_last_byte(0xBB);
const IDENTITY: Address = Address::with_last_byte(0x04);

/// One transaction: the contracts it runs and how much gas it gets.
struct Workload {
    group: &'static str,
    contracts: Vec<(Address, Asm)>,
    gas_limit: u64,
    /// What one run does, for criterion's throughput figure.
    elements: u64,
}

/// Each level copies its 1 KiB of calldata into memory, bumps the depth word, CALLs itself
/// with that 1 KiB as arguments and a 1 KiB return region, and RETURNs what came back; the
/// bottom (depth `levels`) returns its calldata.
fn call_chain(levels: u64) -> Workload {
    let asm = Asm::new()
        .op(op::CALLDATASIZE)
        .push(0)
        .push(0)
        .op(op::CALLDATACOPY)
        .push(0)
        .op(op::MLOAD)
        .push(levels)
        .op(op::EQ);
    let (asm, bottom) = asm.jumpi_forward();
    let asm = asm
        .push(1)
        .push(0)
        .op(op::MLOAD)
        .op(op::ADD)
        .push(0)
        .op(op::MSTORE)
        .call(op::CALL, MAIN, (0, 1024), (1024, 1024))
        .op(op::POP)
        .ret(1024, 1024)
        .land(bottom)
        .ret(0, 1024);
    Workload {
        group: "evm_call_chain",
        contracts: vec![(MAIN, asm)],
        gas_limit: 1 << 40,
        elements: levels,
    }
}

/// `calls` CALL round trips: 64 bytes of arguments out, the callee copies them, adds its two
/// words and returns 64 bytes into the caller's return region.
fn round_trips(calls: u64) -> Workload {
    let callee = Asm::new()
        .push(64)
        .push(0)
        .push(0)
        .op(op::CALLDATACOPY)
        .push(0)
        .op(op::MLOAD)
        .push(32)
        .op(op::MLOAD)
        .op(op::ADD)
        .push(32)
        .op(op::MSTORE)
        .ret(0, 64);
    let main = Asm::new().mstore(0, 7).mstore(32, 9).repeat(calls, |body| {
        body.call(op::CALL, CALLEE, (0, 64), (0, 64)).op(op::POP)
    });
    Workload {
        group: "evm_call_round_trips",
        contracts: vec![(MAIN, main), (CALLEE, callee)],
        gas_limit: 1 << 30,
        elements: calls,
    }
}

/// `calls` STATICCALLs of the identity precompile, 256 bytes in and out, the regions
/// overlapping by half.
fn identity(calls: u64) -> Workload {
    let main = Asm::new().mstore(0x100, 1).repeat(calls, |body| {
        body.call(op::STATICCALL, IDENTITY, (0, 256), (128, 256))
            .op(op::POP)
    });
    Workload {
        group: "evm_identity",
        contracts: vec![(MAIN, main)],
        gas_limit: 1 << 30,
        elements: calls,
    }
}

/// `calls` STATICCALLs of the identity precompile, each with a 48 KiB argument region and no
/// return region: the shape of `static_Call50000_identity` and its siblings, many calls whose
/// large arguments the precompile reads from the caller's memory.
fn precompile_large_args(calls: u64) -> Workload {
    let main = Asm::new().mstore((48 << 10) - 32, 1).repeat(calls, |body| {
        body.call(op::STATICCALL, IDENTITY, (0, 48 << 10), (0, 0))
            .op(op::POP)
    });
    Workload {
        group: "evm_precompile_large_args",
        contracts: vec![(MAIN, main)],
        gas_limit: 1 << 32,
        elements: calls,
    }
}

/// A contract calls itself `levels` deep, each frame's argument region (`frame` bytes) growing
/// its memory before the call: the shape of `static_Call1MB1024Calldepth`, large frames deep in
/// a call chain, every one of them open at the bottom.
fn large_frames(levels: u64, frame: u64) -> Workload {
    let asm = Asm::new()
        .push(0)
        .op(op::CALLDATALOAD)
        .op(op::DUP1)
        .push(levels)
        .op(op::EQ);
    let (asm, bottom) = asm.jumpi_forward();
    let asm = asm
        .push(1)
        .op(op::ADD)
        .push(0)
        .op(op::MSTORE)
        .call(op::CALL, MAIN, (0, frame), (0, 0))
        .op(op::POP)
        .op(op::STOP)
        .land(bottom)
        .op(op::STOP);
    Workload {
        group: "evm_large_frames",
        contracts: vec![(MAIN, asm)],
        gas_limit: 1 << 40,
        elements: levels,
    }
}

/// Memory grown to 2 MiB, then `copies` MCOPYs of 1 MiB from its lower half to its upper.
fn mcopy(copies: u64) -> Workload {
    let main = Asm::new().mstore((2 << 20) - 32, 1).repeat(copies, |body| {
        body.push(1 << 20).push(0).push(1 << 20).op(op::MCOPY)
    });
    Workload {
        group: "evm_mcopy_1mib",
        contracts: vec![(MAIN, main)],
        gas_limit: 1 << 30,
        elements: copies << 20,
    }
}

/// Memory grown to 256 KiB, then `hashes` KECCAK256s of all of it.
fn keccak(hashes: u64) -> Workload {
    let main = Asm::new()
        .mstore((256 << 10) - 32, 1)
        .repeat(hashes, |body| {
            body.push(256 << 10).push(0).op(op::KECCAK256).op(op::POP)
        });
    Workload {
        group: "evm_keccak_256kib",
        contracts: vec![(MAIN, main)],
        gas_limit: 1 << 30,
        elements: hashes << 18,
    }
}

/// `n` × (MSTORE, MLOAD) over a 1 KiB memory: the word traffic of a contract's inner loop.
fn word_loop(n: u64) -> Workload {
    let main = Asm::new().mstore(1024 - 32, 1).repeat(n, |body| {
        // MSTORE(counter % 1024 & ~31, counter); MLOAD it back.
        body.op(op::DUP1)
            .op(op::DUP1)
            .push(0x3e0)
            .op(op::AND)
            .op(op::MSTORE)
            .op(op::DUP1)
            .push(0x3e0)
            .op(op::AND)
            .op(op::MLOAD)
            .op(op::POP)
    });
    Workload {
        group: "evm_word_loop",
        contracts: vec![(MAIN, main)],
        gas_limit: 1 << 30,
        elements: 2 * n,
    }
}

fn database(contracts: &[(Address, Asm)]) -> CacheDB<EmptyDB> {
    let mut db = CacheDB::new(EmptyDB::default());
    db.insert_account_info(SENDER, AccountInfo::from_balance(U256::from(1u128 << 100)));
    for (address, code) in contracts {
        let code = Bytecode::new_raw(code.code());
        db.insert_account_info(*address, AccountInfo::default().with_code(code));
    }
    db
}

fn environment() -> (CfgEnv, BlockEnv) {
    let mut cfg = CfgEnv::default();
    cfg.set_spec_and_mainnet_gas_params(SpecId::CANCUN);
    let block = BlockEnv {
        gas_limit: u64::MAX / 4,
        basefee: 0,
        ..BlockEnv::default()
    };
    (cfg, block)
}

fn run_workload(c: &mut Criterion, w: Workload) {
    let db = database(&w.contracts);
    let (cfg, block) = environment();
    let tx = TxEnv::builder()
        .caller(SENDER)
        .kind(TxKind::Call(MAIN))
        .gas_limit(w.gas_limit)
        .gas_price(0)
        .build()
        .expect("a valid transaction");
    let ctx = || {
        Context::mainnet()
            .with_db(db.clone())
            .with_cfg(cfg.clone())
            .with_block(block.clone())
    };
    let mut stock = ctx().build_mainnet();
    let mut ours = ctx().build_memory_evm();
    let expected = stock.transact(tx.clone()).expect("stock revm runs it");
    let got = ours.transact(tx.clone()).expect("MemoryEvm runs it");
    assert!(
        expected.result.is_success(),
        "{}: {:?}",
        w.group,
        expected.result
    );
    assert_eq!(
        got.result, expected.result,
        "{}: the EVMs disagree",
        w.group
    );

    let mut g = c.benchmark_group(w.group);
    g.throughput(Throughput::Elements(w.elements));
    g.bench_function("ours", |b| {
        b.iter(|| black_box(ours.transact(black_box(tx.clone()))))
    });
    g.bench_function("revm", |b| {
        b.iter(|| black_box(stock.transact(black_box(tx.clone()))))
    });
    g.finish();
}

fn memory_heavy(c: &mut Criterion) {
    for w in [
        call_chain(1024),
        round_trips(1000),
        identity(1000),
        mcopy(8),
        keccak(8),
        word_loop(10_000),
        precompile_large_args(1000),
        large_frames(1024, 64 << 10),
    ] {
        run_workload(c, w);
    }
}

/// The folders of the state tests that exercise memory most directly (see the suite's
/// `SOURCE.md`); the whole suite is `benches/statetests.rs`'s.
const MEMORY_FOLDERS: [&str; 7] = [
    "stMemoryTest",
    "stMemExpandingEIP150Calls",
    "stMemoryStressTest",
    "Cancun/stEIP5656-MCOPY",
    "Pyspecs/cancun/eip5656_mcopy",
    "stReturnDataTest",
    "stRevertTest",
];

/// Every runnable case of the memory folders of the state tests (`EVM_MEMORY_STATETESTS`, else
/// `../shared/ethereum-tests`), each on a fresh pre-state with a freshly built EVM, as the
/// state-test runner runs them (without computing the roots, which is the same work for both).
fn state_tests(c: &mut Criterion) {
    let dir = match locate_statetests() {
        Ok(dir) => dir,
        Err(why) => {
            eprintln!("evm_statetests SKIPPED: {why}");
            return;
        }
    };
    let folders: Vec<_> = MEMORY_FOLDERS
        .iter()
        .map(|folder| dir.join("GeneralStateTests").join(folder))
        .filter(|folder| folder.is_dir())
        .collect();
    if folders.is_empty() {
        eprintln!(
            "evm_statetests SKIPPED: none of the memory folders is in {}",
            dir.display()
        );
        return;
    }
    let files = discover(&folders).expect("state-test files");
    let cases: Vec<PreparedCase> = files
        .iter()
        .flat_map(|file| prepare_cases(file).expect("a state-test file"))
        .collect();
    for case in &cases {
        let stock = StockRevm::new().execute(&case.cfg, &case.block, &case.tx, &case.prestate);
        let ours = OursInRevm.execute(&case.cfg, &case.block, &case.tx, &case.prestate);
        assert_eq!(ours, stock, "{}: the EVMs disagree", case.name);
    }
    let mut g = c.benchmark_group("evm_statetests");
    g.throughput(Throughput::Elements(cases.len() as u64));
    g.sample_size(20);
    g.bench_function("ours", |b| {
        b.iter(|| {
            cases.iter().for_each(|case| {
                black_box(case.transact(Evm::Ours));
            })
        })
    });
    g.bench_function("revm", |b| {
        b.iter(|| {
            cases.iter().for_each(|case| {
                black_box(case.transact(Evm::Revm));
            })
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = memory_heavy, state_tests
}
criterion_main!(benches);
