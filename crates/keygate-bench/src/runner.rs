//! The load loop: one task per connection, for a fixed time or a fixed number of steps, closed-loop
//! (as fast as answers come) or open-loop at a fixed total rate.
//!
//! At a fixed rate each step has an intended start time, and its latency is measured from that
//! time, not from when the worker got round to sending it: a server that stalls is charged for
//! the requests that queued behind the stall (no coordinated omission).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::time::Instant;

use crate::rss::RssSampler;
use crate::stats::Stats;

/// How one step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every answer was 2xx and carried what the scenario needed.
    Ok,
    /// A non-2xx answer, a transport error or an unusable body; the string names the kind.
    Failed(String),
    /// The worker has nothing left to send (its pre-minted codes ran out).
    Exhausted,
}

/// One connection's worth of load: a scenario's per-connection state.
#[async_trait]
pub(crate) trait Worker: Send {
    /// Performs one step (one request, or one whole flow) and says how it went.
    async fn step(&mut self) -> Outcome;
    /// HTTP requests one step sends.
    fn requests_per_step(&self) -> u64 {
        1
    }
    /// Connections the server closed under this worker that it had to open again.
    fn reconnects(&self) -> u64 {
        0
    }
}

/// How long and how hard to drive the server.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Run for this long after the warm-up (unless `steps` is set).
    pub duration: Duration,
    /// Run exactly this many steps in total instead of for a time.
    pub steps: Option<u64>,
    /// Total steps per second over all connections; `None` sends as fast as answers come.
    pub rate: Option<f64>,
    /// Steps before this much time has passed are not measured (time-bound runs only).
    pub warmup: Duration,
    /// Draw a progress bar on a terminal.
    pub progress: bool,
    /// Sample this process's resident memory during the run.
    pub server_pid: Option<u32>,
    /// Processes whose CPU use over the measured window is reported.
    pub cpu_watch: Vec<crate::cpu::Watch>,
}

/// What a run measured.
#[derive(Debug)]
pub(crate) struct RunResult {
    /// Merged stats of every worker.
    pub stats: Stats,
    /// The measured window.
    pub elapsed: Duration,
    /// Connections driven.
    pub connections: usize,
    /// Largest resident set of `server_pid` seen during the run, in KiB.
    pub max_rss_kib: Option<u64>,
    /// Cores used over the measured window: each watched group, the load tool, the machine.
    pub cpu: std::collections::BTreeMap<String, f64>,
}

struct Shared {
    stop: AtomicBool,
    claimed: AtomicU64,
    done: AtomicU64,
}

