//! The C API driven with raw bytes as a C caller would (NULL pointers, absurd lengths, stale
//! checkpoints), checked against a plain `Memory`: see `evm_memory::harness::c_api`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evm_memory::harness::c_api::drive_c_api(data);
});
