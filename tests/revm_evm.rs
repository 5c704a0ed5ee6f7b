//! `MemoryEvm` runs real bytecode: named transactions (nested calls passing and returning
//! data, MCOPY, the identity precompile with overlapping regions, REVERT output, sibling calls,
//! CREATE/CREATE2 from memory, the 1,024-deep call chain, the memory limit, memory reused
//! across transactions), each run through stock revm and through `MemoryEvm`, which must agree
//! on the whole result (status, gas used, refund, output, logs) and the whole state change.
#![cfg(feature = "harness")]

use evm_memory::harness::asm::{op, Asm};
use evm_memory::revm::MemoryBuilder;
use revm_context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm_context_interface::result::{ExecutionResult, HaltReason, Output, SuccessReason};
use revm_database::{CacheDB, EmptyDB};
use revm_handler::{ExecuteEvm, MainBuilder, MainContext};
use revm_primitives::{hardfork::SpecId, Address, Bytes, TxKind, U256};
use revm_state::{AccountInfo, Bytecode, EvmState};

fn word(seed: u8) -> [u8; 32] {
    core::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 7 + 1))
}

fn addr(n: u8) -> Address {
    Address::with_last_byte(n)
}

const CALLER: u8 = 0xCA;

/// A database with the caller (funded) and the given contracts.
fn db(contracts: &[(Address, &Asm)]) -> CacheDB<EmptyDB> {
    let mut db = CacheDB::new(EmptyDB::default());
    db.insert_account_info(
        addr(CALLER),
        AccountInfo::from_balance(U256::from(1u128 << 100)),
    );
    for (address, code) in contracts {
        db.insert_account_info(
            *address,
            AccountInfo::default().with_code(Bytecode::new_raw(code.code())),
        );
    }
    db
}

fn tx_to(to: Address, gas_limit: u64) -> TxEnv {
    TxEnv::builder()
        .caller(addr(CALLER))
        .kind(TxKind::Call(to))
        .gas_limit(gas_limit)
        .gas_price(0)
        .build()
        .unwrap()
}

fn cfg(spec: SpecId) -> CfgEnv {
    let mut cfg = CfgEnv::default();
    cfg.set_spec_and_mainnet_gas_params(spec);
    cfg.tx_gas_limit_cap = Some(u64::MAX);
    cfg
}

fn block() -> BlockEnv {
    BlockEnv {
        gas_limit: u64::MAX / 4,
        basefee: 0,
        ..BlockEnv::default()
    }
}

/// Runs `tx` through stock revm and `MemoryEvm` on the same state and configuration and
/// checks that they agree on the result and on every account they touched.
fn both(db: CacheDB<EmptyDB>, cfg: CfgEnv, tx: TxEnv) -> (ExecutionResult<HaltReason>, EvmState) {
    let ctx = || {
        Context::mainnet()
            .with_db(db.clone())
            .with_cfg(cfg.clone())
            .with_block(block())
    };
    let stock = ctx()
        .build_mainnet()
        .transact(tx.clone())
        .expect("stock revm: valid tx");
    let ours = ctx()
        .build_memory_evm()
        .transact(tx)
        .expect("MemoryEvm: valid tx");
    assert_eq!(ours.result, stock.result, "results differ");
    assert_eq!(ours.state, stock.state, "state changes differ");
    (ours.result, ours.state)
}

fn output(result: &ExecutionResult<HaltReason>) -> &Bytes {
    match result {
        ExecutionResult::Success {
            output: Output::Call(bytes),
            ..
        } => bytes,
        ExecutionResult::Revert { output, .. } => output,
        other => panic!("no call output: {other:?}"),
    }
}

