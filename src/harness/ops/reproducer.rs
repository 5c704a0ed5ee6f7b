//! Prints a [`Case`] as Rust source that rebuilds it, so that a divergence report can be pasted
//! into a test as is.

use std::fmt::Write;

use super::case::{Case, Op};
use crate::U256;

/// A `U256` as the shortest Rust expression for it.
pub fn u256_expr(v: U256) -> String {
    if v == U256::MAX {
        "U256::MAX".to_string()
    } else if v <= U256::from(u64::MAX) {
        let x = v.to::<u64>();
        if x < 1 << 16 {
            format!("u({x})")
        } else {
            format!("u({x:#x})")
        }
    } else {
        let l = v.as_limbs();
        format!(
            "U256::from_limbs([{:#x}, {:#x}, {:#x}, {:#x}])",
            l[0], l[1], l[2], l[3]
        )
    }
}

fn bytes_expr(b: &[u8]) -> String {
    let items: Vec<String> = b.iter().map(|x| format!("{x:#04x}")).collect();
    format!("vec![{}]", items.join(", "))
}

/// One op as a Rust expression.
pub fn op_expr(op: &Op) -> String {
    let e = u256_expr;
    match *op {
        Op::MStore { offset, value } => {
            format!(
                "Op::MStore {{ offset: {}, value: {} }}",
                e(offset),
                e(value)
            )
        }
        Op::MStore8 { offset, value } => {
            format!(
                "Op::MStore8 {{ offset: {}, value: {value:#04x} }}",
                e(offset)
            )
        }
        Op::MLoad { offset } => format!("Op::MLoad {{ offset: {} }}", e(offset)),
        Op::MSize => "Op::MSize".to_string(),
        Op::MCopy { dst, src, len } => format!(
            "Op::MCopy {{ dst: {}, src: {}, len: {} }}",
            e(dst),
            e(src),
            e(len)
        ),
        Op::CallDataCopy {
            mem_offset,
            data_offset,
            len,
        } => format!(
            "Op::CallDataCopy {{ mem_offset: {}, data_offset: {}, len: {} }}",
            e(mem_offset),
            e(data_offset),
            e(len)
        ),
        Op::CodeCopy {
            mem_offset,
            data_offset,
            len,
        } => format!(
            "Op::CodeCopy {{ mem_offset: {}, data_offset: {}, len: {} }}",
            e(mem_offset),
            e(data_offset),
            e(len)
        ),
        Op::ReturnDataCopy {
            mem_offset,
            data_offset,
            len,
        } => format!(
            "Op::ReturnDataCopy {{ mem_offset: {}, data_offset: {}, len: {} }}",
            e(mem_offset),
            e(data_offset),
            e(len)
        ),
        Op::Read { offset, len } => {
            format!("Op::Read {{ offset: {}, len: {} }}", e(offset), e(len))
        }
        Op::Call {
            args_offset,
            args_len,
            ret_offset,
            ret_len,
            gas,
        } => {
            let gas = if gas == u64::MAX {
                "u64::MAX".to_string()
            } else {
                gas.to_string()
            };
            format!(
                "Op::Call {{ args_offset: {}, args_len: {}, ret_offset: {}, ret_len: {}, gas: {gas} }}",
                e(args_offset),
                e(args_len),
                e(ret_offset),
                e(ret_len)
            )
        }
        Op::Return { offset, len } => {
            format!("Op::Return {{ offset: {}, len: {} }}", e(offset), e(len))
        }
        Op::Revert { offset, len } => {
            format!("Op::Revert {{ offset: {}, len: {} }}", e(offset), e(len))
        }
        Op::Halt => "Op::Halt".to_string(),
    }
}

/// The case as a complete, pasteable Rust test.
pub fn rust_reproducer(case: &Case, name: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#[test]");
    let _ = writeln!(s, "fn {name}() {{");
    let _ = writeln!(
        s,
        "    use evm_memory::harness::{{check_case, u, Case, Op}};"
    );
    let _ = writeln!(s, "    use evm_memory::U256;");
    let _ = writeln!(s, "    let case = Case {{");
    let _ = writeln!(s, "        limit: {:#x},", case.limit);
    let _ = writeln!(s, "        gas: {},", case.gas);
    let _ = writeln!(s, "        calldata: {},", bytes_expr(&case.calldata));
    let _ = writeln!(s, "        code: {},", bytes_expr(&case.code));
    if case.pricing != crate::MemoryPricing::MAINNET {
        let _ = writeln!(
            s,
            "        pricing: evm_memory::MemoryPricing {{ word_cost: {}, quadratic_denominator: {} }},",
            case.pricing.word_cost, case.pricing.quadratic_denominator
        );
    }
    let _ = writeln!(s, "        ops: vec![");
    for (i, op) in case.ops.iter().enumerate() {
        let _ = writeln!(s, "            /* {i:>3} */ {},", op_expr(op));
    }
    let _ = writeln!(s, "        ],");
    let _ = writeln!(s, "    }};");
    let _ = writeln!(s, "    check_case(&case);");
    let _ = writeln!(s, "}}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::ops::case::u;

    #[test]
    fn values_print_as_rust() {
        assert_eq!(u256_expr(u(5)), "u(5)");
        assert_eq!(u256_expr(u(1 << 20)), "u(0x100000)");
        assert_eq!(u256_expr(U256::MAX), "U256::MAX");
        assert_eq!(
            u256_expr(U256::from_limbs([0, 1, 0, 0])),
            "U256::from_limbs([0x0, 0x1, 0x0, 0x0])"
        );
    }
}
