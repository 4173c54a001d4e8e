//! `ccgate user add` / `ccgate user list`: the account's user directory, on a fresh SQLite
//! database, through the real binary.

use std::process::{Command, Output};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let db = self.dir.path().join("c.db");
        Command::new(env!("CARGO_BIN_EXE_ccgate"))
            .args(args)
            .env(
                "CCGATE__DATABASE__URL",
                format!("sqlite://{}?mode=rwc", db.display()),
            )
            .env(
                "CCGATE__SECURITY__MASTER_KEY_FILE",
                self.dir.path().join("master.key"),
            )
            .env("CCGATE__LOG__FILTER", "error")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

#[test]
fn users_are_added_with_a_ram_id_and_listed_per_account() {
    let cli = Cli::new();
    let acc = cli.ok(&["account", "create", "--name", "a"]);
    let other = cli.ok(&["account", "create", "--name", "b"]);
    let ram = cli.ok(&[
        "user",
        "add",
        "--account",
        &acc,
        "--login",
        "alice",
        "--display-name",
        "Alice Example",
        "--email",
        "alice@example.com",
    ]);
    assert_eq!(ram.len(), 16, "{ram}");
    assert!(ram.bytes().all(|b| b.is_ascii_digit()) && !ram.starts_with('0'));
    let bob = cli.ok(&[
        "user",
        "add",
        "--account",
        &acc,
        "--login",
        "bob",
        "--display-name",
        "Bob",
        "--phone",
        "+8613800000000",
    ]);
    assert_ne!(ram, bob);
    // The same login in another account is another principal.
    cli.ok(&[
        "user",
        "add",
        "--account",
        &other,
        "--login",
        "alice",
        "--display-name",
        "Other Alice",
    ]);
    assert_eq!(
        cli.ok(&["user", "list", "--account", &acc]),
        format!(
            "{ram}\talice\tAlice Example\talice@example.com\t\n{bob}\tbob\tBob\t\t+8613800000000"
        )
    );
    let e = cli.fails(&[
        "user",
        "add",
        "--account",
        &acc,
        "--login",
        "alice",
        "--display-name",
        "Again",
    ]);
    assert!(
        e.contains("login name alice is already in the directory"),
        "{e}"
    );
    let e = cli.fails(&[
        "user",
        "add",
        "--account",
        &acc,
        "--login",
        "no spaces",
        "--display-name",
        "X",
    ]);
    assert!(e.contains("must be 1-64 letters"), "{e}");
    let e = cli.fails(&[
        "user",
        "add",
        "--account",
        "acc-nope",
        "--login",
        "x",
        "--display-name",
        "X",
    ]);
    assert!(e.contains("account acc-nope does not exist"), "{e}");
}