/// The README's transaction: the caller writes two words, CALLs a contract that copies its
/// calldata into memory, MCOPYs it up a word and RETURNs all of it into the caller's return
/// region, which the caller RETURNs.
#[test]
fn call_passes_and_returns_data_through_mcopy() {
    let callee = Asm::new()
        .op(op::CALLDATASIZE)
        .push(0)
        .push(0)
        .op(op::CALLDATACOPY) // CALLDATACOPY(0, 0, size)
        .op(op::CALLDATASIZE)
        .push(0)
        .push(0x20)
        .op(op::MCOPY) // MCOPY(0x20, 0, size)
        .push(0x60)
        .push(0)
        .op(op::RETURN);
    let caller = Asm::new()
        .mstore_word(0, word(1))
        .mstore_word(0x20, word(2))
        .call(op::CALL, addr(0xBB), (0, 0x40), (0x100, 0x60))
        .push(0)
        .op(op::SSTORE)
        .ret(0x100, 0x60);
    let (result, _) = both(
        db(&[(addr(0xAA), &caller), (addr(0xBB), &callee)]),
        cfg(SpecId::CANCUN),
        tx_to(addr(0xAA), 1_000_000),
    );
    let mut expected = word(1).to_vec();
    expected.extend_from_slice(&word(1));
    expected.extend_from_slice(&word(2));
    assert_eq!(output(&result).as_ref(), &expected[..]);
}

/// CVE-2021-39137's shape: the identity precompile's argument and return regions overlap; the
/// output is the input as it was before the call.
#[test]
fn identity_precompile_with_overlapping_regions() {
    for (args, ret) in [
        ((0, 64), (16, 64)),
        ((16, 64), (0, 64)),
        ((0, 64), (0, 64)),
        ((8, 0), (4, 40)),
    ] {
        for kind in [op::CALL, op::STATICCALL, op::DELEGATECALL] {
            let caller = Asm::new()
                .mstore_word(0, word(3))
                .mstore_word(0x20, word(4))
                .call(kind, addr(4), args, ret)
                .op(op::POP)
                .op(op::RETURNDATASIZE)
                .push(0)
                .push(0x80)
                .op(op::RETURNDATACOPY)
                .ret(0, 0xA0);
            let (result, _) = both(
                db(&[(addr(0xAA), &caller)]),
                cfg(SpecId::CANCUN),
                tx_to(addr(0xAA), 200_000),
            );
            let mut memory = [word(3), word(4)].concat();
            memory.resize(0xA0, 0);
            let input = memory[args.0 as usize..(args.0 + args.1) as usize].to_vec();
            let n = args.1.min(ret.1) as usize;
            memory[ret.0 as usize..ret.0 as usize + n].copy_from_slice(&input[..n]);
            memory[0x80..0x80 + input.len().min(32)].copy_from_slice(&input[..input.len().min(32)]);
            assert_eq!(
                output(&result).as_ref(),
                &memory[..],
                "{args:?} {ret:?} {kind:#x}"
            );
        }
    }
}

/// A precompile reads a CALL's arguments from the caller's memory in place (the memory lends
/// its buffer to revm's shared buffer while the precompile runs): from a nested frame, whose
/// context starts past its caller's, from a large region, and a zero-length region at a huge
/// offset (which revm passes on unchanged, and which once overflowed the lent range's shift).
#[test]
fn precompile_arguments_are_read_in_place() {
    let regions = [
        ((0x20, 0x40), (0x100, 0x40)),
        ((0, 48 << 10), (0, 0x20)),
        ((u64::MAX, 0), (0x40, 0x20)),
        ((1 << 40, 0), (0, 0)),
    ];
    for (args, ret) in regions {
        for precompile in [2, 4] {
            let inner = Asm::new()
                .mstore_word(0, word(5))
                .mstore_word(0x20, word(6))
                .mstore_word(0x40, word(7))
                .call(op::STATICCALL, addr(precompile), args, ret)
                .op(op::POP)
                .op(op::RETURNDATASIZE)
                .push(0)
                .push(0x200)
                .op(op::RETURNDATACOPY)
                .ret(0, 0x240);
            let outer = Asm::new()
                .mstore_word(0, word(9))
                .call(op::CALL, addr(0xBB), (0, 0x20), (0x20, 0x240))
                .op(op::POP)
                .ret(0, 0x260);
            let (result, _) = both(
                db(&[(addr(0xAA), &outer), (addr(0xBB), &inner)]),
                cfg(SpecId::CANCUN),
                tx_to(addr(0xAA), 5_000_000),
            );
            assert!(
                result.is_success(),
                "{args:?} {ret:?} {precompile}: {result:?}"
            );
            let out = output(&result);
            assert_eq!(
                &out[..0x20],
                &word(9),
                "{args:?} {ret:?}: the outer frame's word"
            );
            // The inner frame's second word (no return region here covers it).
            assert_eq!(
                &out[0x40..0x60],
                &word(6),
                "{args:?} {ret:?}: the inner frame's word"
            );
        }
    }
}

