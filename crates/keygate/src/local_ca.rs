//! A local certificate authority for https on a developer machine (`keygate tls init`,
//! `keygate demo --https`): a CA certificate made once and kept, and a server certificate it
//! signs for localhost (plus any names asked for), remade only when the names change or it is
//! about to expire. Trusting `ca.pem` once (curl, Python, Node, a browser) then covers every
//! server certificate the directory ever gets.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use crate::hardening::TlsFiles;

/// The names every local server certificate is valid for.
pub(crate) const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// How long a new CA certificate is valid.
const CA_LIFETIME: Duration = Duration::days(3650);
/// How long a new server certificate is valid (browsers refuse more than 398 days).
const SERVER_LIFETIME: Duration = Duration::days(365);
/// A server certificate expiring sooner than this is remade.
const RENEW_BEFORE: Duration = Duration::days(30);

/// The files of a local CA directory and what their certificates say.
#[derive(Debug, Clone)]
pub(crate) struct LocalTls {
    /// The directory.
    pub dir: PathBuf,
    /// The CA certificate to trust (`ca.pem`).
    pub ca_cert: PathBuf,
    /// The CA's private key (`ca-key.pem`, owner-only).
    pub ca_key: PathBuf,
    /// The server certificate chain, leaf first (`server.pem`).
    pub server_cert: PathBuf,
    /// The server's private key (`server-key.pem`, owner-only).
    pub server_key: PathBuf,
    /// The names the server certificate is valid for.
    pub names: Vec<String>,
    /// When the CA certificate expires.
    pub ca_expires: OffsetDateTime,
    /// When the server certificate expires.
    pub server_expires: OffsetDateTime,
    /// Whether this run made the CA (false: an existing one was reused).
    pub ca_created: bool,
    /// Whether this run made the server certificate (false: the existing one still fits).
    pub server_issued: bool,
}

impl LocalTls {
    /// The certificate and key for `serve --tls-cert/--tls-key`.
    pub(crate) fn server_files(&self) -> TlsFiles {
        TlsFiles {
            cert: self.server_cert.clone(),
            key: self.server_key.clone(),
        }
    }
}

