//! Where passwords are hashed: a fixed pool of threads, one per core, fed by a bounded queue.
//!
//! An Argon2id hash takes tens of milliseconds and 19 MiB. On actix's blocking pool (hundreds of
//! threads) a sign-in storm — a whole school at 8:00, or an attacker — ran hundreds of hashes at
//! once: memory grew with every sign-in in flight and every request got slow, with no more
//! sign-ins per second. Here at most one hash per core runs. A request is admitted first
//! (`admit`): at most as many as there are threads and queue places are in flight, from their
//! database work before the hash to the hash itself, so a storm holds neither memory nor database
//! connections beyond that; a request that finds no place, or that waited longer than `max_wait`
//! for its hash, is answered `503` with `Retry-After` at once instead of hanging.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::ApiError;

type Work = Box<dyn FnOnce() + Send>;

struct Job {
    queued: Instant,
    work: Work,
}

/// The password-hashing pool (cheap to clone: one pool per server).
#[derive(Clone)]
pub struct HashPool {
    queue: SyncSender<Job>,
    workers: usize,
    max_wait: Duration,
    /// Requests admitted and not finished, at most `capacity`.
    in_flight: Arc<AtomicUsize>,
    capacity: usize,
}

/// A place in the pool, held by one request from before its database work to the end of its
/// hash; given back when dropped.
pub struct Ticket {
    pool: HashPool,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.pool.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Ticket {
    /// Runs `work` (a hash or a verification) on the pool; `ApiError::Busy` when it waited
    /// longer than the pool allows.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.pool.execute(work).await
    }
}

impl HashPool {
    /// `workers` threads (at least 1), at most `queue` jobs waiting, none waiting longer than
    /// `max_wait`.
    pub fn new(workers: usize, queue: usize, max_wait: Duration) -> HashPool {
        let workers = workers.max(1);
        let (tx, rx) = mpsc::sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
                        Ok(job) => job,
                        // The pool is gone: the server is stopping.
                        Err(_) => return,
                    };
                    // Dropped unrun, a job's caller learns it waited too long.
                    if job.queued.elapsed() <= max_wait {
                        (job.work)();
                    }
                })
                .expect("spawn a password-hashing thread");
        }
        HashPool {
            queue: tx,
            workers,
            max_wait,
            in_flight: Arc::new(AtomicUsize::new(0)),
            capacity: workers + queue,
        }
    }

    /// A pool with one thread per core.
    pub fn per_core(queue: usize, max_wait: Duration) -> HashPool {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        HashPool::new(cores, queue, max_wait)
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    fn busy(&self) -> ApiError {
        ApiError::Busy {
            retry_after_secs: self.max_wait.as_secs().max(1),
        }
    }

    /// A place for one request, or `ApiError::Busy` at once when every place is taken.
    pub fn admit(&self) -> Result<Ticket, ApiError> {
        let taken = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            });
        match taken {
            Ok(_) => Ok(Ticket { pool: self.clone() }),
            Err(_) => Err(self.busy()),
        }
    }

    /// Admits and runs `work` in one step (a request whose only slow part is the hash).
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.admit()?.run(work).await
    }

    async fn execute<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = Job {
            queued: Instant::now(),
            work: Box::new(move || {
                // The caller may have gone (a closed connection): nothing to tell it.
                let _ = tx.send(work());
            }),
        };
        let busy = self.busy();
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(busy),
            Err(TrySendError::Disconnected(_)) => return Err(ApiError::Unavailable),
        }
        rx.await.map_err(|_| busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    /// Runs `jobs` callers at once, each on its own thread, each calling `pool.run(work)`.
    fn at_once<T: Send + 'static>(
        pool: &HashPool,
        jobs: usize,
        work: impl Fn(usize) -> T + Send + Sync + Clone + 'static,
    ) -> Vec<Result<T, ApiError>> {
        std::thread::scope(|scope| {
            let callers: Vec<_> = (0..jobs)
                .map(|i| {
                    let (pool, work) = (pool.clone(), work.clone());
                    scope.spawn(move || {
                        actix_web::rt::System::new().block_on(pool.run(move || work(i)))
                    })
                })
                .collect();
            callers.into_iter().map(|c| c.join().unwrap()).collect()
        })
    }

    #[test]
    fn at_most_one_job_per_worker_runs_and_a_full_queue_is_refused_at_once() {
        let pool = HashPool::new(2, 2, Duration::from_secs(5));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (r, m) = (running.clone(), most.clone());
        let started = Instant::now();
        let outcomes = at_once(&pool, 12, move |_| {
            let now = r.fetch_add(1, SeqCst) + 1;
            m.fetch_max(now, SeqCst);
            std::thread::sleep(Duration::from_millis(100));
            r.fetch_sub(1, SeqCst);
        });
        let done = outcomes.iter().filter(|o| o.is_ok()).count();
        let busy = outcomes
            .iter()
            .filter(|o| matches!(o, Err(ApiError::Busy { .. })))
            .count();
        assert_eq!(done + busy, 12, "{outcomes:?}");
        assert!(busy > 0, "a full queue refuses: {outcomes:?}");
        assert!(most.load(SeqCst) <= 2, "at most one job per worker");
        // Refused at once, not after waiting: the whole run is a few jobs long.
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_job_that_waited_too_long_is_not_run() {
        let pool = HashPool::new(1, 8, Duration::from_millis(20));
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let outcomes = at_once(&pool, 4, move |i| {
            r.fetch_add(1, SeqCst);
            std::thread::sleep(Duration::from_millis(100));
            i
        });
        let busy = outcomes
            .iter()
            .filter(|o| matches!(o, Err(ApiError::Busy { .. })))
            .count();
        assert_eq!(ran.load(SeqCst), 4 - busy, "{outcomes:?}");
        assert!(
            busy >= 2,
            "jobs queued behind a 100 ms job for 20 ms at most: {outcomes:?}"
        );
    }
}
