//! Ours vs revm vs the reference model with small memory limits and gas budgets.
#![no_main]
use evm_memory::harness::{check_case, SmallCase};

libfuzzer_sys::fuzz_target!(|case: SmallCase| {
    check_case(&case.0);
});
