//! The `serve` flags for operators and for other projects' test suites: a separate metrics
//! listener, a seed file, and the test-emulator switches.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use clap::Args;

/// Operations and emulator flags of `keygate serve`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct OperationsArgs {
    /// Serve `GET /metrics` on this address (a private interface, say).
    #[arg(long, env = "KEYGATE_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Also serve `GET /metrics` on the public listener. Off by default: metrics tell an
    /// outsider how busy the server is and which clients fail.
    #[arg(long, env = "KEYGATE_METRICS_PUBLIC")]
    pub metrics_public: bool,
    /// A TOML file of users, organizations, projects and apps (with fixed App IDs and client
    /// secrets) to create at start; what already exists is left as it is.
    #[arg(long, env = "KEYGATE_SEED")]
    pub seed: Option<PathBuf>,
    /// Test-emulator mode: enables --auto-approve and `login_hint` sign-in for seeded users.
    /// Refuses any listen address that is not loopback.
    #[arg(long)]
    pub emulator: bool,
    /// With --emulator: grant consent without showing the page to a signed-in user.
    #[arg(long, requires = "emulator")]
    pub auto_approve: bool,
}

/// Whether every address `listen` resolves to is a loopback address.
pub(crate) fn is_loopback(listen: &str) -> bool {
    match listen.to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}

/// The banner `--emulator` prints, so nobody mistakes an emulator for a real server.
pub(crate) fn emulator_banner(listen: &str, auto_approve: bool, seeded_users: usize) -> String {
    let line = "!".repeat(78);
    format!(
        "\n{line}\n!!  KEYGATE TEST EMULATOR on {listen}\n\
         !!  NOT FOR PRODUCTION: seeded users ({seeded_users}) sign in with only a login_hint,\n\
         !!  consent is {}.\n{line}\n",
        if auto_approve {
            "granted automatically (--auto-approve)"
        } else {
            "asked as usual"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_count_as_loopback() {
        assert!(is_loopback("127.0.0.1:8080"));
        assert!(is_loopback("[::1]:8080"));
        assert!(is_loopback("localhost:0"));
        assert!(!is_loopback("0.0.0.0:8080"));
        assert!(!is_loopback("192.0.2.10:8080"));
        assert!(!is_loopback("not an address"));
    }
}
