//! The admin CLI against a real SQLite file: accounts, apps, and refusals that write nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::io::Write;
use std::process::Stdio;

use keygate_testkit::{ok_json, refused, Cli};

fn world() -> (tempfile::TempDir, Cli) {
    let dir = tempfile::tempdir().unwrap();
    let kg = Cli::sqlite(
        env!("CARGO_BIN_EXE_keygate"),
        &dir.path().join("keygate.db"),
    );
    let user = kg.create_user();
    assert_eq!(user["email"], "ana@example.com");
    (dir, kg)
}

#[test]
fn user_create_refuses_a_duplicate_email_whatever_its_case() {
    let (_dir, kg) = world();
    let out = kg.run(&[
        "user",
        "create",
        "--email",
        "ANA@example.com",
        "--name",
        "Ana 2",
        "--password",
        "long enough",
    ]);
    refused(&out, "already exists");
}

#[test]
fn user_create_refuses_bad_emails_and_short_passwords_and_writes_nothing() {
    let (_dir, kg) = world();
    let create = |email: &str, name: &str, password: &str| {
        kg.run(&[
            "user",
            "create",
            "--email",
            email,
            "--name",
            name,
            "--password",
            password,
        ])
    };
    for email in ["not-an-email", "a@b", "two@@example.com", ""] {
        refused(&create(email, "X", "long enough"), "email");
    }
    refused(&create("bob@example.com", "Bob", "short"), "at least 8");
    // Nothing was written: bob can still be created.
    assert!(create("bob@example.com", "Bob", "long enough")
        .status
        .success());
}