/// REVERT's output reaches the caller's return region and its return data; a halted child's
/// does not (CVE-2020-26241 era: return data is what the child returned, not memory changed
/// afterwards).
#[test]
fn revert_output_is_copied_and_return_data_is_a_snapshot() {
    let reverter = Asm::new()
        .mstore_word(0, word(9))
        .push(32)
        .push(0)
        .op(op::REVERT);
    let caller = Asm::new()
        .call(op::CALL, addr(0xBB), (0, 0), (0x40, 0x20))
        .push(0)
        .op(op::SSTORE)
        // Overwrite memory after the call: return data must not change.
        .mstore_word(0x40, word(10))
        .op(op::RETURNDATASIZE)
        .push(0)
        .push(0x60)
        .op(op::RETURNDATACOPY)
        .ret(0x40, 0x40);
    let (result, _) = both(
        db(&[(addr(0xAA), &caller), (addr(0xBB), &reverter)]),
        cfg(SpecId::CANCUN),
        tx_to(addr(0xAA), 200_000),
    );
    assert_eq!(output(&result).as_ref(), &[word(10), word(9)].concat()[..]);
}

/// Memory of one call is never visible to the next (each starts empty), nor to its caller.
#[test]
fn sibling_calls_see_fresh_memory() {
    // Returns the word it finds at 0 (always zero) after storing a marker there.
    let callee = Asm::new()
        .push(0)
        .op(op::MLOAD)
        .mstore_word(0, word(5))
        .push(0x20)
        .op(op::MSTORE)
        .op(op::MSIZE)
        .push(0x40)
        .op(op::MSTORE)
        .ret(0x20, 0x40);
    let caller = Asm::new()
        .mstore_word(0x200, word(6))
        .call(op::CALL, addr(0xBB), (0, 0), (0, 0x40))
        .op(op::POP)
        .call(op::CALL, addr(0xBB), (0, 0), (0x40, 0x40))
        .op(op::POP)
        .op(op::MSIZE)
        .push(0x80)
        .op(op::MSTORE)
        .ret(0, 0xA0);
    let (result, _) = both(
        db(&[(addr(0xAA), &caller), (addr(0xBB), &callee)]),
        cfg(SpecId::CANCUN),
        tx_to(addr(0xAA), 300_000),
    );
    let out = output(&result);
    let msize_in_child = {
        let mut w = [0u8; 32];
        w[31] = 0x40;
        w
    };
    assert_eq!(&out[0..32], &[0; 32], "first call saw memory");
    assert_eq!(&out[32..64], &msize_in_child);
    assert_eq!(
        &out[64..96],
        &[0; 32],
        "second call saw the first call's memory"
    );
    assert_eq!(out[0x80 + 30..0x80 + 32], [0x02, 0x20], "caller's MSIZE");
}

