//! Adapter for a memory in any language behind this crate's C header (`include/evm_memory.h`),
//! loaded from a shared library by path (`c:PATH` in an engine list) with `libloading` and
//! driven in-process through the header's functions, as an interpreter written in C would:
//! `evm_memory_expand_with_gas` over each region, then the plain access
//! (`evm_memory_store_word`, `evm_memory_mcopy`, `evm_memory_set_data`, ...), child contexts
//! with `evm_memory_enter_child` and `evm_memory_exit_child_with_return`.
//!
//! The header prices memory as on mainnet only and configures a limit and an initial capacity:
//! the engine declines ([`Engine::declines`]) a case priced otherwise. Zero-length accesses
//! are skipped, as the EVM's rule says (no expansion, no gas).
//!
//! The header lends no frame's bytes in place: the adapter reads the current context through
//! `evm_memory_copy_out` when the oracle asks (cached until the next op), and keeps a copy of
//! each caller's memory taken when it makes a CALL (a caller cannot change while its child
//! runs).
//!
//! A library that aborts or crashes takes the process with it: the campaign runs such an
//! engine in a child process first ([`isolate`](super::isolate)); a fuzz target runs it
//! in-process, where a crash is the fuzzer's crash.

use core::ffi::{c_int, c_void};
use std::cell::{Cell, Ref, RefCell};
use std::fmt;
use std::path::{Path, PathBuf};

use libloading::Library;

use crate::ffi::{EvmMemoryCheckpoint, EvmMemoryConfig};
use crate::harness::ops::budget::{Growth, Quote};
use crate::harness::ops::case::{child_gas, Case, Op, MAX_CALL_DEPTH};
use crate::harness::ops::engine::{Engine, FrameBytes};
use crate::harness::ops::observation::{Observation, Outcome, Output};
use crate::{saturating_usize, to_usize, MemoryPricing, U256};

/// The prefix of a C library engine's name in an engine list: `c:PATH`.
pub const C_LIBRARY_PREFIX: &str = "c:";

// Status values of the header (`EvmMemoryStatus`), as the library returns them: a plain
// `int`, so that a foreign library's unknown value is a value, not undefined behaviour.
const OK: c_int = 0;
const OUT_OF_MEMORY: c_int = 2;
const MEMORY_OVERFLOW: c_int = 3;
const OUT_OF_GAS: c_int = 5;

type Handle = *mut c_void;
type CreateFn = unsafe extern "C" fn(*const EvmMemoryConfig, *mut Handle) -> c_int;
type DestroyFn = unsafe extern "C" fn(Handle) -> c_int;
type SizeFn = unsafe extern "C" fn(Handle, *mut usize) -> c_int;
type ExpansionCostFn = unsafe extern "C" fn(Handle, usize, usize, *mut u64) -> c_int;
type ExpandWithGasFn = unsafe extern "C" fn(Handle, usize, usize, *mut u64, *mut u64) -> c_int;
type LoadWordFn = unsafe extern "C" fn(Handle, usize, *mut u8) -> c_int;
type StoreWordFn = unsafe extern "C" fn(Handle, usize, *const u8) -> c_int;
type StoreByteFn = unsafe extern "C" fn(Handle, usize, u8) -> c_int;
type CopyOutFn = unsafe extern "C" fn(Handle, usize, *mut u8, usize) -> c_int;
type SetDataFn = unsafe extern "C" fn(Handle, usize, usize, usize, *const u8, usize) -> c_int;
type McopyFn = unsafe extern "C" fn(Handle, usize, usize, usize) -> c_int;
type EnterChildFn = unsafe extern "C" fn(Handle, *mut EvmMemoryCheckpoint) -> c_int;
type ExitChildFn = unsafe extern "C" fn(Handle, EvmMemoryCheckpoint) -> c_int;
type ExitChildWithReturnFn = unsafe extern "C" fn(
    Handle,
    EvmMemoryCheckpoint,
    usize,
    usize,
    usize,
    usize,
    *mut usize,
) -> c_int;
type SetDataFromParentFn = unsafe extern "C" fn(Handle, usize, usize, usize, usize, usize) -> c_int;

