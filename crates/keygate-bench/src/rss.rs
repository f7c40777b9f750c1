//! Sampling a server process's resident memory while it serves (Linux `/proc`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Samples `VmRSS` of one process every 100 ms and keeps the largest value.
pub(crate) struct RssSampler {
    stop: Arc<AtomicBool>,
    max: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

/// The resident set of `pid` in KiB, if `/proc` tells.
pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

impl RssSampler {
    /// Starts sampling `pid`.
    pub(crate) fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let max = Arc::new(AtomicU64::new(rss_kib(pid).unwrap_or(0)));
        let task = {
            let (stop, max) = (stop.clone(), max.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(kib) = rss_kib(pid) {
                        max.fetch_max(kib, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        Self { stop, max, task }
    }

    /// Stops sampling; the largest resident set seen, or `None` if none could be read.
    pub(crate) async fn stop(self) -> Option<u64> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        Some(self.max.load(Ordering::Relaxed)).filter(|m| *m > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sampler_reads_this_process_resident_memory() {
        let sampler = RssSampler::start(std::process::id());
        let max = sampler.stop().await;
        assert!(max.is_some_and(|kib| kib > 100), "{max:?}");
    }
}
