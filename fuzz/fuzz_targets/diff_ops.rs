//! Ours vs revm vs the reference model on generated op sequences (all limits and gas budgets).
#![no_main]
use evm_memory::harness::{check_case, Case};

libfuzzer_sys::fuzz_target!(|case: Case| {
    check_case(&case);
});