/// The header's functions the adapter calls, resolved once from the library.
struct Api {
    create: CreateFn,
    destroy: DestroyFn,
    size: SizeFn,
    expansion_cost: ExpansionCostFn,
    expand_with_gas: ExpandWithGasFn,
    load_word: LoadWordFn,
    store_word: StoreWordFn,
    store_byte: StoreByteFn,
    copy_out: CopyOutFn,
    set_data: SetDataFn,
    mcopy: McopyFn,
    enter_child: EnterChildFn,
    exit_child: ExitChildFn,
    exit_child_with_return: ExitChildWithReturnFn,
    set_data_from_parent: SetDataFromParentFn,
    /// Keeps the functions above loaded (dropped last: fields drop in order).
    _library: Library,
}

/// Why a library could not be loaded as an engine.
#[derive(Debug)]
pub enum CLibraryError {
    /// The file could not be opened as a shared library (missing, not a library, wrong
    /// architecture...).
    Load {
        /// The path given.
        path: PathBuf,
        /// The dynamic loader's message.
        message: String,
    },
    /// The library lacks a function of the header.
    MissingSymbol {
        /// The path given.
        path: PathBuf,
        /// The missing function.
        symbol: &'static str,
    },
    /// The library loaded but could not create a memory.
    Create {
        /// The path given.
        path: PathBuf,
        /// The status `evm_memory_create` returned.
        status: c_int,
    },
}

