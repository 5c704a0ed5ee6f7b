//! [`Asm`]: a small EVM bytecode assembler for the transactions the tests and benchmarks run
//! through revm and [`MemoryEvm`](crate::revm::MemoryEvm): pushes sized to their value, the
//! memory and call idioms written once, and jumps to labels.
//!
//! ```
//! use evm_memory::harness::asm::{op, Asm};
//!
//! // MSTORE(0, 0x2a); RETURN(0, 32)
//! let code = Asm::new().mstore(0, 0x2a).ret(0, 32);
//! assert_eq!(code.bytes(), [0x60, 0x2a, 0x5f, op::MSTORE, 0x60, 0x20, 0x5f, op::RETURN]);
//! ```

use revm_primitives::{Address, Bytes, U256};

/// The opcodes, by name (revm's table).
pub use revm_bytecode::opcode as op;

/// EVM bytecode under construction. Every method appends and returns the assembler, so
/// programs read top to bottom.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Asm {
    code: Vec<u8>,
    /// Zero is pushed as `PUSH1 0` (for forks before SHANGHAI, which have no PUSH0).
    no_push0: bool,
}

/// A forward jump whose target is not known yet: [`Asm::jumpi_forward`] makes one and
/// [`Asm::land`] sets its target to the current position.
#[derive(Debug)]
#[must_use = "a forward jump must land somewhere"]
pub struct Forward(usize);

impl Asm {
    /// An empty program.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty program for forks before SHANGHAI: zero is pushed as `PUSH1 0`, not PUSH0.
    pub fn without_push0() -> Self {
        Self {
            code: Vec::new(),
            no_push0: true,
        }
    }

    /// An empty program for `spec`: [`without_push0`](Self::without_push0) before SHANGHAI.
    pub fn for_spec(spec: revm_primitives::hardfork::SpecId) -> Self {
        use revm_primitives::hardfork::SpecId;
        if spec.is_enabled_in(SpecId::SHANGHAI) {
            Self::new()
        } else {
            Self::without_push0()
        }
    }

    /// The bytecode, taken out of the assembler.
    pub fn into_bytes(self) -> Vec<u8> {
        self.code
    }

    /// The bytecode so far.
    pub fn bytes(&self) -> &[u8] {
        &self.code
    }

    /// The bytecode, as revm takes it.
    pub fn code(&self) -> Bytes {
        Bytes::copy_from_slice(&self.code)
    }

    /// Length in bytes (the position of the next instruction).
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Whether nothing has been assembled.
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// One opcode.
    pub fn op(mut self, opcode: u8) -> Self {
        self.code.push(opcode);
        self
    }

