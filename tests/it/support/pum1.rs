//! The real pum 1.x (Python, from PyPI) for the tests that take turns with
//! it on one database. It lives in a virtual environment under the target
//! directory, made on first use (`python3 -m venv`, then `pip install
//! pum==1.9.2`); `PUM1_BIN` names another one. When it cannot be had, the
//! tests fail saying why: they never pass without it.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The pum 1.x release the drop-in promise is checked against.
pub const RELEASE: &str = "1.9.2";

static BIN: OnceLock<PathBuf> = OnceLock::new();

/// The `pum` program of pum 1.x.
pub fn bin() -> &'static PathBuf {
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("PUM1_BIN") {
            return PathBuf::from(bin);
        }
        let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(format!("pum1-{RELEASE}"));
        let bin = venv.join("bin").join("pum");
        if !bin.is_file() {
            install(&venv);
        }
        bin
    })
}

fn install(venv: &std::path::Path) {
    let run = |cmd: &mut Command, what: &str| {
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what} failed (pum 1.x is needed for these tests; set PUM1_BIN to use another):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let _ = std::fs::remove_dir_all(venv);
    run(
        Command::new("python3").arg("-m").arg("venv").arg(venv),
        "python3 -m venv",
    );
    run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("pum=={RELEASE}")),
        "pip install pum",
    );
}

/// pum 1.x run as a user would run it: `HOME` (and so its service file) the
/// database's, no `PG*` variables of the test run.
pub fn pum1(home: &std::path::Path) -> super::Pum {
    let mut cmd = Command::new(bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home).current_dir(home);
    super::Pum { cmd, stdin: None }
}
