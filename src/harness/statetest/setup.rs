//! A case's configuration, block and transaction, as revm's runner sets them up per fork:
//! chain id from the unit's env, the fork's spec with mainnet gas parameters, the fork's blob
//! limit per transaction, revm-statetest-types' block and transaction builders.
//!
//! Those builders index arrays and `expect` on values that a malformed file can make
//! out of range; [`check_unit`] and [`check_tx_parts`] reject such values first, so that a bad
//! file is a reported failure rather than a panic.

use revm_context::{BlockEnv, CfgEnv, TxEnv};
use revm_primitives::hardfork::SpecId;
use revm_primitives::U256;
use revm_statetest_types::{Test, TestUnit};

/// Blob limit per transaction of `spec`: EIP-7691 raised it to 9 in Prague, EIP-7594 brought
/// it back to 6 in Osaka (before Prague it is Cancun's 6).
pub fn max_blobs_per_tx(spec: SpecId) -> u64 {
    if spec.is_enabled_in(SpecId::OSAKA) {
        6
    } else if spec.is_enabled_in(SpecId::PRAGUE) {
        9
    } else {
        6
    }
}

/// The configuration of `unit`'s cases under `spec`: chain id from the env (1 when absent or
/// beyond 64 bits), the spec with its mainnet gas parameters, the blob limit.
pub fn cfg_env(unit: &TestUnit, spec: SpecId) -> CfgEnv {
    let mut cfg = CfgEnv::default();
    cfg.chain_id = unit
        .env
        .current_chain_id
        .unwrap_or(U256::ONE)
        .try_into()
        .unwrap_or(1);
    cfg.set_spec_and_mainnet_gas_params(spec);
    cfg.set_max_blobs_per_tx(max_blobs_per_tx(spec));
    cfg
}

/// Rejects env values the block builder would panic on.
///
/// # Errors
/// What is out of range.
pub fn check_unit(unit: &TestUnit) -> Result<(), String> {
    if let Some(excess) = unit.env.current_excess_blob_gas {
        if excess > U256::from(u64::MAX) {
            return Err(format!(
                "env.currentExcessBlobGas {excess:#x} does not fit 64 bits"
            ));
        }
    }
    Ok(())
}

/// The block of `unit` under `cfg` (revm-statetest-types' `block_env`; call [`check_unit`]
/// first).
pub fn block_env(unit: &TestUnit, cfg: &mut CfgEnv) -> BlockEnv {
    unit.block_env(cfg)
}

/// Rejects transaction parts `Test::tx_env` would panic on: indexes past the end of the
/// `data`, `gasLimit` or `value` arrays, fees beyond 128 bits.
///
/// # Errors
/// What is out of range.
pub fn check_tx_parts(unit: &TestUnit, test: &Test) -> Result<(), String> {
    let parts = &unit.transaction;
    let indexes = &test.indexes;
    for (what, index, len) in [
        ("data", indexes.data, parts.data.len()),
        ("gas", indexes.gas, parts.gas_limit.len()),
        ("value", indexes.value, parts.value.len()),
    ] {
        if index >= len {
            return Err(format!(
                "indexes.{what} = {index} but the transaction has {len} {what} entr{}",
                if len == 1 { "y" } else { "ies" }
            ));
        }
    }
    for (what, fee) in [
        ("maxPriorityFeePerGas", parts.max_priority_fee_per_gas),
        ("maxFeePerBlobGas", parts.max_fee_per_blob_gas),
    ] {
        if let Some(fee) = fee {
            if fee > U256::from(u128::MAX) {
                return Err(format!("transaction.{what} {fee:#x} does not fit 128 bits"));
            }
        }
    }
    Ok(())
}

/// Why a case's transaction could not be set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxSetupError {
    /// A value out of range ([`check_tx_parts`]): the file is malformed.
    Malformed(String),
    /// `Test::tx_env` refused (no secret key, unknown key, no transaction type, nonce beyond
    /// 64 bits): fine when the file expects an exception.
    Refused(String),
}

/// The transaction of `test` in `unit`, checked first with [`check_tx_parts`].
///
/// # Errors
/// [`TxSetupError`].
pub fn tx_env(unit: &TestUnit, test: &Test) -> Result<TxEnv, TxSetupError> {
    check_tx_parts(unit, test).map_err(TxSetupError::Malformed)?;
    test.tx_env(unit)
        .map_err(|e| TxSetupError::Refused(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_limits_follow_the_forks() {
        assert_eq!(max_blobs_per_tx(SpecId::CANCUN), 6);
        assert_eq!(max_blobs_per_tx(SpecId::PRAGUE), 9);
        assert_eq!(max_blobs_per_tx(SpecId::OSAKA), 6);
        assert_eq!(max_blobs_per_tx(SpecId::BERLIN), 6);
    }
}
