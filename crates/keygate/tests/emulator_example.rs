//! Proves the README's "Emulator mode for your tests" example: its seed file and its shell block,
//! run as written (on a free port, with this build's `keygate` first on PATH).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::Path;
use std::process::Command;

use keygate_testkit::free_port;

/// The first fenced block of `lang` in the README section `heading`.
fn block(readme: &str, heading: &str, lang: &str) -> String {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("README has no section {heading}"));
    let start = section
        .find(&format!("```{lang}\n"))
        .unwrap_or_else(|| panic!("no {lang} block in {heading}"))
        + lang.len()
        + 4;
    let end = section[start..].find("```").unwrap() + start;
    section[start..end].to_owned()
}

#[test]
fn the_readme_emulator_example_runs_a_client_flow_against_a_seeded_emulator() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let heading = "Emulator mode for your tests";
    let seed = block(&readme, heading, "toml");
    let script = block(&readme, heading, "sh")
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{}", free_port()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("seed.toml"), seed).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_keygate"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env(
            "KEYGATE_DATABASE_URL",
            format!("sqlite://{}/emulator.db", dir.path().display()),
        )
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the example failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(r#""emailAddress":"ana@example.com""#),
        "the profile call did not answer for the seeded user:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("KEYGATE TEST EMULATOR"),
        "no banner:\n{stderr}"
    );
}
