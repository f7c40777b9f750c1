//! The load: workers that make new chains (authorize, consent, exchange; sometimes two
//! exchanges of one code at once) and refresh existing ones, pausing while the server is down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;

use crate::client::{OAuthClient, Outcome, CODE_ALREADY_USED};
use crate::ledger::{Ledger, PendingCode};

/// What the workers should be doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Send load.
    Run,
    /// Hold still: the server is being killed, checked or restarted.
    Pause,
    /// Exit.
    Stop,
}

/// The workers' shared state.
pub(crate) struct Shared {
    /// The ledger.
    pub ledger: Mutex<Ledger>,
    /// Operations under way; the orchestrator waits for 0 after a pause.
    pub active: AtomicUsize,
    /// Chains to keep before mostly refreshing.
    pub max_chains: usize,
}

impl Shared {
    /// The ledger, even if a worker panicked holding it.
    pub(crate) fn ledger(&self) -> MutexGuard<'_, Ledger> {
        match self.ledger.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

/// One worker: loops until [`Phase::Stop`].
pub(crate) async fn worker(
    client: OAuthClient,
    shared: Arc<Shared>,
    mut phase: watch::Receiver<Phase>,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    loop {
        // Count first, then look: the orchestrator sets Pause, then waits for zero.
        shared.active.fetch_add(1, Ordering::SeqCst);
        let now = *phase.borrow();
        match now {
            Phase::Run => {
                one_operation(&client, &shared, &mut rng).await;
                shared.active.fetch_sub(1, Ordering::SeqCst);
            }
            Phase::Pause => {
                shared.active.fetch_sub(1, Ordering::SeqCst);
                if phase.wait_for(|p| *p != Phase::Pause).await.is_err() {
                    return;
                }
            }
            Phase::Stop => {
                shared.active.fetch_sub(1, Ordering::SeqCst);
                return;
            }
        }
    }
}

async fn one_operation(client: &OAuthClient, shared: &Shared, rng: &mut StdRng) {
    let new_chain = {
        let ledger = shared.ledger();
        ledger.live.len() < shared.max_chains || rng.gen_bool(0.2)
    };
    if new_chain {
        let Ok(code) = client.new_code().await else {
            return; // the server died mid-consent; nothing was promised
        };
        if rng.gen_bool(0.15) {
            let (a, b) = tokio::join!(client.exchange(&code), client.exchange(&code));
            let mut ledger = shared.ledger();
            ledger.counts.duplicate_pairs += 1;
            record_exchange(&mut ledger, &code, a, true);
            record_exchange(&mut ledger, &code, b, true);
        } else {
            let outcome = client.exchange(&code).await;
            record_exchange(&mut shared.ledger(), &code, outcome, false);
        }
        return;
    }
    let token = {
        let mut ledger = shared.ledger();
        if ledger.live.is_empty() {
            return;
        }
        let i = rng.gen_range(0..ledger.live.len());
        ledger.live.swap_remove(i)
    };
    let outcome = client.refresh(&token).await;
    let mut ledger = shared.ledger();
    match outcome {
        Outcome::Tokens(next) => {
            ledger.counts.refreshes += 1;
            ledger.live.push(next);
        }
        Outcome::NotSent => {
            ledger.counts.not_sent += 1;
            ledger.live.push(token);
        }
        Outcome::Ambiguous => ledger.ambiguous_chains.push(token),
        Outcome::Refused(why) => ledger.failures.push(format!(
            "a live refresh token was refused during load: {why}"
        )),
    }
}

/// Books one exchange answer. A pair's chain is not kept: the second redemption revokes the
/// authorization (RFC 6749 §4.1.2), so its tokens are meant to stop working.
pub(crate) fn record_exchange(ledger: &mut Ledger, code: &str, outcome: Outcome, paired: bool) {
    match outcome {
        Outcome::Tokens(refresh) => {
            ledger.counts.exchanges += 1;
            *ledger.code_successes.entry(code.to_owned()).or_default() += 1;
            if !paired {
                ledger.live.push(refresh);
            }
        }
        Outcome::Refused(why) if paired && why == CODE_ALREADY_USED => {
            ledger.counts.duplicate_refused += 1;
        }
        Outcome::Refused(why) => ledger
            .failures
            .push(format!("a fresh code was refused: {why}")),
        Outcome::NotSent | Outcome::Ambiguous => {
            let ambiguous = matches!(outcome, Outcome::Ambiguous);
            if !ambiguous {
                ledger.counts.not_sent += 1;
            }
            ledger.pending_codes.push(PendingCode {
                code: code.to_owned(),
                ambiguous,
                paired,
            });
        }
    }
}
