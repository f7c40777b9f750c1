//! What a run measured: counts, errors by kind, and a latency histogram, per worker and merged.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, up to a minute, with 3 significant digits.
const MAX_MICROS: u64 = 60_000_000;

/// Counts and latencies of one worker, or of all of them merged.
#[derive(Debug, Clone)]
pub(crate) struct Stats {
    /// Steps that succeeded.
    pub ok: u64,
    /// Failed steps by kind (`HTTP 400`, `transport error`, ...).
    pub errors: BTreeMap<String, u64>,
    /// Latency of every measured step (successful or not), in microseconds.
    pub latency: Histogram<u64>,
    /// HTTP requests sent (a full-flow step sends several).
    pub requests: u64,
    /// Connections the server closed that had to be opened again.
    pub reconnects: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    /// Empty stats.
    #[expect(
        clippy::expect_used,
        reason = "the bounds are constants that hdrhistogram accepts"
    )]
    pub(crate) fn new() -> Self {
        Self {
            ok: 0,
            errors: BTreeMap::new(),
            latency: Histogram::new_with_bounds(1, MAX_MICROS, 3)
                .expect("1us..60s at 3 significant digits is a valid histogram"),
            requests: 0,
            reconnects: 0,
        }
    }

    /// Records one step's latency.
    pub(crate) fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(MAX_MICROS)
            .clamp(1, MAX_MICROS);
        // Saturating: a value above the bound is clamped above, so this cannot fail.
        let _ = self.latency.record(micros);
    }

    /// Counts a failed step of kind `kind`.
    pub(crate) fn error(&mut self, kind: impl Into<String>) {
        *self.errors.entry(kind.into()).or_default() += 1;
    }

    /// Every failed step.
    pub(crate) fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Adds another worker's stats to these.
    pub(crate) fn merge(&mut self, other: &Stats) {
        self.ok += other.ok;
        self.requests += other.requests;
        self.reconnects += other.reconnects;
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
        // Both histograms share the same bounds.
        let _ = self.latency.add(&other.latency);
    }

    /// The latency at `quantile` (0..=1), in milliseconds.
    pub(crate) fn latency_ms(&self, quantile: f64) -> f64 {
        if self.latency.is_empty() {
            return 0.0;
        }
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_stats_add_counts_errors_and_latencies() {
        let mut a = Stats::new();
        a.ok = 2;
        a.record(Duration::from_millis(1));
        a.record(Duration::from_millis(3));
        a.error("HTTP 400");
        let mut b = Stats::new();
        b.ok = 1;
        b.record(Duration::from_millis(2));
        b.error("HTTP 400");
        b.error("transport error");
        a.merge(&b);
        assert_eq!(a.ok, 3);
        assert_eq!(a.error_count(), 3);
        assert_eq!(a.errors["HTTP 400"], 2);
        assert_eq!(a.latency.len(), 3);
        assert!((a.latency_ms(0.5) - 2.0).abs() < 0.01);
    }

    #[test]
    fn a_latency_beyond_a_minute_is_clamped_not_lost() {
        let mut s = Stats::new();
        s.record(Duration::from_secs(3600));
        assert_eq!(s.latency.len(), 1);
        assert!(s.latency_ms(1.0) >= 59_000.0);
    }
}