/// Drives every worker by `plan` and merges what they measured.
pub(crate) async fn run(workers: Vec<Box<dyn Worker>>, plan: &Plan) -> RunResult {
    let connections = workers.len().max(1);
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        claimed: AtomicU64::new(0),
        done: AtomicU64::new(0),
    });
    let start = Instant::now();
    let warmup = if plan.steps.is_some() {
        Duration::ZERO
    } else {
        plan.warmup
    };
    let measure_from = start + warmup;
    let interval = plan
        .rate
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(connections as f64 / r));
    let rss = plan.server_pid.map(RssSampler::start);
    let cpu_from = {
        let watches = plan.cpu_watch.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from).await;
            crate::cpu::read(&watches)
        })
    };
    let bar = progress_bar(plan, warmup);

    let mut tasks = Vec::with_capacity(connections);
    for (i, worker) in workers.into_iter().enumerate() {
        let shared = shared.clone();
        let steps = plan.steps;
        // Spread the workers' schedules over one interval so a fixed rate is smooth.
        let first = interval.map(|iv| start + iv.mul_f64(i as f64 / connections as f64));
        tasks.push(tokio::spawn(drive(
            worker,
            shared,
            steps,
            interval,
            first,
            measure_from,
        )));
    }

    let ticker = {
        let shared = shared.clone();
        let bar = bar.clone();
        let plan = plan.clone();
        tokio::spawn(async move {
            let end = measure_from + plan.duration;
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let done = shared.done.load(Ordering::Relaxed);
                match plan.steps {
                    Some(_) => bar.set_position(done),
                    None => {
                        let now = Instant::now();
                        bar.set_position(now.duration_since(start).as_millis() as u64);
                        if now >= end {
                            shared.stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
                bar.set_message(format!("{done} steps"));
                if shared.stop.load(Ordering::Relaxed) {
                    break;
                }
            }
        })
    };

    let mut stats = Stats::new();
    let mut last_done = measure_from;
    for task in tasks {
        if let Ok((worker_stats, finished)) = task.await {
            stats.merge(&worker_stats);
            last_done = last_done.max(finished);
        } else {
            stats.error("worker panicked");
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    let _ = ticker.await;
    bar.finish_and_clear();
    let elapsed = match plan.steps {
        Some(_) => last_done.duration_since(measure_from),
        None => plan.duration.min(last_done.duration_since(measure_from)),
    };
    let max_rss_kib = match rss {
        Some(sampler) => sampler.stop().await,
        None => None,
    };
    let cpu_to = crate::cpu::read(&plan.cpu_watch);
    let cpu = match cpu_from.await {
        Ok(from) => crate::cpu::used(&plan.cpu_watch, &from, &cpu_to),
        Err(_) => Default::default(),
    };
    RunResult {
        stats,
        elapsed,
        connections,
        max_rss_kib,
        cpu,
    }
}

fn progress_bar(plan: &Plan, warmup: Duration) -> ProgressBar {
    if !plan.progress {
        return ProgressBar::hidden();
    }
    let (len, template) = match plan.steps {
        Some(n) => (n, "{bar:40} {pos}/{len} {msg} {elapsed}"),
        None => (
            (warmup + plan.duration).as_millis() as u64,
            "{bar:40} {msg} {elapsed}/{duration}",
        ),
    };
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

async fn drive(
    mut worker: Box<dyn Worker>,
    shared: Arc<Shared>,
    steps: Option<u64>,
    interval: Option<Duration>,
    first: Option<Instant>,
    measure_from: Instant,
) -> (Stats, Instant) {
    let mut stats = Stats::new();
    let mut next = first;
    let mut finished = Instant::now();
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some(total) = steps {
            if shared.claimed.fetch_add(1, Ordering::Relaxed) >= total {
                break;
            }
        }
        let intended = match next {
            Some(at) => {
                tokio::time::sleep_until(at).await;
                if shared.stop.load(Ordering::Relaxed) {
                    break;
                }
                at
            }
            None => Instant::now(),
        };
        let outcome = worker.step().await;
        finished = Instant::now();
        if let (Some(at), Some(iv)) = (next, interval) {
            next = Some(at + iv);
        }
        if outcome == Outcome::Exhausted {
            // The claimed step never happened: leave it to a worker that still has work.
            if steps.is_some() {
                shared.claimed.fetch_sub(1, Ordering::Relaxed);
            }
            break;
        }
        shared.done.fetch_add(1, Ordering::Relaxed);
        if intended < measure_from {
            continue;
        }
        stats.requests += worker.requests_per_step();
        stats.record(finished.duration_since(intended));
        match outcome {
            Outcome::Ok => stats.ok += 1,
            Outcome::Failed(kind) => stats.error(kind),
            Outcome::Exhausted => {}
        }
    }
    stats.reconnects = worker.reconnects();
    (stats, finished)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counting {
        left: u64,
        fail_every: u64,
        n: u64,
    }

    #[async_trait]
    impl Worker for Counting {
        async fn step(&mut self) -> Outcome {
            if self.left == 0 {
                return Outcome::Exhausted;
            }
            self.left -= 1;
            self.n += 1;
            if self.n.is_multiple_of(self.fail_every) {
                Outcome::Failed("HTTP 500".into())
            } else {
                Outcome::Ok
            }
        }
    }

    fn plan(steps: Option<u64>) -> Plan {
        Plan {
            duration: Duration::from_millis(200),
            steps,
            rate: None,
            warmup: Duration::ZERO,
            progress: false,
            server_pid: None,
            cpu_watch: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_counted_run_performs_exactly_that_many_steps_and_counts_failures() {
        let workers: Vec<Box<dyn Worker>> = (0..4)
            .map(|_| {
                Box::new(Counting {
                    left: u64::MAX,
                    fail_every: 10,
                    n: 0,
                }) as Box<dyn Worker>
            })
            .collect();
        let r = run(workers, &plan(Some(1000))).await;
        assert_eq!(r.stats.ok + r.stats.error_count(), 1000);
        assert!(r.stats.errors["HTTP 500"] > 0);
        assert_eq!(r.connections, 4);
    }

    #[tokio::test]
    async fn exhausted_workers_stop_without_counting_a_step() {
        let workers: Vec<Box<dyn Worker>> = vec![Box::new(Counting {
            left: 7,
            fail_every: u64::MAX,
            n: 0,
        })];
        let r = run(workers, &plan(Some(100))).await;
        assert_eq!(r.stats.ok, 7);
        assert_eq!(r.stats.error_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_run_at_a_fixed_rate_sends_about_that_rate() {
        let workers: Vec<Box<dyn Worker>> = (0..2)
            .map(|_| {
                Box::new(Counting {
                    left: u64::MAX,
                    fail_every: u64::MAX,
                    n: 0,
                }) as Box<dyn Worker>
            })
            .collect();
        let mut p = plan(None);
        p.rate = Some(500.0);
        p.duration = Duration::from_millis(400);
        let r = run(workers, &p).await;
        // 500/s for 0.4 s is 200 steps (the paused clock makes the schedule exact, give or take
        // the step in flight when time runs out).
        assert!((199..=202).contains(&r.stats.ok), "{} steps", r.stats.ok);
    }
}
