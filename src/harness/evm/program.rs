//! A compiled [`Program`]: contract bytecode at fixed addresses, the transaction's calldata, gas
//! limit, memory limit and fork, and the revm environment it runs in (a funded sender, the
//! contracts in a `CacheDB`, a block with a high gas limit and no base fee, a configuration with
//! the transaction gas cap lifted so that gas limits above 2^24 work on OSAKA).

use core::convert::Infallible;

use revm_context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm_context_interface::result::{EVMError, ResultAndState};
use revm_database::{CacheDB, EmptyDB};
use revm_handler::{ExecuteEvm, MainBuilder, MainContext, MainnetContext};
use revm_primitives::{hardfork::SpecId, Address, Bytes, TxKind, U256};
use revm_state::{AccountInfo, Bytecode};

/// The transaction's sender (an externally owned account with a large balance).
pub const SENDER: Address = Address::new(address_bytes(0xCA11));

/// The data account: code that EXTCODECOPY reads and nothing calls.
pub const DATA_ADDRESS: Address = Address::new(address_bytes(0xDA7A));

/// An account that never exists.
pub const EMPTY_ADDRESS: Address = Address::new(address_bytes(0xDEAD));

/// The identity precompile.
pub const IDENTITY_ADDRESS: Address = Address::new(address_bytes(4));

/// Balance of the sender.
pub const SENDER_BALANCE: u128 = 1 << 100;

/// Balance of every generated contract, so that calls and creates with small values succeed.
pub const CONTRACT_BALANCE: u128 = 1_000_000_000;

const fn address_bytes(low: u64) -> [u8; 20] {
    let mut out = [0u8; 20];
    let be = low.to_be_bytes();
    let mut i = 0;
    while i < 8 {
        out[12 + i] = be[i];
        i += 1;
    }
    out
}

/// Address of generated contract `i`: 0x…A000 for the entry contract, then 0x…B000, 0x…C000
/// and on in steps of 0x1000.
pub const fn contract_address(i: usize) -> Address {
    Address::new(address_bytes(0xA000 + 0x1000 * i as u64))
}

/// One account with code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Contract {
    /// Where it lives.
    pub address: Address,
    /// Its bytecode.
    pub code: Vec<u8>,
}

/// A transaction over contracts, ready to run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Program {
    /// The fork.
    pub spec: SpecId,
    /// The transaction's gas limit.
    pub gas_limit: u64,
    /// revm's `CfgEnv::memory_limit`; `None` keeps revm's default.
    pub memory_limit: Option<u64>,
    /// The transaction's calldata.
    pub calldata: Vec<u8>,
    /// The accounts with code: the first is the entry contract the transaction calls.
    pub contracts: Vec<Contract>,
}

/// The state after [`Program::run_stock`]: revm's result and state change, or its error.
pub type StockOutcome = Result<ResultAndState, EVMError<Infallible>>;

impl Program {
    /// The address the transaction calls (the first contract's; contract 0's address when
    /// there is none).
    pub fn entry(&self) -> Address {
        self.contracts
            .first()
            .map_or(contract_address(0), |c| c.address)
    }

    /// What contract `i` is, for listings: ` (entry)`, ` (data)` or nothing.
    pub fn role(&self, i: usize) -> &'static str {
        match self.contracts.get(i) {
            _ if i == 0 => " (entry)",
            Some(c) if c.address == DATA_ADDRESS => " (data)",
            _ => "",
        }
    }

    /// The code at `address`, if the program puts any there.
    pub fn code_at(&self, address: Address) -> Option<&[u8]> {
        self.contracts
            .iter()
            .find(|c| c.address == address)
            .map(|c| c.code.as_slice())
    }

    /// The pre-state: the funded sender and every contract with its code and
    /// [`CONTRACT_BALANCE`].
    ///
    /// Every contract's code is legacy bytecode, whatever its first bytes: the data contract
    /// holds arbitrary bytes, and `0xEF01…` would otherwise be read as an EIP-7702 delegation
    /// designator (and rejected when its length is wrong).
    pub fn db(&self) -> CacheDB<EmptyDB> {
        let mut db = CacheDB::new(EmptyDB::default());
        db.insert_account_info(
            SENDER,
            AccountInfo::from_balance(U256::from(SENDER_BALANCE)),
        );
        for contract in &self.contracts {
            db.insert_account_info(
                contract.address,
                AccountInfo::from_balance(U256::from(CONTRACT_BALANCE))
                    .with_code(Bytecode::new_legacy(Bytes::copy_from_slice(&contract.code))),
            );
        }
        db
    }

    /// The transaction: from [`SENDER`] (nonce 0) to the entry contract, no value, gas price 0.
    pub fn tx(&self) -> TxEnv {
        TxEnv::builder()
            .caller(SENDER)
            .kind(TxKind::Call(self.entry()))
            .data(Bytes::copy_from_slice(&self.calldata))
            .gas_limit(self.gas_limit)
            .gas_price(0)
            .build_fill()
    }

    /// The configuration: the fork with its mainnet gas parameters, no transaction gas cap,
    /// the memory limit when one is set.
    pub fn cfg(&self) -> CfgEnv {
        let mut cfg = CfgEnv::default();
        cfg.set_spec_and_mainnet_gas_params(self.spec);
        cfg.tx_gas_limit_cap = Some(u64::MAX);
        if let Some(limit) = self.memory_limit {
            cfg.memory_limit = limit;
        }
        cfg
    }

    /// The block: a gas limit far above any transaction's, base fee 0.
    pub fn block(&self) -> BlockEnv {
        BlockEnv {
            gas_limit: u64::MAX / 4,
            basefee: 0,
            ..BlockEnv::default()
        }
    }

    /// A mainnet context with this program's state, configuration and block (build stock revm
    /// with `build_mainnet`, ours with `build_memory_evm`).
    pub fn context(&self) -> MainnetContext<CacheDB<EmptyDB>> {
        Context::mainnet()
            .with_db(self.db())
            .with_cfg(self.cfg())
            .with_block(self.block())
    }

    /// Runs the transaction through stock revm (`build_mainnet`, revm's `SharedMemory`).
    ///
    /// # Errors
    /// revm's, when it rejects the transaction (a gas limit below the intrinsic gas, …).
    pub fn run_stock(&self) -> StockOutcome {
        self.context().build_mainnet().transact(self.tx())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_distinct() {
        assert_eq!(
            contract_address(0),
            "0x000000000000000000000000000000000000a000"
                .parse::<Address>()
                .unwrap()
        );
        assert_eq!(contract_address(1).0[18..], [0xB0, 0x00]);
        assert_eq!(contract_address(2).0[18..], [0xC0, 0x00]);
        let others = [SENDER, DATA_ADDRESS, EMPTY_ADDRESS, IDENTITY_ADDRESS];
        for i in 0..super::super::MAX_CONTRACTS {
            assert!(!others.contains(&contract_address(i)));
        }
    }

    #[test]
    fn an_empty_program_runs() {
        let program = Program {
            spec: SpecId::OSAKA,
            gas_limit: 1 << 30,
            memory_limit: None,
            calldata: vec![1, 2, 3],
            contracts: vec![Contract {
                address: contract_address(0),
                code: vec![0x00],
            }],
        };
        let outcome = program.run_stock().expect("valid transaction");
        assert!(outcome.result.is_success());
    }
}
