//! Interruption by SIGINT, SIGTERM or SIGHUP. [`install`] catches the three
//! signals and hands them to one thread of its own, which on the first
//! signal records it, stops the child processes registered with
//! [`watch_child`] and cancels the queries registered with [`watch_queries`].
//! The main thread then sees its child fail or its query cancelled, turns
//! that into [`Error::Interrupted`] ([`mark`], [`check`]) and returns
//! normally, so every `Drop` runs: partial files, temporary databases and
//! sandbox clusters are removed on the way out. A second signal exits at once.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use postgres::{CancelToken, Client};

use crate::error::{Error, Result};
use crate::service::ConnParams;
pub use crate::signal::Signal;

/// The first signal received (its number), 0 before.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// What the signal thread stops.
struct Registry {
    next_id: u64,
    children: Vec<(u64, Process)>,
    queries: Vec<(u64, CancelToken, ConnParams)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next_id: 0,
    children: Vec::new(),
    queries: Vec::new(),
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    // A panic elsewhere must not stop the clean-up.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// A child process, by pidfd where the kernel has them: a pidfd always
/// names the process it was opened for, so a signal can never reach another
/// process that reused the pid after the child was reaped.
struct Process {
    pid: libc::pid_t,
    pidfd: Option<OwnedFd>,
}

impl Process {
    fn new(pid: u32) -> Process {
        let pid = pid as libc::pid_t;
        // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let pidfd = (fd >= 0).then(|| {
            // SAFETY: the kernel just gave us this descriptor; we own it.
            unsafe { OwnedFd::from_raw_fd(fd as i32) }
        });
        Process { pid, pidfd }
    }

    fn signal(&self, signal: i32) {
        use std::os::fd::AsRawFd;
        // SAFETY: sending a signal through our own pidfd, or by pid to our
        // own unreaped child when the kernel has no pidfds.
        unsafe {
            match &self.pidfd {
                Some(fd) => {
                    libc::syscall(
                        libc::SYS_pidfd_send_signal,
                        fd.as_raw_fd(),
                        signal,
                        std::ptr::null::<libc::siginfo_t>(),
                        0,
                    );
                }
                None => {
                    libc::kill(self.pid, signal);
                }
            }
        }
    }
}

/// The write end of the pipe the signal handler writes each signal's number to.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

/// The handler itself does only what is async-signal-safe: one `write` of
/// the signal's number to the pipe (errno saved around it). Everything else
/// happens on the signal thread that reads the pipe.
extern "C" fn on_signal(number: libc::c_int) {
    // SAFETY: write(2) and errno access are async-signal-safe; the byte
    // lives on this stack frame.
    unsafe {
        let errno = *libc::__errno_location();
        let byte = number as u8;
        libc::write(
            SIGNAL_PIPE.load(Ordering::Relaxed),
            (&byte as *const u8).cast(),
            1,
        );
        *libc::__errno_location() = errno;
    }
}

/// Takes over SIGINT, SIGTERM and SIGHUP for the whole process; call once,
/// first thing in `main`. A handler (not a blocked mask, which every child
/// would inherit and keep) hands each signal through a pipe to a thread of
/// its own; `exec` resets the handler, so children still die of the
/// signals. `SA_RESTART` keeps pum's own system calls from failing with
/// EINTR. A signal ignored when pum started (`nohup`, a background job)
/// stays ignored.
pub fn install() {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two descriptors, close-on-exec so no child
    // inherits them.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    // SAFETY: the kernel just gave us the read end; the thread below owns it.
    let mut reader = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fds[0]) });
    SIGNAL_PIPE.store(fds[1], Ordering::SeqCst);
    for s in Signal::ALL {
        // SAFETY: reads the current disposition, then installs on_signal
        // with an empty mask; both structures are initialised here.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(s.number(), std::ptr::null(), &mut old);
            if old.sa_sigaction == libc::SIG_IGN {
                continue;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(s.number(), &action, std::ptr::null_mut());
        }
    }
    std::thread::Builder::new()
        .name("pum-signals".into())
        .spawn(move || {
            let mut byte = [0u8; 1];
            while std::io::Read::read_exact(&mut reader, &mut byte).is_ok() {
                let Some(signal) = Signal::from_number(i32::from(byte[0])) else {
                    continue;
                };
                if RECEIVED
                    .compare_exchange(0, signal.number(), Ordering::SeqCst, Ordering::SeqCst)
                    .is_err()
                {
                    // Asked twice: the person does not want to wait for the clean-up.
                    eprintln!("pum: interrupted again ({signal}); exiting without cleaning up");
                    std::process::exit(signal.exit_code());
                }
                std::thread::spawn(stop_everything);
            }
        })
        .expect("start the signal thread");
}