/// CREATE and CREATE2 with init code taken from memory; the init code returns runtime code
/// copied out of its own code with CODECOPY.
#[test]
fn create_and_create2_from_memory() {
    let runtime = Asm::new().mstore_word(0, word(7)).ret(0, 32);
    // Init code: CODECOPY(0, <runtime offset>, len) then RETURN(0, len).
    let n = runtime.len() as u64;
    let init_prefix_len = 10;
    let init = Asm::new()
        .push(n)
        .push(init_prefix_len as u64)
        .push(0)
        .op(op::CODECOPY)
        .push(n)
        .push(0)
        .op(op::RETURN);
    assert_eq!(init.len(), init_prefix_len);
    let init = init.raw(runtime.bytes());
    let caller = Asm::new()
        .mstore_bytes(0, init.bytes())
        .push(init.len() as u64)
        .push(0)
        .push(0)
        .op(op::CREATE)
        .push(0)
        .op(op::SSTORE)
        .push(0x5a17)
        .push(init.len() as u64)
        .push(0)
        .push(0)
        .op(op::CREATE2)
        .op(op::DUP1)
        .push(1)
        .op(op::SSTORE)
        // Call what CREATE2 made; keep what it returns.
        .push(32)
        .push(0x400)
        .push(0)
        .push(0)
        .push(0)
        .raw(&[0x85]) // DUP6: the created address
        .op(op::GAS)
        .op(op::CALL)
        .op(op::POP)
        .ret(0x400, 32);
    let (result, state) = both(
        db(&[(addr(0xAA), &caller)]),
        cfg(SpecId::CANCUN),
        tx_to(addr(0xAA), 1_000_000),
    );
    assert_eq!(output(&result).as_ref(), &word(7));
    let deployed = state
        .values()
        .filter(|a| {
            a.info
                .code
                .as_ref()
                .is_some_and(|c| c.original_bytes() == runtime.code())
        })
        .count();
    assert_eq!(deployed, 2);
}

/// A contract that calls itself with its depth as calldata until the call fails: the chain
/// reaches revm's limit of 1,024 nested calls, each frame writing memory and copying its
/// calldata, and unwinds with every caller's memory intact.
#[test]
fn call_chain_reaches_depth_1024() {
    // d = CALLDATALOAD(0); MSTORE(0, d + 1); MSTORE(0x20, <word 8>);
    // ok = CALL(gas, self, 0, args 0..32, ret 0x40..0x60); if !ok { SSTORE(0, d) }
    // MSTORE(0x60, MSIZE); RETURN(0x20, 0x60).
    let prefix = Asm::new()
        .push(0)
        .op(op::CALLDATALOAD) // [d]
        .op(op::DUP1)
        .push(1)
        .op(op::ADD)
        .push(0)
        .op(op::MSTORE) // [d]
        .mstore_word(0x20, word(8))
        .push(0x20)
        .push(0x40)
        .push(0x20)
        .push(0)
        .push(0)
        .op(op::ADDRESS)
        .op(op::GAS)
        .op(op::CALL); // [d, ok]
    let store = Asm::new().op(op::DUP1).push(0).op(op::SSTORE); // SSTORE(0, d)
    let (c, over) = prefix.jumpi_forward(); // [d]: over the store when the call succeeded
    let c = c
        .raw(store.bytes())
        .land(over)
        .op(op::POP)
        .op(op::MSIZE)
        .push(0x60)
        .op(op::MSTORE)
        .ret(0x20, 0x60);
    let mut config = cfg(SpecId::CANCUN);
    config.memory_limit = u64::MAX;
    let (result, state) = both(db(&[(addr(0xAA), &c)]), config, tx_to(addr(0xAA), 1 << 40));
    let out = output(&result);
    assert_eq!(
        &out[0..32],
        &word(8),
        "the caller's memory changed under a child"
    );
    let account = &state[&addr(0xAA)];
    let deepest = account.storage[&U256::ZERO].present_value;
    assert_eq!(
        deepest,
        U256::from(1024),
        "deepest frame's calldata (its depth - 1)"
    );
}