impl fmt::Display for CLibraryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load { path, message } => write!(
                f,
                "engine c:{}: cannot load it as a shared library: {message}",
                path.display()
            ),
            Self::MissingSymbol { path, symbol } => write!(
                f,
                "engine c:{}: the library does not export `{symbol}` (include/evm_memory.h)",
                path.display()
            ),
            Self::Create { path, status } => write!(
                f,
                "engine c:{}: evm_memory_create returned status {status}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CLibraryError {}

impl Api {
    fn load(path: &Path) -> Result<Self, CLibraryError> {
        // A relative path is the file's, from the working directory (the dynamic loader would
        // search its library path for a bare name instead).
        let file = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        // SAFETY: loading a library runs its initialisers. The user names the library to test
        // (as they would link it into their own program); that is the purpose of `c:PATH`.
        let library = unsafe { Library::new(&file) }.map_err(|e| CLibraryError::Load {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        macro_rules! symbol {
            ($name:literal, $ty:ty) => {{
                // SAFETY: the symbol is declared by include/evm_memory.h with the signature
                // `$ty` spells (a library that exports the name with another signature breaks
                // the header's contract, as it would in any C program linking it). The pointer
                // is copied out and stays valid while `library` is loaded, which `Api` keeps.
                let symbol = unsafe { library.get::<$ty>(concat!($name, "\0").as_bytes()) };
                *symbol.map_err(|_| CLibraryError::MissingSymbol {
                    path: path.to_path_buf(),
                    symbol: $name,
                })?
            }};
        }
        Ok(Self {
            create: symbol!("evm_memory_create", CreateFn),
            destroy: symbol!("evm_memory_destroy", DestroyFn),
            size: symbol!("evm_memory_size", SizeFn),
            expansion_cost: symbol!("evm_memory_expansion_cost", ExpansionCostFn),
            expand_with_gas: symbol!("evm_memory_expand_with_gas", ExpandWithGasFn),
            load_word: symbol!("evm_memory_load_word", LoadWordFn),
            store_word: symbol!("evm_memory_store_word", StoreWordFn),
            store_byte: symbol!("evm_memory_store_byte", StoreByteFn),
            copy_out: symbol!("evm_memory_copy_out", CopyOutFn),
            set_data: symbol!("evm_memory_set_data", SetDataFn),
            mcopy: symbol!("evm_memory_mcopy", McopyFn),
            enter_child: symbol!("evm_memory_enter_child", EnterChildFn),
            exit_child: symbol!("evm_memory_exit_child", ExitChildFn),
            exit_child_with_return: symbol!(
                "evm_memory_exit_child_with_return",
                ExitChildWithReturnFn
            ),
            set_data_from_parent: symbol!("evm_memory_set_data_from_parent", SetDataFromParentFn),
            _library: library,
        })
    }
}

/// Where a frame's calldata lives.
#[derive(Clone, Copy, Debug)]
enum Calldata {
    /// The case's calldata (root frame).
    Case,
    /// The caller's argument region.
    Parent { offset: usize, len: usize },
}

/// One open frame.
struct Frame {
    gas: u64,
    calldata: Calldata,
    return_data: Vec<u8>,
    ret_offset: usize,
    ret_len: usize,
    checkpoint: Option<EvmMemoryCheckpoint>,
    /// The caller's memory, copied when this frame was entered (empty for the root).
    caller_bytes: Vec<u8>,
}

/// A memory behind the C header, loaded from a shared library (see the [module](self)
/// documentation).
pub struct CLibraryEngine {
    name: &'static str,
    path: PathBuf,
    api: Api,
    handle: Handle,
    limit: u64,
    frames: Vec<Frame>,
    ended: bool,
    soft_outcome: Outcome,
    /// The value the op running produced (MLOAD, MSIZE).
    soft_output: Option<Output>,
    output: Vec<u8>,
    /// The current context's bytes, read when the oracle asks; `stale` until then.
    current: RefCell<Vec<u8>>,
    stale: Cell<bool>,
}

impl fmt::Debug for CLibraryEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CLibraryEngine")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Drop for CLibraryEngine {
    fn drop(&mut self) {
        // SAFETY: `handle` came from this library's `evm_memory_create` and is destroyed once.
        unsafe { (self.api.destroy)(self.handle) };
    }
}

fn outcome(status: c_int) -> Outcome {
    match status {
        OUT_OF_GAS => Outcome::OutOfGas,
        MEMORY_OVERFLOW => Outcome::Limit,
        OUT_OF_MEMORY => Outcome::OutOfMemory,
        _ => Outcome::EngineError,
    }
}

fn check(status: c_int) -> Result<(), Outcome> {
    if status == OK {
        Ok(())
    } else {
        Err(outcome(status))
    }
}

/// A stack value as an offset or length; too large is an invalid operand.
fn operand(v: U256) -> Result<usize, Outcome> {
    to_usize(v).map_err(|_| Outcome::InvalidOperand)
}

/// A region from the stack: the length first; a zero length is `(0, 0)` (skipped).
fn region(offset: U256, len: U256) -> Result<(usize, usize), Outcome> {
    let len = operand(len)?;
    if len == 0 {
        return Ok((0, 0));
    }
    Ok((operand(offset)?, len))
}

impl CLibraryEngine {
    /// Loads the library at `path` and creates a memory with it, to be called `c:PATH`.
    ///
    /// # Errors
    /// [`CLibraryError`]: the file is not a loadable library, lacks a function of the header
    /// (named), or cannot create a memory.
    pub fn load(path: &Path) -> Result<Self, CLibraryError> {
        let api = Api::load(path)?;
        let config = EvmMemoryConfig {
            initial_capacity: 0,
            memory_limit: crate::MAX_MEMORY_LIMIT,
        };
        let mut handle: Handle = core::ptr::null_mut();
        // SAFETY: `config` and `handle` are valid for the call (the header's contract).
        let status = unsafe { (api.create)(&config, &mut handle) };
        if status != OK || handle.is_null() {
            return Err(CLibraryError::Create {
                path: path.to_path_buf(),
                status,
            });
        }
        let name: &'static str =
            Box::leak(format!("{C_LIBRARY_PREFIX}{}", path.display()).into_boxed_str());
        Ok(Self {
            name,
            path: path.to_path_buf(),
            api,
            handle,
            limit: crate::MAX_MEMORY_LIMIT,
            frames: Vec::new(),
            ended: false,
            soft_outcome: Outcome::Ok,
            soft_output: None,
            output: Vec::new(),
            current: RefCell::new(Vec::new()),
            stale: Cell::new(true),
        })
    }

    /// The current context's size.
    fn size(&self) -> usize {
        let mut size = 0;
        // SAFETY: a live handle and a valid out-pointer.
        let status = unsafe { (self.api.size)(self.handle, &mut size) };
        if status == OK {
            size
        } else {
            0
        }
    }

    /// Expands the current frame over a region with gas (nothing for a zero length): the gas
    /// charged.
    fn expand(&mut self, offset: usize, len: usize) -> Result<u64, Outcome> {
        if len == 0 {
            return Ok(0);
        }
        let frame = self.frames.last_mut().ok_or(Outcome::EngineError)?;
        let mut charged = 0;
        // SAFETY: a live handle and valid out-pointers.
        check(unsafe {
            (self.api.expand_with_gas)(self.handle, offset, len, &mut frame.gas, &mut charged)
        })?;
        Ok(charged)
    }

    /// Reads `len` bytes at `offset` of the current context into `self.output`.
    fn read(&mut self, offset: usize, len: usize) -> Result<(), Outcome> {
        self.output.clear();
        self.output.resize(len, 0);
        if len == 0 {
            return Ok(());
        }
        // SAFETY: `output` is valid for writing `len` bytes and does not overlap the handle.
        check(unsafe { (self.api.copy_out)(self.handle, offset, self.output.as_mut_ptr(), len) })
    }

    /// Writes `len` bytes at `o` from `data` starting at `from`, zero-padded (expanded first).
    fn set_data(&mut self, o: usize, from: usize, len: usize, data: &[u8]) -> Result<(), Outcome> {
        // SAFETY: `data` is valid for reading `data.len()` bytes and does not overlap the
        // handle.
        check(unsafe { (self.api.set_data)(self.handle, o, from, len, data.as_ptr(), data.len()) })
    }

    fn run(&mut self, case: &Case, op: &Op) -> Result<u64, Outcome> {
        let handle = self.handle;
        match *op {
            Op::MStore { offset, value } => {
                let o = operand(offset)?;
                let gas = self.expand(o, 32)?;
                let word = value.to_be_bytes::<32>();
                // SAFETY: `word` is valid for reading 32 bytes.
                check(unsafe { (self.api.store_word)(handle, o, word.as_ptr()) })?;
                Ok(gas)
            }
            Op::MStore8 { offset, value } => {
                let o = operand(offset)?;
                let gas = self.expand(o, 1)?;
                // SAFETY: a live handle.
                check(unsafe { (self.api.store_byte)(handle, o, value) })?;
                Ok(gas)
            }
            Op::MLoad { offset } => {
                let o = operand(offset)?;
                let gas = self.expand(o, 32)?;
                let mut word = [0u8; 32];
                // SAFETY: `word` is valid for writing 32 bytes.
                check(unsafe { (self.api.load_word)(handle, o, word.as_mut_ptr()) })?;
                self.soft_output = Some(Output::Word(word));
                Ok(gas)
            }
            Op::MSize => {
                self.soft_output = Some(Output::Size(self.size() as u64));
                Ok(0)
            }
            Op::MCopy { dst, src, len } => {
                let len = operand(len)?;
                if len == 0 {
                    return Ok(0);
                }
                let (dst, src) = (operand(dst)?, operand(src)?);
                let gas = self.expand(dst.max(src), len)?;
                // SAFETY: a live handle.
                check(unsafe { (self.api.mcopy)(handle, dst, src, len) })?;
                Ok(gas)
            }
            Op::CallDataCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let (o, len) = region(mem_offset, len)?;
                if len == 0 {
                    return Ok(0);
                }
                let from = saturating_usize(data_offset);
                let gas = self.expand(o, len)?;
                match self.frames.last().ok_or(Outcome::EngineError)?.calldata {
                    Calldata::Case => self.set_data(o, from, len, &case.calldata)?,
                    Calldata::Parent { offset, len: plen } => {
                        // SAFETY: a live handle.
                        check(unsafe {
                            (self.api.set_data_from_parent)(handle, o, from, len, offset, plen)
                        })?;
                    }
                }
                Ok(gas)
            }
            Op::CodeCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let (o, len) = region(mem_offset, len)?;
                if len == 0 {
                    return Ok(0);
                }
                let gas = self.expand(o, len)?;
                self.set_data(o, saturating_usize(data_offset), len, &case.code)?;
                Ok(gas)
            }
            Op::ReturnDataCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let from = saturating_usize(data_offset);
                let available = self.frames.last().map_or(0, |f| f.return_data.len());
                if from
                    .checked_add(operand(len)?)
                    .is_none_or(|end| end > available)
                {
                    return Err(Outcome::ReturnDataOutOfBounds);
                }
                let (o, len) = region(mem_offset, len)?;
                if len == 0 {
                    return Ok(0);
                }
                let gas = self.expand(o, len)?;
                let data = core::mem::take(
                    &mut self
                        .frames
                        .last_mut()
                        .ok_or(Outcome::EngineError)?
                        .return_data,
                );
                let result = self.set_data(o, from, len, &data);
                if let Some(frame) = self.frames.last_mut() {
                    frame.return_data = data;
                }
                result?;
                Ok(gas)
            }
            Op::Read { offset, len } | Op::Return { offset, len } | Op::Revert { offset, len } => {
                let (o, len) = region(offset, len)?;
                let gas = self.expand(o, len)?;
                self.read(o, len)?;
                Ok(gas)
            }
            Op::Call {
                args_offset,
                args_len,
                ret_offset,
                ret_len,
                gas: requested,
            } => {
                // The argument region is expanded before the return region is read.
                let args = region(args_offset, args_len)?;
                let charged = self.expand(args.0, args.1)?;
                let ret = region(ret_offset, ret_len)?;
                let charged = charged + self.expand(ret.0, ret.1)?;
                let depth = self.frames.len() - 1;
                let caller = self.frames.last_mut().ok_or(Outcome::EngineError)?;
                caller.return_data.clear();
                if depth >= MAX_CALL_DEPTH {
                    self.soft_outcome = Outcome::CallDepth;
                    return Ok(charged);
                }
                let gas = child_gas(requested, caller.gas);
                // The caller's memory, kept for the oracle while the child runs.
                let size = self.size();
                let mut caller_bytes = vec![0u8; size];
                if size > 0 {
                    // SAFETY: `caller_bytes` is valid for writing `size` bytes.
                    check(unsafe {
                        (self.api.copy_out)(handle, 0, caller_bytes.as_mut_ptr(), size)
                    })?;
                }
                let mut checkpoint = EvmMemoryCheckpoint { id: 0, depth: 0 };
                // SAFETY: a live handle and a valid out-pointer.
                check(unsafe { (self.api.enter_child)(handle, &mut checkpoint) })?;
                let caller = self.frames.last_mut().ok_or(Outcome::EngineError)?;
                caller.gas -= gas;
                self.frames.push(Frame {
                    gas,
                    calldata: Calldata::Parent {
                        offset: args.0,
                        len: args.1,
                    },
                    return_data: Vec::new(),
                    ret_offset: ret.0,
                    ret_len: ret.1,
                    checkpoint: Some(checkpoint),
                    caller_bytes,
                });
                Ok(charged)
            }
            Op::Halt => Err(Outcome::Halted),
        }
    }

    /// Ends the current child, showing its memory in `obs`; `returned` is the output region for
    /// RETURN/REVERT (its bytes are in `self.output`).
    fn end_child(
        &mut self,
        returned: Option<(usize, usize)>,
        obs: &mut Observation,
    ) -> Result<(), Outcome> {
        let size = self.size();
        let mut bytes = vec![0u8; size];
        if size > 0 {
            // SAFETY: `bytes` is valid for writing `size` bytes.
            check(unsafe { (self.api.copy_out)(self.handle, 0, bytes.as_mut_ptr(), size) })?;
        }
        obs.set_ended_frame(&bytes);
        let child = self.frames.pop().ok_or(Outcome::EngineError)?;
        let checkpoint = child.checkpoint.ok_or(Outcome::EngineError)?;
        let caller = self.frames.last_mut().ok_or(Outcome::EngineError)?;
        caller.return_data.clear();
        match returned {
            Some((offset, len)) => {
                caller.return_data.extend_from_slice(&self.output);
                caller.gas += child.gas;
                let mut copied = 0;
                // SAFETY: a live handle and a valid out-pointer.
                check(unsafe {
                    (self.api.exit_child_with_return)(
                        self.handle,
                        checkpoint,
                        offset,
                        len,
                        child.ret_offset,
                        child.ret_len,
                        &mut copied,
                    )
                })
            }
            // SAFETY: a live handle.
            None => check(unsafe { (self.api.exit_child)(self.handle, checkpoint) }),
        }
    }
}

