//! Turning a panic inside one case into that case's failure (a state-test case, a `diff_evm`
//! engine run): [`catch`] runs a closure under `catch_unwind` and returns the panic's message
//! and location instead of unwinding further.
//!
//! While a thread is inside [`catch`], the process-wide panic hook records the message for that
//! thread instead of printing it, so a panicking case neither aborts the run nor scribbles over
//! the progress bar; panics anywhere else still reach the previous hook unchanged. The hook is
//! installed once and never removed, which keeps concurrent runs (tests in parallel threads)
//! from racing on `take_hook` / `set_hook`.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside [`catch`].
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    /// The last panic recorded on this thread while capturing.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

fn install_hook() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                let message = payload_text(info.payload());
                let text = match info.location() {
                    Some(at) => format!("{message} (at {}:{})", at.file(), at.line()),
                    None => message,
                };
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
            } else {
                previous(info);
            }
        }));
    });
}

/// A panic payload's message (a `&str` or `String` payload), else a placeholder.
pub(crate) fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

/// Runs `f`; a panic inside it comes back as `Err(message with location)`.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    install_hook();
    let was_capturing = CAPTURING.with(|c| c.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| c.set(was_capturing));
    result.map_err(|payload| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| payload_text(payload.as_ref()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_location() {
        assert_eq!(catch(|| 7), Ok(7));
        let err = catch(|| -> u8 { panic!("bad value {}", 3) }).unwrap_err();
        assert!(err.starts_with("bad value 3 (at "), "{err}");
        assert!(err.contains("panics.rs"), "{err}");
        // Nested: the inner one is caught, the outer goes on.
        let outer = catch(|| catch(|| panic!("inner")).unwrap_err());
        assert!(outer.unwrap().starts_with("inner"));
    }
}