/// The configured limit bounds the whole shared memory in both EVMs alike: a child that would
/// take the memory past it halts, its caller goes on.
#[test]
fn memory_limit_is_the_configured_one() {
    let greedy = Asm::new().push(1).push(0x3000).op(op::MSTORE8).ret(0, 0);
    let caller = Asm::new()
        .mstore_word(0x1000, word(1))
        .call(op::CALL, addr(0xBB), (0, 0), (0, 0))
        .push(0)
        .op(op::SSTORE)
        .op(op::MSIZE)
        .push(0)
        .op(op::SSTORE)
        .ret(0, 0);
    for limit in [0x1000u64, 0x1020, 0x4000, 0x4020 + 0x1000] {
        let mut config = cfg(SpecId::CANCUN);
        config.memory_limit = limit;
        both(
            db(&[(addr(0xAA), &caller), (addr(0xBB), &greedy)]),
            config,
            tx_to(addr(0xAA), 1_000_000),
        );
    }
}

/// KECCAK256 and LOG read memory regions, including past the end with a zero length; MSTORE8
/// and RETURNDATACOPY at the edges.
#[test]
fn region_reads_and_edges() {
    let code = Asm::new()
        .mstore_word(0, word(11))
        .push(1)
        .push(0x41)
        .op(op::MSTORE8)
        .push(0x21)
        .push(3)
        .op(op::KECCAK256)
        .push(0)
        .op(op::SSTORE)
        .push(0xABCD)
        .push(0)
        .push(u64::MAX)
        .op(op::LOG1) // a zero-length log at a huge offset
        .push(0xEF)
        .push(0x30)
        .push(0x5)
        .op(op::LOG1)
        .push(0)
        .push(0)
        .push(u64::MAX)
        .op(op::RETURNDATACOPY) // zero length, empty return data: no error
        .op(op::MSIZE)
        .push(1)
        .op(op::SSTORE)
        .ret(0, 0x60);
    both(
        db(&[(addr(0xAA), &code)]),
        cfg(SpecId::CANCUN),
        tx_to(addr(0xAA), 200_000),
    );
    // RETURNDATACOPY past the end of (empty) return data halts.
    let code = Asm::new().push(1).push(0).push(0).op(op::RETURNDATACOPY);
    let (result, _) = both(
        db(&[(addr(0xAA), &code)]),
        cfg(SpecId::CANCUN),
        tx_to(addr(0xAA), 200_000),
    );
    assert!(result.is_halt());
}

/// Out of gas on expansion, in a child and at the top, agrees to the gas unit across forks.
#[test]
fn expansion_out_of_gas_and_forks() {
    let child = Asm::new().push(1).push(0x10000).op(op::MSTORE).ret(0, 0);
    let caller = Asm::new()
        .mstore_word(0x20, word(12))
        .push(0)
        .push(0)
        .push(0)
        .push(0)
        .push(0)
        .push_address(addr(0xBB))
        .push(3000)
        .op(op::CALL)
        .push(0)
        .op(op::SSTORE)
        .ret(0, 0x40);
    for spec in [
        SpecId::FRONTIER,
        SpecId::TANGERINE,
        SpecId::BYZANTIUM,
        SpecId::LONDON,
        SpecId::CANCUN,
        SpecId::PRAGUE,
        SpecId::OSAKA,
    ] {
        for gas in [21_000 + 60, 30_000, 50_000, 1_000_000] {
            both(
                db(&[(addr(0xAA), &caller), (addr(0xBB), &child)]),
                cfg(spec),
                tx_to(addr(0xAA), gas),
            );
        }
    }
}