struct Paths {
    ca_cert: PathBuf,
    ca_key: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

fn paths(dir: &Path) -> Paths {
    Paths {
        ca_cert: dir.join("ca.pem"),
        ca_key: dir.join("ca-key.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server-key.pem"),
    }
}

/// Makes `dir` hold a CA (made if missing, else reused) and a server certificate it signed for
/// [`LOCAL_NAMES`] and `extra` names, remade when the names differ, the CA changed, or it
/// expires within 30 days of `now`.
pub(crate) fn ensure(
    dir: &Path,
    extra: &[String],
    now: OffsetDateTime,
) -> anyhow::Result<LocalTls> {
    let names = wanted_names(extra)?;
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let p = paths(dir);
    let ca_created = match (p.ca_cert.exists(), p.ca_key.exists()) {
        (true, true) => false,
        (false, false) => {
            let (cert, key) = make_ca(now)?;
            write_file(&p.ca_key, key.as_bytes(), true)?;
            write_file(&p.ca_cert, cert.as_bytes(), false)?;
            true
        }
        _ => bail!(
            "{} has only one of ca.pem and ca-key.pem; restore the other or remove both to make a new CA",
            dir.display()
        ),
    };
    let ca_pem = read(&p.ca_cert)?;
    let ca = facts(&ca_pem).with_context(|| format!("{} is unusable", p.ca_cert.display()))?;
    let current = if ca_created || !p.server_key.exists() {
        None
    } else {
        std::fs::read(&p.server_cert)
            .ok()
            .and_then(|pem| facts(&pem).ok())
            .filter(|leaf| {
                leaf.issuer == ca.subject
                    && same_names(&leaf.names, &names)
                    && leaf.not_after - now > RENEW_BEFORE
            })
    };
    let (server_expires, server_issued) = match current {
        Some(leaf) => (leaf.not_after, false),
        None => {
            let ca_key = String::from_utf8(read(&p.ca_key)?)
                .with_context(|| format!("{} is not PEM", p.ca_key.display()))?;
            let ca_pem_text = String::from_utf8(ca_pem.clone())
                .with_context(|| format!("{} is not PEM", p.ca_cert.display()))?;
            let (chain, key, expires) = issue_server(&ca_pem_text, &ca_key, &names, now)?;
            write_file(&p.server_key, key.as_bytes(), true)?;
            write_file(&p.server_cert, chain.as_bytes(), false)?;
            (expires, true)
        }
    };
    Ok(LocalTls {
        dir: dir.to_path_buf(),
        ca_cert: p.ca_cert,
        ca_key: p.ca_key,
        server_cert: p.server_cert,
        server_key: p.server_key,
        names,
        ca_expires: ca.not_after,
        server_expires,
        ca_created,
        server_issued,
    })
}

/// Reads what `dir` holds, changing nothing.
pub(crate) fn inspect(dir: &Path) -> anyhow::Result<LocalTls> {
    let p = paths(dir);
    let ca = facts(&read(&p.ca_cert)?)
        .with_context(|| format!("{} is unusable", p.ca_cert.display()))?;
    let leaf = facts(&read(&p.server_cert)?)
        .with_context(|| format!("{} is unusable", p.server_cert.display()))?;
    Ok(LocalTls {
        dir: dir.to_path_buf(),
        ca_cert: p.ca_cert,
        ca_key: p.ca_key,
        server_cert: p.server_cert,
        server_key: p.server_key,
        names: leaf.names,
        ca_expires: ca.not_after,
        server_expires: leaf.not_after,
        ca_created: false,
        server_issued: false,
    })
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| {
        format!(
            "could not read {} (run `keygate tls init` to make it)",
            path.display()
        )
    })
}

/// The local names then `extra`, each once, IP addresses in canonical form, host names in
/// lower case.
fn wanted_names(extra: &[String]) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for name in LOCAL_NAMES
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
    {
        let name = normalize(name)?;
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

fn normalize(name: &str) -> anyhow::Result<String> {
    let name = name.trim();
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*'));
    if !ok {
        bail!("{name:?} is neither a host name nor an IP address");
    }
    Ok(name.to_ascii_lowercase())
}

fn same_names(a: &[String], b: &[String]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort();
    b.sort();
    a == b
}

/// What a PEM file's first certificate says.
struct Facts {
    names: Vec<String>,
    not_after: OffsetDateTime,
    subject: Vec<u8>,
    issuer: Vec<u8>,
}

fn facts(pem: &[u8]) -> anyhow::Result<Facts> {
    use x509_parser::extensions::GeneralName;
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem).context("no PEM certificate")?;
    let cert = pem.parse_x509().context("not an X.509 certificate")?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => names.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                        names.push(IpAddr::from(v4).to_string());
                    } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                        names.push(IpAddr::from(v6).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    Ok(Facts {
        names,
        not_after: cert.validity().not_after.to_datetime(),
        subject: cert.subject().as_raw().to_vec(),
        issuer: cert.issuer().as_raw().to_vec(),
    })
}

