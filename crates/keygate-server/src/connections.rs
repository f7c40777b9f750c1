//! The accept loop: at most `max_connections` connections at once and at most
//! `max_connections_per_address` from one client address, a deadline on every request head (idle
//! keep-alive connections included) and on the TLS handshake, HTTP/1.1 over TCP or TLS, the
//! client address of every request (behind trusted proxies, the forwarded one), and a graceful
//! stop that lets requests in flight finish.
//!
//! `axum::serve` offers neither a connection cap nor header timeouts, so the loop is written here
//! on hyper's own connection builder.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use ipnet::IpNet;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::address_slots::{AddressSlot, AddressSlots};
use crate::forwarded::{self, ClientIp};
use crate::limits::Limits;
use crate::tls::ServerConfig;

/// How long a stop waits for requests in flight beyond the request timeout.
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// What each connection task needs.
#[derive(Clone)]
struct ConnectionSettings {
    app: Router,
    http: hyper::server::conn::http1::Builder,
    tls: Option<TlsAcceptor>,
    handshake_timeout: Duration,
    trusted_proxies: Arc<[IpNet]>,
}

/// Accepts and serves connections until `shutdown` resolves, then drains them.
pub(crate) async fn serve_connections(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let settings = ConnectionSettings {
        app,
        http,
        tls: tls.map(TlsAcceptor::from),
        handshake_timeout: limits.tls_handshake_timeout,
        trusted_proxies: limits.trusted_proxies.clone().into(),
    };
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let address_slots = AddressSlots::new(limits.max_connections_per_address);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Take a slot before accepting: past the cap, new clients wait in the listen backlog
        // instead of holding a socket and a task each.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(address_slot) = admit(&address_slots, &settings, remote.ip()) else {
            // Closing at once gives the slot straight back; the client sees a reset.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let settings = settings.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            serve_one(settings, watcher, stream, remote).await;
            drop(address_slot);
            drop(permit);
        });
    }
    drop(listener);
    let drain = limits.request_timeout + DRAIN_GRACE;
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain period; closing them");
    }
    Ok(())
}

/// The per-address slot of a connection from `peer`, or `None` when that address already holds
/// its share. Trusted proxies speak for many clients and are not counted.
fn admit(
    slots: &Arc<AddressSlots>,
    settings: &ConnectionSettings,
    peer: IpAddr,
) -> Option<AddressSlot> {
    if forwarded::is_trusted(peer, &settings.trusted_proxies) {
        return Some(AddressSlot::uncounted());
    }
    let slot = slots.take(peer);
    if slot.is_none() {
        tracing::debug!(client.address = %peer, "refused a connection: the address holds its share");
    }
    slot
}

/// Errors about one connection are that client's; others (out of file descriptors) get a pause
/// so the loop does not spin.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    tracing::error!(error = %e, "could not accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn serve_one(
    settings: ConnectionSettings,
    watcher: Watcher,
    stream: TcpStream,
    remote: SocketAddr,
) {
    match &settings.tls {
        None => serve_http(&settings, watcher, stream, remote).await,
        Some(acceptor) => {
            match tokio::time::timeout(settings.handshake_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => serve_http(&settings, watcher, tls, remote).await,
                Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        }
    }
}

async fn serve_http<S>(settings: &ConnectionSettings, watcher: Watcher, io: S, remote: SocketAddr)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let trusted = Arc::clone(&settings.trusted_proxies);
    let peer = remote.ip();
    let app = tower::ServiceBuilder::new()
        .layer(Extension(ConnectInfo(remote)))
        .map_request(move |mut request: Request<hyper::body::Incoming>| {
            let client = forwarded::client_ip(peer, request.headers(), &trusted);
            request.extensions_mut().insert(ClientIp(client));
            request
        })
        .service(settings.app.clone());
    let connection = settings
        .http
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(app));
    if let Err(e) = watcher.watch(connection).await {
        // Header timeouts and clients that hang up land here; they are not server faults.
        tracing::debug!(error = %e, "connection ended with an error");
    }
}
