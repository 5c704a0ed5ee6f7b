//! Prints a [`Program`] as a pasteable Rust test: every contract's bytecode in hex at its
//! address, the calldata, gas limit, fork and memory limit, checked with
//! `evm_memory::harness::evm::check_program` (the bytecode-level oracle).

use std::fmt::Write;

use revm_primitives::hex;

use super::program::Program;

/// Bytes per line of a hex literal.
const HEX_LINE: usize = 48;

/// `bytes` as `hex!("…").to_vec()`, long literals continued over lines.
fn hex_expr(bytes: &[u8], indent: &str) -> String {
    let lines: Vec<String> = bytes.chunks(HEX_LINE).map(hex::encode).collect();
    if lines.len() <= 1 {
        return format!("hex!(\"{}\").to_vec()", lines.concat());
    }
    let sep = format!("\\\n{indent}    ");
    format!("hex!(\"{}\").to_vec()", lines.join(&sep))
}

/// The program as a complete, pasteable Rust test named `name`.
pub fn rust_reproducer(program: &Program, name: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#[test]");
    let _ = writeln!(s, "fn {name}() {{");
    let _ = writeln!(
        s,
        "    use evm_memory::harness::evm::{{check_program, Contract, Program}};"
    );
    let _ = writeln!(
        s,
        "    use revm_primitives::{{address, hardfork::SpecId, hex}};"
    );
    let _ = writeln!(s, "    let program = Program {{");
    let _ = writeln!(s, "        spec: SpecId::{:?},", program.spec);
    let _ = writeln!(s, "        gas_limit: {},", program.gas_limit);
    match program.memory_limit {
        Some(limit) => {
            let _ = writeln!(s, "        memory_limit: Some({limit:#x}),");
        }
        None => {
            let _ = writeln!(s, "        memory_limit: None,");
        }
    }
    let _ = writeln!(
        s,
        "        calldata: {},",
        hex_expr(&program.calldata, "        ")
    );
    let _ = writeln!(s, "        contracts: vec![");
    for (i, contract) in program.contracts.iter().enumerate() {
        let role = program.role(i);
        let _ = writeln!(
            s,
            "            // contract {i}{role}, {} bytes",
            contract.code.len()
        );
        let _ = writeln!(s, "            Contract {{");
        let _ = writeln!(
            s,
            "                address: address!(\"0x{}\"),",
            hex::encode(contract.address)
        );
        let _ = writeln!(
            s,
            "                code: {},",
            hex_expr(&contract.code, "                ")
        );
        let _ = writeln!(s, "            }},");
    }
    let _ = writeln!(s, "        ],");
    let _ = writeln!(s, "    }};");
    let _ = writeln!(s, "    check_program(&program);");
    let _ = writeln!(s, "}}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::evm::program::{contract_address, Contract, DATA_ADDRESS};
    use revm_primitives::hardfork::SpecId;

    #[test]
    fn the_test_holds_every_contract_and_the_call() {
        let long: Vec<u8> = (0..=255u8).collect();
        let program = Program {
            spec: SpecId::PRAGUE,
            gas_limit: 123_456,
            memory_limit: Some(0x400),
            calldata: vec![0xca, 0x11],
            contracts: vec![
                Contract {
                    address: contract_address(0),
                    code: vec![0x60, 0x2a, 0x00],
                },
                Contract {
                    address: DATA_ADDRESS,
                    code: long.clone(),
                },
            ],
        };
        let text = rust_reproducer(&program, "evm_divergence_1");
        assert!(text.starts_with("#[test]\nfn evm_divergence_1() {"));
        assert!(text.contains("spec: SpecId::PRAGUE,"));
        assert!(text.contains("gas_limit: 123456,"));
        assert!(text.contains("memory_limit: Some(0x400),"));
        assert!(text.contains("calldata: hex!(\"ca11\").to_vec(),"));
        assert!(text.contains("address!(\"0x000000000000000000000000000000000000a000\")"));
        assert!(text.contains("code: hex!(\"602a00\").to_vec(),"));
        assert!(text.contains("check_program(&program);"));
        // The long literal, with its line continuations removed, is the code in hex.
        let joined: String = text
            .split("\\\n")
            .map(|part| part.trim_start())
            .collect::<Vec<_>>()
            .concat();
        assert!(joined.contains(&hex::encode(&long)));
    }
}
