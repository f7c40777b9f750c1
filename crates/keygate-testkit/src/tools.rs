//! The outside tools a client-library test runs (python3, node, npm): whether they are here (a
//! skip outside CI, a failure under it), running one to success, and a Python virtual
//! environment built from a pinned requirements file.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether this runs under CI (`CI=true` or `CI=1`), where a missing tool is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether the tools for `what` are here; a skip (with a line saying so) outside CI, a failure
/// under it.
pub fn tools_present(what: &str, programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !available(p)).collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !in_ci(),
        "{missing:?} missing, and CI must run the {what} tests"
    );
    eprintln!("SKIPPED: {missing:?} not installed, so the {what} tests cannot run");
    false
}

/// Runs `command` to success, or fails the test naming `what`.
pub fn run(command: &mut Command, what: &str) {
    let status = command.status().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        status.success(),
        "{what} failed ({status}); see its output above"
    );
}

/// The Python of the virtual environment `venv`, holding the pinned `requirements`; made, or
/// made again when the requirements file changed since.
pub fn python_venv(venv: &Path, requirements: &Path) -> PathBuf {
    let stamp = venv.join(".keygate-requirements");
    let wanted =
        std::fs::read(requirements).unwrap_or_else(|e| panic!("{}: {e}", requirements.display()));
    let python = venv.join("bin/python");
    if !python.exists() || std::fs::read(&stamp).ok().as_deref() != Some(&wanted[..]) {
        let _ = std::fs::remove_dir_all(venv);
        run(
            Command::new("python3").arg("-m").arg("venv").arg(venv),
            "python3 -m venv",
        );
        run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(requirements),
            "pip install",
        );
        std::fs::write(&stamp, &wanted).unwrap_or_else(|e| panic!("{}: {e}", stamp.display()));
    }
    python
}