/// Stops the registered children (SIGTERM, then SIGKILL for any still
/// registered after 5 s) and cancels the registered queries. A cancel that
/// reaches the server just before its query starts is lost, so cancels are
/// sent three times, half a second apart, while their registration lasts.
fn stop_everything() {
    let started = Instant::now();
    signal_children(libc::SIGTERM);
    for round in 0.. {
        if round < 3 {
            let queries = registry().queries.clone();
            for (_, token, params) in queries {
                if let Ok(tls) = crate::db::tls_connector(&params) {
                    let _ = token.cancel_query(tls);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(500));
        let children_left = !registry().children.is_empty();
        if !children_left && round >= 2 {
            return;
        }
        if children_left && started.elapsed() >= Duration::from_secs(5) {
            signal_children(libc::SIGKILL);
            return;
        }
    }
}

fn signal_children(signal: i32) {
    for (_, p) in &registry().children {
        p.signal(signal);
    }
}

/// The signal that interrupted pum, if one did.
pub fn received() -> Option<Signal> {
    Signal::from_number(RECEIVED.load(Ordering::SeqCst))
}

/// `Err(Interrupted)` once a signal was received: called before each step,
/// so an interrupted run goes no further.
pub fn check(during: &str) -> Result<()> {
    match received() {
        Some(signal) => Err(Error::Interrupted {
            signal,
            during: during.to_string(),
            state: Vec::new(),
        }),
        None => Ok(()),
    }
}

/// After a signal every failure is its consequence (a child killed, a query
/// cancelled): report the interruption instead. An error that already is
/// one keeps what it says.
pub fn mark(err: Error, during: &str) -> Error {
    match (err, received()) {
        (err @ Error::Interrupted { .. }, _) | (err, None) => err,
        (_, Some(signal)) => Error::Interrupted {
            signal,
            during: during.to_string(),
            state: Vec::new(),
        },
    }
}

/// Adds what became of one database or leftover to an interruption; any
/// other error is returned as it is.
pub fn with_state(mut err: Error, phrase: impl Into<String>) -> Error {
    if let Error::Interrupted { state, .. } = &mut err {
        state.push(phrase.into());
    }
    err
}

/// Removes its registration when dropped.
#[must_use = "the registration ends when this is dropped"]
pub struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        let mut reg = registry();
        reg.children.retain(|(id, _)| *id != self.0);
        reg.queries.retain(|(id, _, _)| *id != self.0);
    }
}

/// Registers a running child to be stopped on a signal; one spawned just
/// after the signal is stopped at once.
pub fn watch_child(child: &std::process::Child) -> Registration {
    let process = Process::new(child.id());
    let mut reg = registry();
    if received().is_some() {
        process.signal(libc::SIGTERM);
    }
    reg.next_id += 1;
    let id = reg.next_id;
    reg.children.push((id, process));
    Registration(id)
}

/// Registers a connection whose running query is cancelled on a signal
/// (the delta being applied, pum's long queries).
pub fn watch_queries(client: &Client, params: &ConnParams) -> Registration {
    let mut reg = registry();
    reg.next_id += 1;
    let id = reg.next_id;
    reg.queries
        .push((id, client.cancel_token(), params.clone()));
    Registration(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Hangup.exit_code(), 129);
        assert_eq!(Signal::from_number(libc::SIGTERM), Some(Signal::Terminate));
        assert_eq!(Signal::from_number(libc::SIGUSR1), None);
    }
}
