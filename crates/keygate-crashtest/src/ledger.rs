//! What the clients hold and what happened: the refresh token each chain last received, the
//! requests whose answer was lost at a kill, and successes per code.

use std::collections::HashMap;

/// A code whose exchange got no complete answer.
#[derive(Debug, Clone)]
pub(crate) struct PendingCode {
    /// The code.
    pub code: String,
    /// Sent but unanswered (as opposed to never sent).
    pub ambiguous: bool,
    /// Exchanged twice at once on purpose: its authorization ends by design.
    pub paired: bool,
}

/// Counters for the closing report.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counts {
    /// Successful code exchanges.
    pub exchanges: u64,
    /// Successful refreshes during load.
    pub refreshes: u64,
    /// Codes exchanged twice concurrently on purpose.
    pub duplicate_pairs: u64,
    /// Second exchanges of those pairs refused with "already issued".
    pub duplicate_refused: u64,
    /// Requests that never reached the server (connection refused at a kill).
    pub not_sent: u64,
    /// Refreshes in flight at a kill whose rotation had committed (retry: "already refreshed").
    pub ambiguous_refresh_committed: u64,
    /// Refreshes in flight at a kill that had not committed (retry succeeded).
    pub ambiguous_refresh_not_committed: u64,
    /// Exchanges in flight at a kill that had committed (retry: "already issued").
    pub ambiguous_exchange_committed: u64,
    /// Exchanges in flight at a kill that had not committed (retry succeeded).
    pub ambiguous_exchange_not_committed: u64,
    /// Chains whose last received refresh token was refreshed successfully after a restart.
    pub verified_after_restart: u64,
    /// SIGKILLs.
    pub kills: u64,
}

/// Shared by the workers and the orchestrator.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// The refresh token each idle chain last received, with its response read in full.
    pub live: Vec<String>,
    /// Refresh tokens whose refresh was in flight at a kill.
    pub ambiguous_chains: Vec<String>,
    /// Codes whose exchange got no complete answer.
    pub pending_codes: Vec<PendingCode>,
    /// Successful exchanges per code.
    pub code_successes: HashMap<String, u32>,
    /// Counters.
    pub counts: Counts,
    /// Everything that broke a promise.
    pub failures: Vec<String>,
}

impl Ledger {
    /// Codes that were redeemed more than once (must be none).
    pub(crate) fn codes_redeemed_twice(&self) -> usize {
        self.code_successes.values().filter(|n| **n > 1).count()
    }
}
