//! Listening for `NOTIFY keygate_changes` on a connection of its own, and waking the server's
//! change follower through a broadcast channel.
//!
//! Notifications are a shortcut, never the only path: a node still polls the feed, so one lost
//! while the connection was down costs at most a poll interval. For the same reason the listener
//! wakes its subscribers whenever it (re)connects, since it cannot know what it missed.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use keygate_store_sql::sql::changes::CHANNEL;

/// How long the listener waits before reconnecting after its connection failed.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// The listening task and the channel it wakes subscribers on; the task stops when this drops.
pub(crate) struct Notifier {
    sender: broadcast::Sender<()>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("subscribers", &self.sender.receiver_count())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// Starts listening on a dedicated one-connection pool (so the listener never takes a
    /// connection from the requests' pool). Must be called inside a tokio runtime.
    pub(crate) fn start(options: PgConnectOptions, acquire_timeout: Duration) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(acquire_timeout)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(options);
        // Subscribers only need "something changed": a small buffer is plenty, and a lagging
        // receiver just catches up once.
        let (sender, _) = broadcast::channel(16);
        let task = tokio::spawn(listen(pool, sender.clone()));
        Self { sender, task }
    }

    /// A new receiver of wake-ups.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<()> {
        self.sender.subscribe()
    }

    /// Stops listening.
    pub(crate) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Subscribes and forwards notifications until the task is aborted, reconnecting after failures.
async fn listen(pool: sqlx::PgPool, sender: broadcast::Sender<()>) {
    let mut failing = false;
    loop {
        match subscribe(&pool).await {
            Ok(mut listener) => {
                if std::mem::take(&mut failing) {
                    tracing::info!("listening for change notifications again");
                }
                // Whatever was announced while nobody listened: catch up now.
                let _ = sender.send(());
                loop {
                    match listener.try_recv().await {
                        // `None`: the connection dropped and was re-established; notifications
                        // in between are lost, so catch up.
                        Ok(_) => {
                            let _ = sender.send(());
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "lost the change notification connection");
                            failing = true;
                            break;
                        }
                    }
                }
            }
            Err(e) if !failing => {
                tracing::warn!(error = %e, "could not listen for change notifications; polling meanwhile");
                failing = true;
            }
            Err(e) => tracing::debug!(error = %e, "still cannot listen for change notifications"),
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

async fn subscribe(pool: &sqlx::PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