#[test]
fn user_create_reads_the_password_from_stdin() {
    let (_dir, kg) = world();
    let mut child = kg
        .command(&[
            "user",
            "create",
            "--email",
            "cy@example.com",
            "--name",
            "Cy",
            "--password-stdin",
            "--json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from standard input\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(ok_json(out)["email"], "cy@example.com");
}

#[test]
fn org_and_project_commands_refuse_duplicates() {
    let (_dir, kg) = world();
    ok_json(kg.run(&[
        "org",
        "create",
        "fabrikam",
        "--owner",
        "ana@example.com",
        "--json",
    ]));
    refused(
        &kg.run(&["org", "create", "Fabrikam", "--owner", "ana@example.com"]),
        "already exists",
    );
    refused(
        &kg.run(&["org", "create", "bad name", "--owner", "ana@example.com"]),
        "organization name",
    );
    refused(
        &kg.run(&["org", "create", "app", "--owner", "ana@example.com"]),
        "reserved",
    );
    refused(
        &kg.run(&["org", "create", "contoso", "--owner", "nobody@example.com"]),
        "no user",
    );
    refused(
        &kg.run(&["org", "add-member", "fabrikam", "ana@example.com"]),
        "already a member",
    );
    let p = ok_json(kg.run(&["project", "create", "fabrikam", "Fabrikam-Fiber", "--json"]));
    assert_eq!(p["default_repository"], "Fabrikam-Fiber");
    refused(
        &kg.run(&["project", "create", "fabrikam", "fabrikam-fiber"]),
        "already exists",
    );
    refused(
        &kg.run(&["project", "create", "nowhere", "P"]),
        "no organization",
    );
    let policy = ok_json(kg.run(&[
        "org",
        "policy",
        "fabrikam",
        "--third-party-oauth",
        "deny",
        "--json",
    ]));
    assert_eq!(policy["third_party_oauth"], "deny");
}

#[test]
fn app_commands_create_list_show_regenerate_and_delete() {
    let (_dir, kg) = world();
    let created = ok_json(kg.run(&[
        "app",
        "create",
        "--owner",
        "ana@example.com",
        "--name",
        "Fiber",
        "--company",
        "Fabrikam",
        "--website",
        "https://fabrikam.example",
        "--callback-url",
        "https://localhost:5001/oauth/callback",
        "--scopes",
        "vso.work vso.code_write",
        "--json",
    ]));
    let id = created["app_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(id, id.to_uppercase());
    assert_eq!(secret.split('.').count(), 3);
    let list = ok_json(kg.run(&["app", "list", "--owner", "ana@example.com", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    let shown = ok_json(kg.run(&["app", "show", &id.to_lowercase(), "--json"]));
    assert_eq!(shown["scopes"], "vso.code_write vso.work");
    let regenerated = ok_json(kg.run(&["app", "regenerate-secret", &id, "--json"]));
    assert_ne!(regenerated["client_secret"].as_str().unwrap(), secret);
    ok_json(kg.run(&["app", "delete", &id, "--json"]));
    refused(&kg.run(&["app", "show", &id]), "no app");
    refused(
        &kg.run(&[
            "app",
            "create",
            "--owner",
            "ana@example.com",
            "--name",
            "Bad",
            "--company",
            "C",
            "--website",
            "https://c.example",
            "--callback-url",
            "http://c.example/cb",
            "--scopes",
            "vso.work",
        ]),
        "callback_url must start with https://",
    );
    let list = ok_json(kg.run(&["app", "list", "--json"]));
    assert!(
        list.as_array().unwrap().is_empty(),
        "the refused app was not written"
    );
}

#[test]
fn the_human_readable_app_list_is_a_table() {
    let (_dir, kg) = world();
    let out = kg.run(&["app", "list"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("APP ID"));
}

#[test]
fn the_tenant_is_made_once_and_entra_names_are_no_organization_names() {
    let (_dir, kg) = world();
    let first = kg.json(&["tenant", "show"]);
    let id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a GUID: {id}");
    assert_eq!(
        first["domain"],
        format!("keygate-{}.onmicrosoft.com", &id[..8]).as_str()
    );
    // Kept in the database: every command and node sees the same tenant.
    assert_eq!(kg.json(&["tenant", "show"])["id"], id.as_str());
    for name in [
        "common",
        "Organizations",
        id.as_str(),
        "contoso.onmicrosoft.com",
    ] {
        refused(
            &kg.run(&["org", "create", name, "--owner", "ana@example.com"]),
            "reserved",
        );
    }
}

#[test]
fn app_certificate_commands_add_list_and_remove() {
    let (dir, kg) = world();
    let created = ok_json(kg.run(&[
        "app",
        "create",
        "--owner",
        "ana@example.com",
        "--name",
        "Daemon",
        "--company",
        "Fabrikam",
        "--website",
        "https://fabrikam.example",
        "--callback-url",
        "https://localhost:5001/oauth/callback",
        "--scopes",
        "vso.work",
        "--json",
    ]));
    let id = created["app_id"].as_str().unwrap().to_owned();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["daemon.example".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let pem_path = dir.path().join("daemon.pem");
    std::fs::write(&pem_path, cert.pem()).unwrap();
    let pem = pem_path.to_str().unwrap();

    let added = ok_json(kg.run(&[
        "app",
        "certificate",
        "add",
        &id,
        "--pem",
        pem,
        "--description",
        "nightly",
        "--json",
    ]));
    let thumbprint = added["thumbprint"].as_str().unwrap().to_owned();
    assert_eq!(thumbprint.len(), 40);
    assert_eq!(added["description"], "nightly");
    refused(
        &kg.run(&["app", "certificate", "add", &id, "--pem", pem]),
        "already registered",
    );
    let key_path = dir.path().join("key.pem");
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    refused(
        &kg.run(&[
            "app",
            "certificate",
            "add",
            &id,
            "--pem",
            key_path.to_str().unwrap(),
        ]),
        "PEM-encoded X.509 certificate",
    );
    let listed = ok_json(kg.run(&["app", "certificate", "list", &id, "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["thumbprint"], thumbprint.as_str());
    let table = kg.run(&["app", "certificate", "list", &id]);
    assert!(String::from_utf8_lossy(&table.stdout).contains(&thumbprint));

    ok_json(kg.run(&[
        "app",
        "certificate",
        "remove",
        &id,
        &thumbprint.to_lowercase(),
        "--json",
    ]));
    refused(
        &kg.run(&["app", "certificate", "remove", &id, &thumbprint]),
        "no certificate",
    );
    let listed = ok_json(kg.run(&["app", "certificate", "list", &id, "--json"]));
    assert!(listed.as_array().unwrap().is_empty());
}

#[test]
fn org_add_app_makes_an_app_a_member_once_and_refuses_unknown_apps() {
    let (_dir, kg) = world();
    kg.json(&["org", "create", "Fabrikam", "--owner", "ana@example.com"]);
    let app = kg.json(&[
        "app",
        "create",
        "--owner",
        "ana@example.com",
        "--name",
        "Daemon",
        "--company",
        "Fabrikam",
        "--website",
        "https://fabrikam.example",
        "--callback-url",
        "https://fabrikam.example/cb",
        "--scopes",
        "vso.project",
    ]);
    let id = app["app_id"].as_str().unwrap();
    let added = kg.json(&["org", "add-app", "Fabrikam", id]);
    assert_eq!(added["organization"], "Fabrikam");
    refused(
        &kg.run(&["org", "add-app", "Fabrikam", id]),
        "already a member",
    );
    refused(
        &kg.run(&[
            "org",
            "add-app",
            "Fabrikam",
            "00000000-0000-4000-8000-000000000000",
        ]),
        "no app",
    );
    refused(&kg.run(&["org", "add-app", "Nope", id]), "Nope");
}
