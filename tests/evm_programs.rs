//! The bytecode-level generator's programs on stock revm: 10,000 random inputs decode to valid
//! straight-line programs that run without a panic (timed: run with `--release --nocapture` for
//! the figures), their byte format round-trips, the op-model corpus compiles to programs that
//! run, and every named scenario does on stock revm what its documentation says.
#![cfg(feature = "harness")]

use std::time::{Duration, Instant};

use evm_memory::harness::evm::scenarios::{self, created_runtime, pattern, TRUNCATED_INIT};
use evm_memory::harness::evm::{
    check_straight_line, contract_address, decode_program, encode_program, init_code,
    program_from_case, Action, InitCode, Program, ProgramSpec, DATA_ADDRESS, MAX_GENERATED_GAS,
    SCENARIOS,
};
use evm_memory::harness::{decode, decode_small};
use revm_context_interface::result::{ExecutionResult, Output, ResultAndState};
use revm_primitives::{Address, Bytes, U256};

/// Random inputs, from a fixed seed: lengths spread over 0 ..= 2 KiB.
fn inputs(n: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n).map(move |_| {
        let len = (next() % 2048) as usize;
        (0..len).map(|_| (next() >> 32) as u8).collect()
    })
}

/// Every contract and every piece of written init code is straight-line code.
fn check_valid(spec: &ProgramSpec, program: &Program) -> Result<(), String> {
    for contract in &program.contracts {
        if contract.address != DATA_ADDRESS {
            check_straight_line(&contract.code)
                .map_err(|e| format!("contract {}: {e}", contract.address))?;
        }
    }
    let mut pending: Vec<&Action> = spec.contracts.iter().flatten().collect();
    while let Some(action) = pending.pop() {
        if let Action::Create {
            init: InitCode::Written { body, runtime, .. },
            ..
        } = action
        {
            let (code, at) = init_code(body, runtime, spec.spec);
            check_straight_line(&code[..at]).map_err(|e| format!("init code: {e}"))?;
            pending.extend(body.iter());
        }
    }
    Ok(())
}

fn run(program: &Program) -> ResultAndState {
    program
        .run_stock()
        .unwrap_or_else(|e| panic!("stock revm rejected the transaction: {e:?}"))
}

#[test]
fn random_inputs_decode_to_valid_programs_that_run() {
    // 10,000 in an optimised build; a debug build (the README's test command) runs a fifth.
    const N: usize = if cfg!(debug_assertions) {
        2_000
    } else {
        10_000
    };
    let mut times = Vec::with_capacity(N);
    let mut slowest = (Duration::ZERO, 0);
    let (mut gas, mut actions, mut rejected, mut outliers) = (0u128, 0usize, 0usize, 0usize);
    let mut outcomes = [0usize; 3];
    for (i, bytes) in inputs(N).enumerate() {
        let spec = decode_program(&bytes);
        // Sizes beyond the biased bounds take two explicit bytes (1 in 65,536).
        if !(1..=3).contains(&spec.contracts.len())
            || spec.contracts.iter().any(|c| c.len() > 64)
            || !(30_000..=MAX_GENERATED_GAS).contains(&spec.gas_limit)
        {
            outliers += 1;
        }
        actions += spec.contracts.iter().map(Vec::len).sum::<usize>();
        let program = spec.compile();
        if let Err(e) = check_valid(&spec, &program) {
            panic!("input {i}: {e}");
        }
        assert_eq!(
            decode_program(&encode_program(&spec).unwrap()),
            spec,
            "input {i}"
        );
        let start = Instant::now();
        let outcome = program.run_stock();
        let took = start.elapsed();
        times.push(took);
        if took > slowest.0 {
            slowest = (took, i);
        }
        match outcome {
            Ok(outcome) => {
                gas += outcome.result.tx_gas_used() as u128;
                outcomes[match outcome.result {
                    ExecutionResult::Success { .. } => 0,
                    ExecutionResult::Revert { .. } => 1,
                    ExecutionResult::Halt { .. } => 2,
                }] += 1;
            }
            Err(_) => rejected += 1,
        }
    }
    let total: Duration = times.iter().sum();
    times.sort();
    eprintln!(
        "{N} random programs on stock revm: {:.1} µs each on average ({:.0} programs/s), \
         median {:?}, 99th percentile {:?}, slowest {:?} (input {}), {:.0} gas used and \
         {:.1} actions each on average; {} succeeded, {} reverted, {} halted, {rejected} \
         rejected",
        total.as_secs_f64() * 1e6 / N as f64,
        N as f64 / total.as_secs_f64(),
        times[N / 2],
        times[N * 99 / 100],
        slowest.0,
        slowest.1,
        gas as f64 / N as f64,
        actions as f64 / N as f64,
        outcomes[0],
        outcomes[1],
        outcomes[2],
    );
    // An explicit calldata length can make the intrinsic gas exceed the gas limit: both EVMs
    // reject such a transaction alike; they are rare.
    assert!(rejected * 200 < N, "{rejected} rejected transactions");
    assert!(
        outliers * 1000 < N,
        "{outliers} programs beyond the biased bounds"
    );
}