/// A new CA: (certificate PEM, key PEM). Its name carries the moment it was made, so two
/// developers' CAs (or one remade) are told apart in a trust store.
fn make_ca(now: OffsetDateTime) -> anyhow::Result<(String, String)> {
    let key = KeyPair::generate().context("could not make the CA key")?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Keygate");
    dn.push(
        DnType::CommonName,
        format!(
            "Keygate local development CA {}",
            now.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default()
        ),
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = now - Duration::days(1);
    params.not_after = now + CA_LIFETIME;
    let cert = params
        .self_signed(&key)
        .context("could not sign the CA certificate")?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// A server certificate for `names` signed by the CA: (chain PEM leaf first, key PEM, expiry).
fn issue_server(
    ca_pem: &str,
    ca_key_pem: &str,
    names: &[String],
    now: OffsetDateTime,
) -> anyhow::Result<(String, String, OffsetDateTime)> {
    let ca_key = KeyPair::from_pem(ca_key_pem).context("the CA key is unusable")?;
    let issuer =
        Issuer::from_ca_cert_pem(ca_pem, &ca_key).context("the CA certificate is unusable")?;
    let key = KeyPair::generate().context("could not make the server key")?;
    let mut params =
        CertificateParams::new(names.to_vec()).context("a name cannot go in a certificate")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Keygate");
    dn.push(DnType::CommonName, "Keygate local server");
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // OpenSSL's strict checking (Python 3.13's default) wants the issuer's key named.
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - Duration::hours(1);
    let expires = now + SERVER_LIFETIME;
    params.not_after = expires;
    let cert = params
        .signed_by(&key, &issuer)
        .context("could not sign the server certificate")?;
    let chain = format!("{}{}", cert.pem(), ca_pem);
    Ok((chain, key.serialize_pem(), expires))
}

/// Writes `bytes` to `path` through a temporary file renamed into place, so a reader never
/// sees half a file; `private` files are readable by the owner only.
fn write_file(path: &Path, bytes: &[u8], private: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("could not create {}", tmp.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("could not write {}", tmp.display()))?;
    drop(file);
    std::fs::rename(&tmp, path).with_context(|| format!("could not write {}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn init_makes_a_ca_and_a_localhost_certificate_that_load_as_a_server_config() {
        let dir = tempfile::tempdir().unwrap();
        let made = ensure(dir.path(), &[], now()).unwrap();
        assert!(made.ca_created && made.server_issued);
        assert_eq!(made.names, ["localhost", "127.0.0.1", "::1"]);
        let config = crate::tls::load(&made.server_files()).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        #[cfg(unix)]
        for key in [&made.ca_key, &made.server_key] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} is readable by others", key.display());
        }
        let chain = std::fs::read_to_string(&made.server_cert).unwrap();
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
        assert!(chain.ends_with(&std::fs::read_to_string(&made.ca_cert).unwrap()));
    }

    #[test]
    fn rerunning_keeps_the_ca_and_remakes_the_server_certificate_only_when_needed() {
        let dir = tempfile::tempdir().unwrap();
        let first = ensure(dir.path(), &[], now()).unwrap();
        let ca = std::fs::read(&first.ca_cert).unwrap();
        let leaf = std::fs::read(&first.server_cert).unwrap();

        let again = ensure(dir.path(), &[], now()).unwrap();
        assert!(!again.ca_created && !again.server_issued);
        assert_eq!(std::fs::read(&first.server_cert).unwrap(), leaf);

        let named = ensure(
            dir.path(),
            &["Keygate.Test".into(), "10.0.0.7".into()],
            now(),
        )
        .unwrap();
        assert!(!named.ca_created && named.server_issued);
        assert_eq!(
            named.names,
            ["localhost", "127.0.0.1", "::1", "keygate.test", "10.0.0.7"]
        );
        assert_eq!(inspect(dir.path()).unwrap().names, named.names);

        // 340 days on, the certificate has less than 30 days left and is remade.
        let later = ensure(
            dir.path(),
            &["keygate.test".into(), "10.0.0.7".into()],
            now() + Duration::days(340),
        )
        .unwrap();
        assert!(!later.ca_created && later.server_issued);
        assert_eq!(std::fs::read(&first.ca_cert).unwrap(), ca);
    }

    #[test]
    fn a_half_present_ca_or_a_bad_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let made = ensure(dir.path(), &[], now()).unwrap();
        std::fs::remove_file(&made.ca_key).unwrap();
        assert!(ensure(dir.path(), &[], now()).is_err());
        assert!(wanted_names(&["not a name".into()]).is_err());
    }
}
