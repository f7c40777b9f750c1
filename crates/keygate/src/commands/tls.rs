//! `keygate tls init|show`: the local CA for https on a developer machine, and the lines that
//! make servers and clients use it (also printed by `keygate demo --https`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use crate::cli::TlsCommand;
use crate::local_ca::{self, LocalTls};

/// Runs `keygate tls ...`.
pub(super) fn run(command: TlsCommand) -> anyhow::Result<()> {
    let (made, json) = match command {
        TlsCommand::Init { dir, names, json } => (
            local_ca::ensure(&absolute(&dir)?, &names, time::OffsetDateTime::now_utc())?,
            json,
        ),
        TlsCommand::Show { dir, json } => (local_ca::inspect(&absolute(&dir)?)?, json),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&describe(&made)).unwrap_or_default()
        );
    } else {
        let what = match (made.ca_created, made.server_issued) {
            (true, _) => "Made a new local CA and a server certificate it signed",
            (false, true) => "Kept the local CA and made a new server certificate",
            (false, false) => "The local CA and server certificate are in place",
        };
        println!(
            "{what} in {}\n\
             CA:      {}  (expires {})\n\
             Server:  {}  for {}  (expires {})\n\n\
             Serve https with it:\n  keygate serve --tls-cert {} --tls-key {} --public-url https://localhost:8443 --listen 127.0.0.1:8443\n\n\
             {}",
            made.dir.display(),
            made.ca_cert.display(),
            date(made.ca_expires),
            made.server_cert.display(),
            made.names.join(", "),
            date(made.server_expires),
            made.server_cert.display(),
            made.server_key.display(),
            trust_lines(&made.ca_cert),
        );
    }
    Ok(())
}

/// How Python, Node and curl are told to trust the CA, one line each, for people.
pub(super) fn trust_lines(ca: &Path) -> String {
    let ca = ca.display();
    format!(
        "Trust the local CA (Python requests/MSAL, Python ssl, Node, curl):\n  \
         export REQUESTS_CA_BUNDLE={ca}\n  export SSL_CERT_FILE={ca}\n  \
         export NODE_EXTRA_CA_CERTS={ca}\n  curl --cacert {ca} ...\n\
         Browsers: import {ca} as a trusted certificate authority once.\n"
    )
}

fn describe(t: &LocalTls) -> Value {
    let ca = t.ca_cert.display().to_string();
    json!({
        "dir": t.dir,
        "caCert": t.ca_cert,
        "caKey": t.ca_key,
        "serverCert": t.server_cert,
        "serverKey": t.server_key,
        "names": t.names,
        "caExpires": date(t.ca_expires),
        "serverExpires": date(t.server_expires),
        "caCreated": t.ca_created,
        "serverIssued": t.server_issued,
        "serveArgs": ["--tls-cert", t.server_cert, "--tls-key", t.server_key],
        "env": {
            "REQUESTS_CA_BUNDLE": ca,
            "SSL_CERT_FILE": ca,
            "NODE_EXTRA_CA_CERTS": ca,
        },
    })
}

fn date(t: time::OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// `dir` made absolute against the working directory, so the printed lines work anywhere.
pub(super) fn absolute(dir: &Path) -> anyhow::Result<PathBuf> {
    if dir.is_absolute() {
        return Ok(dir.to_path_buf());
    }
    Ok(std::env::current_dir()
        .context("could not read the working directory")?
        .join(dir))
}