/// A chain that prices memory differently (`GasParams`' memory costs): `MemoryEvm` charges
/// through revm's `Gas` as stock revm does, and its memory is priced the same way, so that its
/// cached cost is what revm charged.
#[test]
fn memory_priced_by_the_gas_params() {
    use evm_memory::MemoryPricing;
    use revm_context_interface::cfg::gas_params::GasId;

    let child = Asm::new().push(1).push(0x8000).op(op::MSTORE).ret(0, 0x20);
    let caller = Asm::new()
        .mstore_word(0x20, word(13))
        .call(op::CALL, addr(0xBB), (0, 0x40), (0x4000, 0x20))
        .op(op::POP)
        .ret(0x4000, 0x20);
    let mut ample = Vec::new();
    for (word_cost, quadratic_denominator) in [(3, 512), (1, 256), (8, 1024), (5, 700)] {
        let mut cfg = cfg(SpecId::CANCUN);
        cfg.gas_params.override_gas([
            (GasId::memory_linear_cost(), word_cost),
            (GasId::memory_quadratic_reduction(), quadratic_denominator),
        ]);
        for gas in [30_000, 40_000, 60_000, 1_000_000] {
            let database = db(&[(addr(0xAA), &caller), (addr(0xBB), &child)]);
            let (result, _) = both(database.clone(), cfg.clone(), tx_to(addr(0xAA), gas));
            let mut evm = Context::mainnet()
                .with_db(database)
                .with_cfg(cfg.clone())
                .with_block(block())
                .build_memory_evm();
            assert_eq!(evm.transact(tx_to(addr(0xAA), gas)).unwrap().result, result);
            let pricing = MemoryPricing {
                word_cost,
                quadratic_denominator,
            };
            assert_eq!(evm.memory().pricing(), pricing, "{pricing:?}");
            if gas == 1_000_000 {
                ample.push(result);
            }
        }
    }
    // The pricing is charged: with ample gas, each one uses a different amount.
    for (i, a) in ample.iter().enumerate() {
        assert!(ample[i + 1..].iter().all(|b| a != b), "{ample:?}");
    }
}

/// One `MemoryEvm` runs many transactions on one memory allocation, every one from an empty
/// memory, with the same results as fresh stock EVMs.
#[test]
fn memory_is_reused_across_transactions() {
    let callee = Asm::new()
        .push(0)
        .op(op::CALLDATALOAD)
        .push(0)
        .op(op::MLOAD)
        .op(op::ADD)
        .op(op::DUP1)
        .push(0x800)
        .op(op::MSTORE)
        .ret(0x800, 0x20);
    let caller = Asm::new()
        .push(0)
        .op(op::MLOAD)
        .op(op::ISZERO)
        .push(0)
        .op(op::MSTORE)
        .call(op::CALL, addr(0xBB), (0, 0x20), (0x20, 0x20))
        .op(op::POP)
        .ret(0, 0x40);
    let database = db(&[(addr(0xAA), &caller), (addr(0xBB), &callee)]);
    let mut evm = Context::mainnet()
        .with_db(database.clone())
        .with_cfg(cfg(SpecId::CANCUN))
        .with_block(block())
        .build_memory_evm();
    let mut capacity = None;
    for nonce in 0..20 {
        let mut tx = tx_to(addr(0xAA), 200_000);
        tx.nonce = 0;
        let ours = evm.transact(tx.clone()).unwrap();
        let stock = Context::mainnet()
            .with_db(database.clone())
            .with_cfg(cfg(SpecId::CANCUN))
            .with_block(block())
            .build_mainnet()
            .transact(tx)
            .unwrap();
        assert_eq!(ours.result, stock.result, "transaction {nonce}");
        assert!(matches!(
            ours.result,
            ExecutionResult::Success {
                reason: SuccessReason::Return,
                ..
            }
        ));
        let memory = evm.memory();
        assert_eq!((memory.size(), memory.depth()), (0, 0));
        let now = memory.capacity();
        assert!(now > 0);
        assert_eq!(*capacity.get_or_insert(now), now, "reallocated at {nonce}");
    }
}

/// A configured limit above the 4 GiB our memory can hold: an expansion past 4 GiB passes the
/// limit check in both EVMs and fails on gas, with the same halt reason (found by `diff_evm`).
#[test]
fn limits_above_4_gib_fail_on_gas_as_in_revm() {
    let greedy = Asm::new().push(1).push(0x2_0000_0000).op(op::MSTORE8);
    for limit in [u64::MAX, 1 << 40, (1 << 32) + 32, 1 << 32] {
        let mut config = cfg(SpecId::CANCUN);
        config.memory_limit = limit;
        let (result, _) = both(
            db(&[(addr(0xAA), &greedy)]),
            config,
            tx_to(addr(0xAA), 1_000_000),
        );
        assert!(result.is_halt(), "{limit:#x}: {result:?}");
    }
}