#[test]
fn op_corpus_programs_run() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut n = 0;
    let start = Instant::now();
    for (target, decode) in [
        ("diff_ops", decode as fn(&[u8]) -> _),
        ("diff_small", decode_small),
    ] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(target))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for path in files {
            let spec = program_from_case(&decode(&std::fs::read(&path).unwrap()));
            let program = spec.compile();
            check_valid(&spec, &program).unwrap();
            if let Err(e) = program.run_stock() {
                panic!("{}: {e:?}", path.display());
            }
            n += 1;
        }
    }
    eprintln!(
        "{n} op-corpus programs on stock revm in {:?}",
        start.elapsed()
    );
}

fn output(result: &ExecutionResult) -> &Bytes {
    match result {
        ExecutionResult::Success {
            output: Output::Call(bytes),
            ..
        } => bytes,
        other => panic!("not a successful call: {other:?}"),
    }
}

fn slot(outcome: &ResultAndState, address: Address, slot: u64) -> U256 {
    outcome
        .state
        .get(&address)
        .and_then(|a| a.storage.get(&U256::from(slot)))
        .map(|s| s.present_value)
        .unwrap_or_default()
}

fn scenario(name: &str) -> ProgramSpec {
    let (_, build) = SCENARIOS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no scenario {name}"));
    build()
}

fn run_scenario(name: &str) -> ResultAndState {
    let start = Instant::now();
    let spec = scenario(name);
    let program = spec.compile();
    check_valid(&spec, &program).unwrap();
    let outcome = run(&program);
    eprintln!(
        "{name}: {:?}, {} gas",
        start.elapsed(),
        outcome.result.tx_gas_used()
    );
    outcome
}

fn word(seed: u8) -> Vec<u8> {
    pattern(seed).to_vec()
}

#[test]
fn identity_overlap_outputs_the_input_as_it_was() {
    let outcome = run_scenario("identity_overlap");
    let mut memory = vec![0u8; 0x240];
    let identity = |memory: &mut Vec<u8>, args: usize, ret: usize| {
        let input = memory[args..args + 64].to_vec();
        memory[ret..ret + 64].copy_from_slice(&input);
        input
    };
    memory[..64].copy_from_slice(&[word(1), word(2)].concat());
    identity(&mut memory, 0, 16);
    memory[0x100..0x140].copy_from_slice(&[word(1), word(2)].concat());
    identity(&mut memory, 0x110, 0x100);
    memory[0x180..0x1A0].copy_from_slice(&word(3));
    let last = identity(&mut memory, 0x180, 0x180);
    memory[0x200..0x240].copy_from_slice(&last);
    assert_eq!(output(&outcome.result).as_ref(), &memory[..]);
    assert_eq!(&memory[16..80], &[word(1), word(2)].concat()[..]);
    assert_eq!(slot(&outcome, contract_address(0), 0), U256::from(1));
}

#[test]
fn return_data_is_a_snapshot() {
    let outcome = run_scenario("return_data_snapshot");
    let expected = [word(2), word(1), word(3), word(9)].concat();
    assert_eq!(output(&outcome.result).as_ref(), &expected[..]);
}

#[test]
fn revert_output_is_copied_and_halt_output_is_not() {
    let outcome = run_scenario("revert_output_copied");
    let expected = [word(4), word(7), word(6)].concat();
    assert_eq!(output(&outcome.result).as_ref(), &expected[..]);
    let a = contract_address(0);
    let slots: Vec<U256> = (0..5).map(|i| slot(&outcome, a, i)).collect();
    assert_eq!(slots, [0u64, 32, 0, 0, 1].map(U256::from));
}

