//! A few threads of its own for Argon2. Each hash allocates 19 MiB; run on
//! tokio's blocking pool, a burst of sign-ins spreads over hundreds of
//! short-lived threads and the allocator keeps a 19 MiB buffer in each
//! thread's arena long after the burst (measured: 300 sign-ins took the
//! server from 101 to 443 MiB). A fixed set of threads keeps at most one
//! buffer per thread, and the queue in front of them is the waiting room.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Runs password work on `threads` dedicated threads, in arrival order.
/// The threads end when the last clone of the pool is dropped.
#[derive(Clone)]
pub struct HashingPool {
    jobs: Sender<Job>,
}

impl HashingPool {
    pub fn new(threads: usize) -> HashingPool {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("shipshape-hash-{index}"))
                .spawn(move || work(&queue));
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password hashing thread");
            }
        }
        HashingPool { jobs }
    }

    /// Runs `task` on one of the pool's threads and waits for its answer
    /// without holding an async thread. `None` if the task panicked or
    /// the pool has no thread to run it.
    pub async fn run<T: Send + 'static>(
        &self,
        task: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The asker may have given up waiting; its answer is dropped.
            let _ = answer.send(task());
        });
        self.jobs.send(job).ok()?;
        answered.await.ok()
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while taking a job, never while running it.
        let job = match queue.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = job else { return };
        // A panic loses that one answer (the asker sees `None`), not the
        // thread.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_every_task_on_the_pools_own_threads() {
        let pool = HashingPool::new(2);
        let mut names = std::collections::BTreeSet::new();
        for n in 0..20 {
            let (doubled, name) = pool
                .run(move || {
                    (
                        n * 2,
                        std::thread::current().name().unwrap_or("").to_string(),
                    )
                })
                .await
                .expect("the pool answers");
            assert_eq!(doubled, n * 2);
            names.insert(name);
        }
        assert!(!names.is_empty() && names.len() <= 2, "{names:?}");
        assert!(names.iter().all(|n| n.starts_with("shipshape-hash-")));
    }

    #[tokio::test]
    async fn a_panicking_task_does_not_stop_the_others() {
        let pool = HashingPool::new(1);
        assert_eq!(pool.run(|| -> u8 { panic!("boom") }).await, None);
        assert_eq!(pool.run(|| 1).await, Some(1));
    }
}
