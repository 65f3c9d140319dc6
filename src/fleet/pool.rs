//! Working through a fleet: the canaries one by one, then `jobs` databases
//! at a time on threads of their own, stopping new starts after a failure
//! (unless asked to keep going) or a signal. Each piece of work is a whole,
//! ordinary run on its own connection; nothing is shared between them but
//! the decision to stop.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// How the fleet is worked through.
#[derive(Debug, Clone, Copy)]
pub struct Pool {
    /// Databases at a time (at least one).
    pub jobs: usize,
    /// The first this many run alone, in order; a failure among them stops all.
    pub canary: usize,
    /// After the canaries, a failure does not stop new databases from starting.
    pub keep_going: bool,
}

/// Runs `work` on `items` as `pool` says. `ok` tells a success from a
/// failure; `done` sees each result as it arrives (the progress line).
/// Items never started are `None`.
pub fn run<T, R, W, K, D>(items: &[T], pool: Pool, work: W, ok: K, done: D) -> Vec<Option<R>>
where
    T: Sync,
    R: Send,
    W: Fn(&T) -> R + Sync,
    K: Fn(&R) -> bool + Sync,
    D: Fn(&T, &R) + Sync,
{
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    let store = |i: usize, r: R| results.lock().expect("no worker panics holding it")[i] = Some(r);
    let canaries = pool.canary.min(items.len());
    for (i, item) in items.iter().enumerate().take(canaries) {
        if stopping() {
            return results.into_inner().expect("not poisoned");
        }
        let r = work(item);
        done(item, &r);
        let failed = !ok(&r);
        store(i, r);
        if failed {
            return results.into_inner().expect("not poisoned");
        }
    }
    let next = AtomicUsize::new(canaries);
    let halt = AtomicBool::new(false);
    let workers = pool.jobs.max(1).min(items.len() - canaries);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                if halt.load(Ordering::SeqCst) || stopping() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let r = work(item);
                done(item, &r);
                if !ok(&r) && !pool.keep_going {
                    halt.store(true, Ordering::SeqCst);
                }
                store(i, r);
            });
        }
    });
    results.into_inner().expect("not poisoned")
}

/// A signal stops new databases from starting; those running see it too.
fn stopping() -> bool {
    crate::interrupt::received().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(jobs: usize, canary: usize, keep_going: bool) -> Pool {
        Pool {
            jobs,
            canary,
            keep_going,
        }
    }

    #[test]
    fn every_item_runs_once_when_all_succeed() {
        let items: Vec<u32> = (0..20).collect();
        let out = run(&items, pool(4, 2, false), |i| i * 2, |_| true, |_, _| {});
        let got: Vec<u32> = out.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(got, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn a_failing_canary_stops_everything_after_it() {
        let items: Vec<u32> = (0..10).collect();
        let out = run(&items, pool(4, 3, true), |i| *i, |r| *r != 1, |_, _| {});
        assert!(out[0].is_some() && out[1].is_some());
        assert!(out[2..].iter().all(Option::is_none));
    }

    #[test]
    fn one_job_halts_at_the_first_failure_unless_keep_going() {
        let items: Vec<u32> = (0..10).collect();
        let halted = run(&items, pool(1, 0, false), |i| *i, |r| *r != 4, |_, _| {});
        assert_eq!(halted.iter().filter(|r| r.is_some()).count(), 5);
        let all = run(&items, pool(1, 0, true), |i| *i, |r| *r != 4, |_, _| {});
        assert!(all.iter().all(Option::is_some));
    }
}