    /// Raw bytes (opcodes and immediates as they are).
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.code.extend_from_slice(bytes);
        self
    }

    /// Pushes a big-endian value with the shortest PUSH that holds it (PUSH0 for zero, or
    /// `PUSH1 0` [`without_push0`](Self::without_push0)).
    pub fn push_bytes(mut self, value: &[u8]) -> Self {
        let first = value.iter().position(|&b| b != 0).unwrap_or(value.len());
        let value = &value[first..];
        assert!(value.len() <= 32, "a push holds at most 32 bytes");
        if value.is_empty() && self.no_push0 {
            self.code.extend_from_slice(&[op::PUSH1, 0]);
        } else if value.is_empty() {
            self.code.push(op::PUSH0);
        } else {
            self.code.push(op::PUSH0 + value.len() as u8);
            self.code.extend_from_slice(value);
        }
        self
    }

    /// Pushes `value`.
    pub fn push(self, value: u64) -> Self {
        self.push_bytes(&value.to_be_bytes())
    }

    /// Pushes a 256-bit `value`.
    pub fn push_u256(self, value: U256) -> Self {
        self.push_bytes(&value.to_be_bytes::<32>())
    }

    /// Pushes the low `width` bytes of `value` with `PUSH<width>` (1 ..= 32, clamped), whatever
    /// its size: a push of fixed length, for code whose layout must not depend on values.
    pub fn push_fixed(mut self, width: u8, value: U256) -> Self {
        let width = width.clamp(1, 32);
        let bytes = value.to_be_bytes::<32>();
        self.code.push(op::PUSH0 + width);
        self.code.extend_from_slice(&bytes[32 - width as usize..]);
        self
    }

    /// Pushes an address.
    pub fn push_address(self, address: Address) -> Self {
        self.push_bytes(address.as_slice())
    }

    /// `MSTORE(offset, value)`.
    pub fn mstore(self, offset: u64, value: u64) -> Self {
        self.push(value).push(offset).op(op::MSTORE)
    }

    /// `MSTORE(offset, word)` of a whole 32-byte word.
    pub fn mstore_word(self, offset: u64, word: [u8; 32]) -> Self {
        self.push_bytes(&word).push(offset).op(op::MSTORE)
    }

    /// Writes `bytes` to memory from `offset` on, a word at a time (the last word
    /// zero-padded).
    pub fn mstore_bytes(self, offset: u64, bytes: &[u8]) -> Self {
        bytes.chunks(32).enumerate().fold(self, |asm, (i, chunk)| {
            let mut word = [0u8; 32];
            word[..chunk.len()].copy_from_slice(chunk);
            asm.mstore_word(offset + 32 * i as u64, word)
        })
    }

    /// A call of kind `kind` (CALL, CALLCODE, DELEGATECALL or STATICCALL) to `to` with all
    /// the gas left, no value, the argument region `args` and the return region `ret` (each
    /// `(offset, length)`); leaves the success flag on the stack.
    pub fn call(self, kind: u8, to: Address, args: (u64, u64), ret: (u64, u64)) -> Self {
        let asm = self.push(ret.1).push(ret.0).push(args.1).push(args.0);
        let asm = if matches!(kind, op::CALL | op::CALLCODE) {
            asm.push(0)
        } else {
            asm
        };
        asm.push_address(to).op(op::GAS).op(kind)
    }

    /// `RETURN(offset, len)`.
    pub fn ret(self, offset: u64, len: u64) -> Self {
        self.push(len).push(offset).op(op::RETURN)
    }

    /// `REVERT(offset, len)`.
    pub fn revert(self, offset: u64, len: u64) -> Self {
        self.push(len).push(offset).op(op::REVERT)
    }

    /// A JUMPDEST, returning the assembler and its position (a label for [`jumpi`](Self::jumpi)).
    pub fn label(self) -> (Self, usize) {
        let at = self.len();
        (self.op(op::JUMPDEST), at)
    }

    /// `JUMPI(label, <top of stack>)`: jumps back to `label` when the top of the stack is not
    /// zero (consuming it).
    pub fn jumpi(self, label: usize) -> Self {
        self.push2(label).op(op::JUMPI)
    }

    /// `JUMPI` to a label further on, set later with [`land`](Self::land).
    pub fn jumpi_forward(self) -> (Self, Forward) {
        let at = self.len() + 1;
        (self.push2(0).op(op::JUMPI), Forward(at))
    }

    /// Puts a JUMPDEST here and makes `jump` land on it.
    pub fn land(mut self, jump: Forward) -> Self {
        let here = u16::try_from(self.len()).expect("code under 64 KiB");
        self.code[jump.0..jump.0 + 2].copy_from_slice(&here.to_be_bytes());
        self.op(op::JUMPDEST)
    }

    /// Runs `body` (which must leave the stack as it found it) `n > 0` times: a counter on the
    /// stack, decremented after each pass.
    pub fn repeat(self, n: u64, body: impl FnOnce(Self) -> Self) -> Self {
        assert!(n > 0, "a loop runs at least once");
        let (asm, top) = self.push(n).label();
        body(asm)
            .push(1)
            .op(op::SWAP1)
            .op(op::SUB)
            .op(op::DUP1)
            .jumpi(top)
            .op(op::POP)
    }

    fn push2(mut self, value: usize) -> Self {
        let value = u16::try_from(value).expect("code under 64 KiB");
        self.code.push(op::PUSH2);
        self.code.extend_from_slice(&value.to_be_bytes());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_are_sized_to_their_values() {
        let code = Asm::new()
            .push(0)
            .push(0xff)
            .push(0x100)
            .push_u256(U256::MAX);
        let mut expected = vec![
            op::PUSH0,
            op::PUSH1,
            0xff,
            op::PUSH2,
            0x01,
            0x00,
            op::PUSH32,
        ];
        expected.extend([0xff; 32]);
        assert_eq!(code.bytes(), &expected[..]);
    }

    #[test]
    fn zero_without_push0_and_fixed_pushes() {
        let code = Asm::without_push0().push(0).push(1);
        assert_eq!(code.bytes(), [op::PUSH1, 0, op::PUSH1, 1]);
        let code = Asm::new()
            .push_fixed(2, U256::from(7))
            .push_fixed(1, U256::MAX);
        assert_eq!(code.bytes(), [op::PUSH2, 0, 7, op::PUSH1, 0xff]);
    }

    #[test]
    fn jumps_land_on_their_labels() {
        let (asm, top) = Asm::new().push(1).label();
        let (asm, fwd) = asm.jumpi(top).push(0).jumpi_forward();
        let asm = asm.op(op::INVALID).land(fwd);
        let code = asm.bytes();
        assert_eq!(code[top], op::JUMPDEST);
        let target = u16::from_be_bytes([code[fwd_at(code)], code[fwd_at(code) + 1]]);
        assert_eq!(code[target as usize], op::JUMPDEST);
    }

    fn fwd_at(code: &[u8]) -> usize {
        // The second PUSH2 in the program is the forward jump's.
        code.iter()
            .enumerate()
            .filter(|(_, &b)| b == op::PUSH2)
            .nth(1)
            .map(|(i, _)| i + 1)
            .unwrap()
    }
}