impl Engine for CLibraryEngine {
    fn name(&self) -> &'static str {
        self.name
    }

    fn declines(&self, case: &Case) -> Option<&'static str> {
        (case.pricing != MemoryPricing::MAINNET)
            .then_some("the C header prices memory as on mainnet only")
    }

    fn begin(&mut self, case: &Case) {
        // A fresh memory for every case, with the case's limit and initial capacity (what the
        // header can configure; `Reuse` starts with none).
        let config = EvmMemoryConfig {
            initial_capacity: case.capacity.reserve(case.limit).unwrap_or(0),
            memory_limit: case.limit,
        };
        let mut handle: Handle = core::ptr::null_mut();
        // SAFETY: valid pointers; the old handle is destroyed once, after the new one exists.
        let status = unsafe { (self.api.create)(&config, &mut handle) };
        if status == OK && !handle.is_null() {
            // SAFETY: the old handle came from `evm_memory_create` and is not used again.
            unsafe { (self.api.destroy)(self.handle) };
            self.handle = handle;
        }
        self.limit = case.limit;
        self.frames.clear();
        self.frames.push(Frame {
            gas: case.gas,
            calldata: Calldata::Case,
            return_data: Vec::new(),
            ret_offset: 0,
            ret_len: 0,
            checkpoint: None,
            caller_bytes: Vec::new(),
        });
        self.ended = false;
        self.stale.set(true);
    }

    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        obs.clear();
        self.stale.set(true);
        let is_root = self.frames.len() == 1;
        self.soft_output = None;
        match self.run(case, op) {
            Ok(charged) => {
                obs.gas_charged = charged;
                obs.outcome = core::mem::take(&mut self.soft_outcome);
                obs.output = self.soft_output.take().unwrap_or_default();
                match *op {
                    Op::Read { .. } => obs.set_output_bytes(&self.output),
                    Op::Return { offset, len } | Op::Revert { offset, len } => {
                        obs.set_output_bytes(&self.output);
                        obs.outcome = if matches!(op, Op::Return { .. }) {
                            Outcome::Returned
                        } else {
                            Outcome::Reverted
                        };
                        if is_root {
                            self.ended = true;
                            obs.gas_remaining = self.frames[0].gas;
                        } else {
                            let returned = region(offset, len).unwrap_or_default();
                            if let Err(e) = self.end_child(Some(returned), obs) {
                                obs.outcome = e;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Err(e) => {
                obs.outcome = e;
                self.soft_outcome = Outcome::Ok;
                if is_root {
                    self.ended = true;
                    self.frames[0].gas = 0;
                } else if let Err(e) = self.end_child(None, obs) {
                    obs.outcome = e;
                }
            }
        }
        obs.ended = self.ended;
        if !self.ended {
            obs.gas_remaining = self.frames.last().map_or(0, |f| f.gas);
        }
        obs.frames = self.frames.len();
        obs.size = self.size();
        obs.total_size = self
            .frames
            .iter()
            .map(|f| f.caller_bytes.len())
            .sum::<usize>()
            + obs.size;
    }

    fn frame_sizes(&self, out: &mut Vec<usize>) {
        out.extend(self.frames.iter().skip(1).map(|f| f.caller_bytes.len()));
        out.push(self.size());
    }

    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>> {
        let current = self.frames.len().checked_sub(1)?;
        if frame < current {
            return Some(FrameBytes::Slice(&self.frames[frame + 1].caller_bytes));
        }
        if frame > current {
            return None;
        }
        if self.stale.get() {
            if let Ok(mut bytes) = self.current.try_borrow_mut() {
                let size = self.size();
                bytes.clear();
                bytes.resize(size, 0);
                let status = if size == 0 {
                    OK
                } else {
                    // SAFETY: `bytes` is valid for writing `size` bytes.
                    unsafe { (self.api.copy_out)(self.handle, 0, bytes.as_mut_ptr(), size) }
                };
                if status != OK {
                    bytes.clear();
                }
                self.stale.set(false);
            }
        }
        Some(FrameBytes::Cell(Ref::map(self.current.borrow(), |v| {
            v.as_slice()
        })))
    }

    /// The library's price for the growth (`evm_memory_expansion_cost`) against the frame's
    /// gas, and the limit the adapter configured.
    fn would_grow(&self, growth: &Growth) -> Quote {
        let (Ok(to), Some(frame)) = (usize::try_from(growth.to), self.frames.last()) else {
            return Quote::Refuses;
        };
        let below = growth.total.saturating_sub(growth.to);
        if below.saturating_add(growth.to) > u128::from(self.limit) {
            return Quote::Refuses;
        }
        let mut cost = 0;
        // SAFETY: a live handle and a valid out-pointer.
        let status = unsafe { (self.api.expansion_cost)(self.handle, 0, to, &mut cost) };
        if status == OK && cost <= frame.gas {
            Quote::Grows(cost)
        } else {
            Quote::Refuses
        }
    }
}