#[test]
fn returndatacopy_edges_halt_where_eip_211_says() {
    let outcome = run_scenario("returndatacopy_edges");
    let a = contract_address(0);
    let flags: Vec<U256> = (0..5).map(|i| slot(&outcome, a, i)).collect();
    assert_eq!(flags, [0u64, 0, 1, 1, 0].map(U256::from));
    assert_eq!(output(&outcome.result).as_ref(), &word(8)[..]);
}

#[test]
fn siblings_start_from_empty_memory() {
    let outcome = run_scenario("sibling_memory");
    let out = output(&outcome.result);
    let msize = |v: u64| U256::from(v).to_be_bytes::<32>().to_vec();
    for call in 0..3 {
        let at = call * 0x40;
        assert_eq!(&out[at..at + 32], &[0u8; 32], "call {call} saw memory");
        assert_eq!(&out[at + 32..at + 64], &msize(0x40)[..], "call {call}");
    }
    assert_eq!(&out[0xC0..0xE0], &msize(0x220)[..]);
}

#[test]
fn call_chain_reaches_depth_1024() {
    let outcome = run_scenario("call_chain_1024");
    assert!(outcome.result.is_success());
    assert_eq!(
        slot(&outcome, contract_address(0), 0),
        U256::from(32 * 1024)
    );
}

#[test]
fn creates_from_memory_deploy_the_runtime() {
    let outcome = run_scenario("create_from_memory");
    assert!(outcome.result.is_success(), "{:?}", outcome.result);
    let a = contract_address(0);
    for i in 0..4 {
        assert_ne!(slot(&outcome, a, i), U256::ZERO, "create {i} failed");
    }
    assert_eq!(slot(&outcome, a, 4), U256::ZERO, "a reverting init code");
    let runtime = created_runtime();
    let deployed = |code: &[u8]| {
        outcome
            .state
            .values()
            .filter(|account| {
                account
                    .info
                    .code
                    .as_ref()
                    .is_some_and(|c| c.original_bytes().as_ref() == code)
            })
            .count()
    };
    assert_eq!(deployed(&runtime), 2);
    // The truncated init code: the second one's body, its tail, and part of its runtime.
    let spec = scenario("create_from_memory");
    let Action::Create {
        init: InitCode::Written { body, .. },
        ..
    } = &spec.contracts[0][1]
    else {
        panic!("the second create writes its init code");
    };
    let (code, at) = init_code(body, &runtime, spec.spec);
    let mut cut = code[at..TRUNCATED_INIT as usize].to_vec();
    cut.resize(runtime.len(), 0);
    assert_eq!(deployed(&cut), 1);
}

#[test]
fn mcopy_is_a_memmove() {
    let outcome = run_scenario("mcopy_overlaps");
    let mut memory = vec![0u8; 0x60];
    memory.copy_from_slice(&[word(1), word(2), word(3)].concat());
    let mut mcopy = |dst: usize, src: usize, len: usize| {
        let end = dst.max(src) + len;
        if memory.len() < end {
            memory.resize(end.div_ceil(32) * 32, 0);
        }
        memory.copy_within(src..src + len, dst);
    };
    mcopy(1, 0, 63);
    mcopy(64, 70, 26);
    mcopy(0x20, 0x20, 32);
    mcopy(0x100, 0x10, 33);
    mcopy(0x10, 0x130, 32);
    assert_eq!(memory.len(), 0x160);
    assert_eq!(output(&outcome.result).as_ref(), &memory[..]);
}

#[test]
fn the_memory_limit_stops_the_child() {
    let outcome = run_scenario("memory_limit_in_child");
    assert!(outcome.result.is_success(), "{:?}", outcome.result);
    let a = contract_address(0);
    let slots: Vec<U256> = (0..3).map(|i| slot(&outcome, a, i)).collect();
    assert_eq!(slots, [0u64, 1, 0x1020].map(U256::from));
}

#[test]
fn every_scenario_is_tested_here() {
    let tested = [
        "identity_overlap",
        "return_data_snapshot",
        "revert_output_copied",
        "returndatacopy_edges",
        "sibling_memory",
        "call_chain_1024",
        "create_from_memory",
        "mcopy_overlaps",
        "memory_limit_in_child",
    ];
    let names: Vec<&str> = scenarios::SCENARIOS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, tested);
}
