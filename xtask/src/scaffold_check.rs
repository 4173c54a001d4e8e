//! `cargo xtask scaffold-check`: proves, end to end, that a plugin is added by creating its
//! folder. In a copy of the working tree it runs `cargo xtask new-plugin hello`, then checks:
//!
//! 1. `git status` shows changes only under `plugins/hello/` and in generated files (those
//!    `cargo xtask codegen` writes, and `Cargo.lock`), and the registration files did change;
//! 2. `tools/check_specs.py` and `cargo xtask codegen --check` pass, and the scaffold's own tests
//!    pass (`cargo test -p ccgate-hello`);
//! 3. the `ccgate` built there serves `HelloPing` built in (`ccgate plugins` says `built-in`),
//!    through the signed client `ccgate call`, on a fresh SQLite database;
//! 4. the plugin built as a library (`cargo rustc -p ccgate-hello --lib --crate-type cdylib
//!    --features dynamic`) is served by the same binary with the built-in copy disabled
//!    (`CCGATE__PLUGINS__ENABLED=flows,numbers`, `CCGATE__PLUGINS__LIBRARIES=<lib>`), with a
//!    setting from the environment reaching it (`CCGATE__PLUGINS__HELLO__DEFAULT_MESSAGE`);
//! 5. `cargo xtask remove-plugin hello` leaves the copy as it was (`Cargo.lock` aside).
//!
//! The copy lives at `<target>/scaffold-check/ccgate` (always the same path, so cargo reuses
//! what the previous run compiled there) with `shared` linked beside it, and builds into the
//! caller's target directory (`CARGO_TARGET_DIR` or `target/`), so the dependencies are already
//! compiled. The copy's `ccgate` binary would replace the caller's `target/debug/ccgate`: the
//! caller's is moved aside during the build and put back. On success the copy is removed; on
//! failure it is kept with the servers' logs (`<target>/scaffold-check/run/`).
//!
//! Timing (2 shared cores, debug): 12-30 s when the target directory has seen a run; the first
//! run also compiles the gateway with the plugin and the scaffold's test dependencies (3.6 min
//! measured).

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

/// The plugin the check scaffolds.
const PLUGIN: &str = "hello";
/// How long a gateway may take to start (a debug build migrating a fresh SQLite database).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// `cargo xtask scaffold-check`.
pub fn scaffold_check(root: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let target = crate::target_dir(root);
    let work = target.join("scaffold-check");
    let copy = work.join("ccgate");
    let run_dir = work.join("run");
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("remove {}", work.display()))?;
    }
    std::fs::create_dir_all(&run_dir)?;
    let mut steps: Vec<(&str, Duration)> = Vec::new();
    let mut step = |name: &'static str, since: &mut Instant| {
        steps.push((name, since.elapsed()));
        eprintln!("scaffold-check: {name} done in {:.1?}", since.elapsed());
        *since = Instant::now();
    };
    let mut at = Instant::now();

    copy_working_tree(root, &copy)?;
    let shared = root.join("../shared");
    if shared.is_dir() {
        std::os::unix::fs::symlink(shared.canonicalize()?, work.join("shared"))?;
    }
    git(&copy, &["init", "-q"])?;
    git(&copy, &["add", "-A"])?;
    git(
        &copy,
        &[
            "-c",
            "user.name=scaffold-check",
            "-c",
            "user.email=scaffold-check@localhost",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
            "commit",
            "-q",
            "-m",
            "the working tree before new-plugin",
        ],
    )?;
    step("copy", &mut at);

    let caller_plugin = root.join("plugins").join(PLUGIN);
    if caller_plugin.exists() {
        bail!("this checkout has plugins/{PLUGIN}; scaffold-check scaffolds a plugin of that name");
    }
    cargo(&copy, &target, &["xtask", "new-plugin", PLUGIN])?;
    if caller_plugin.exists() {
        bail!(
            "`cargo xtask new-plugin` in the copy wrote plugins/{PLUGIN} into this checkout (remove it with `cargo xtask remove-plugin {PLUGIN}`)"
        );
    }
    step("new-plugin", &mut at);

    check_changes(&copy)?;
    let mut check_specs = vec!["tools/check_specs.py".to_string()];
    if work.join("shared").exists() {
        check_specs.extend(["--shared".into(), work.join("shared").display().to_string()]);
    }
    run_in(&copy, "python3", &check_specs, &[])?;
    cargo(&copy, &target, &["xtask", "codegen", "--check"])?;
    step("changes, specs and codegen checked", &mut at);

    cargo(&copy, &target, &["test", "-p", "ccgate-hello"])?;
    step("scaffolded tests", &mut at);

    let binary = {
        let _aside = MovedAside::new(&target.join("debug"), &["ccgate", "ccgate.d"])?;
        cargo(&copy, &target, &["build", "-p", "ccgate"])?;
        let built = run_dir.join("ccgate");
        std::fs::rename(target.join("debug/ccgate"), &built)
            .context("move the scaffold's ccgate binary out of the target dir")?;
        let _ = std::fs::remove_file(target.join("debug/ccgate.d"));
        built
    };
    step("build ccgate", &mut at);

    let instance = serve_and_call(&binary, &run_dir.join("builtin"), &[], "built-in", "pong")?;
    step("served built in", &mut at);

    cargo(
        &copy,
        &target,
        &[
            "rustc",
            "-p",
            "ccgate-hello",
            "--lib",
            "--crate-type",
            "cdylib",
            "--features",
            "dynamic",
        ],
    )?;
    let file = format!(
        "{}ccgate_{PLUGIN}.{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_EXTENSION
    );
    let library = run_dir.join(&file);
    std::fs::copy(target.join("debug").join(&file), &library)
        .with_context(|| format!("copy {file}"))?;
    step("build the library", &mut at);

    let library_text = library.display().to_string();
    serve_and_call(
        &binary,
        &run_dir.join("dynamic"),
        &[
            ("CCGATE__PLUGINS__ENABLED", "flows,numbers"),
            ("CCGATE__PLUGINS__LIBRARIES", &library_text),
            ("CCGATE__PLUGINS__HELLO__DEFAULT_MESSAGE", "from-settings"),
        ],
        "dynamic",
        "from-settings",
    )?;
    step("served as a library", &mut at);

    cargo(&copy, &target, &["xtask", "remove-plugin", PLUGIN])?;
    let left = changed_paths(&copy)?;
    if left.iter().any(|p| p != "Cargo.lock") {
        bail!("remove-plugin {PLUGIN} left changes behind: {left:?}");
    }
    step("remove-plugin", &mut at);

    std::fs::remove_dir_all(&work)?;
    let _ = std::fs::remove_dir_all(target.join("removed-plugins").join(PLUGIN));
    for (name, took) in &steps {
        eprintln!("  {name:<36} {:>6.1}s", took.as_secs_f64());
    }
    eprintln!(
        "scaffold-check: OK in {:.0?}: `new-plugin {PLUGIN}` touched only plugins/{PLUGIN}/ and generated files; HelloPing served built in and as a library (instance {instance})",
        started.elapsed()
    );
    Ok(())
}

/// Copies the files git knows of (tracked and untracked, not ignored) from `root` to `to`: the
/// working tree as it is, uncommitted edits included.
fn copy_working_tree(root: &Path, to: &Path) -> anyhow::Result<()> {
    let out = Command::new("git")
        .current_dir(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .context("run git ls-files")?;
    if !out.status.success() {
        bail!("git ls-files failed in {}", root.display());
    }
    let mut copied = 0;
    for rel in out.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let rel = Path::new(std::str::from_utf8(rel)?);
        let from = root.join(rel);
        // Deleted in the working tree but still in the index: not part of the copy.
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            continue;
        };
        let dest = to.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&from)?, &dest)?;
        } else if meta.is_file() {
            std::fs::copy(&from, &dest).with_context(|| format!("copy {}", rel.display()))?;
            // The source's modification time: cargo then finds what an earlier run compiled
            // from an unchanged file fresh (the copy's path is always the same).
            std::fs::File::options()
                .write(true)
                .open(&dest)?
                .set_modified(meta.modified()?)?;
        }
        copied += 1;
    }
    eprintln!("scaffold-check: copied {copied} files to {}", to.display());
    Ok(())
}

/// The paths `git status` reports in `copy` (changed, added, deleted or untracked).
fn changed_paths(copy: &Path) -> anyhow::Result<Vec<String>> {
    let out = Command::new("git")
        .current_dir(copy)
        .args(["status", "--porcelain=v1", "-z", "--untracked-files=all"])
        .output()
        .context("run git status")?;
    if !out.status.success() {
        bail!("git status failed");
    }
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|e| e.len() > 3)
        .map(|e| String::from_utf8_lossy(&e[3..]).into_owned())
        .collect())
}

/// Fails unless every change `new-plugin` made in `copy` is under `plugins/hello/` or a
/// generated file, and the files that register a plugin did change.
fn check_changes(copy: &Path) -> anyhow::Result<()> {
    let changed = changed_paths(copy)?;
    let generated: Vec<String> = crate::codegen::generate(copy)?
        .into_keys()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    let own = format!("plugins/{PLUGIN}/");
    let outside: Vec<&String> = changed
        .iter()
        .filter(|p| !p.starts_with(&own) && *p != "Cargo.lock" && !generated.contains(p))
        .collect();
    if !outside.is_empty() {
        bail!("new-plugin changed files that are neither under {own} nor generated: {outside:?}");
    }
    let registration = [
        "Cargo.toml",
        "crates/gateway/Cargo.toml",
        "crates/ccgate/Cargo.toml",
        "crates/gateway/src/plugins/builtin.rs",
        "config/default.toml",
    ];
    let missing: Vec<&&str> = registration
        .iter()
        .filter(|r| !changed.iter().any(|c| c == *r))
        .collect();
    if !missing.is_empty() {
        bail!("new-plugin did not register the plugin in {missing:?}");
    }
    eprintln!(
        "scaffold-check: {} changed paths, all under {own} or generated",
        changed.len()
    );
    Ok(())
}

/// Files of a directory moved aside (`<name>.scaffold-check-aside`) and put back when dropped
/// (what was written in their place in between is removed).
struct MovedAside {
    dir: PathBuf,
    names: Vec<&'static str>,
}

impl MovedAside {
    fn new(dir: &Path, names: &[&'static str]) -> anyhow::Result<Self> {
        for name in names {
            let path = dir.join(name);
            if path.exists() {
                std::fs::rename(&path, dir.join(format!("{name}.scaffold-check-aside")))?;
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            names: names.to_vec(),
        })
    }
}

impl Drop for MovedAside {
    fn drop(&mut self) {
        for name in &self.names {
            let aside = self.dir.join(format!("{name}.scaffold-check-aside"));
            let path = self.dir.join(name);
            if aside.exists() {
                let _ = std::fs::rename(&aside, &path);
            } else {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    run_in(dir, "git", &args, &[])
}

/// `cargo <args>` in `dir`, building into `target`.
fn cargo(dir: &Path, target: &Path, args: &[&str]) -> anyhow::Result<()> {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let target = target.display().to_string();
    run_in(
        dir,
        "cargo",
        &args,
        &[("CARGO_TARGET_DIR", target.as_str())],
    )
}

fn run_in(dir: &Path, program: &str, args: &[String], env: &[(&str, &str)]) -> anyhow::Result<()> {
    eprintln!("$ (cd {}; {program} {})", dir.display(), args.join(" "));
    let mut cmd = Command::new(program);
    crate::without_cargo_run_env(&mut cmd);
    let status = cmd
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .status()
        .with_context(|| format!("spawn {program}"))?;
    if !status.success() {
        bail!(
            "{program} {} failed in {}: {status}",
            args.join(" "),
            dir.display()
        );
    }
    Ok(())
}

/// A running `ccgate serve`, stopped (SIGTERM, then SIGKILL) when dropped.
struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
    env: Vec<(String, String)>,
    binary: PathBuf,
}

impl Server {
    /// Starts `binary serve` in `dir` on a free port and a fresh SQLite database there, with
    /// `extra` environment; returns it with the demo instance, AccessKey id and secret it
    /// printed on first start.
    fn start(
        binary: &Path,
        dir: &Path,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<(Self, [String; 3])> {
        std::fs::create_dir_all(dir)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut env: Vec<(String, String)> = vec![
            ("CCGATE__SERVER__BIND".into(), format!("127.0.0.1:{port}")),
            (
                "CCGATE__DATABASE__URL".into(),
                format!("sqlite://{}?mode=rwc", dir.join("ccgate.db").display()),
            ),
            (
                "CCGATE__SECURITY__MASTER_KEY_FILE".into(),
                dir.join("master.key").display().to_string(),
            ),
            ("CCGATE__LOG__FORMAT".into(), "json".into()),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let stdout = dir.join("serve.stdout");
        let stderr = dir.join("serve.stderr");
        let mut cmd = Command::new(binary);
        cmd.arg("serve")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?);
        Self::hermetic(&mut cmd, &env);
        let child = cmd.spawn().context("spawn ccgate serve")?;
        let mut server = Self {
            child,
            port,
            dir: dir.to_path_buf(),
            env,
            binary: binary.to_path_buf(),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("ccgate serve exited with {status}:\n{}", tail(&stderr, 30));
            }
            let text = std::fs::read_to_string(&stdout).unwrap_or_default();
            if let Some(creds) = demo_credentials(&text)
                && server.ready()
            {
                return Ok((server, creds));
            }
            if Instant::now() > deadline {
                bail!(
                    "ccgate serve not ready within {START_TIMEOUT:?}:\n{}",
                    tail(&stderr, 30)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// No `CCGATE*` or `RUST_LOG` variable of the caller leaks in; `env` is set.
    fn hermetic(cmd: &mut Command, env: &[(String, String)]) {
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("CCGATE") || k == "RUST_LOG" {
                cmd.env_remove(&key);
            }
        }
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
    }

    fn ready(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        if s.write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .is_err()
        {
            return false;
        }
        let mut head = [0u8; 12];
        s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
    }

    /// `ccgate <args>` with this server's configuration (and `extra` environment): exit
    /// success and stdout.
    fn ccgate(&self, args: &[&str], extra: &[(&str, &str)]) -> anyhow::Result<(bool, String)> {
        let mut cmd = Command::new(&self.binary);
        cmd.args(args).current_dir(&self.dir);
        Self::hermetic(&mut cmd, &self.env);
        cmd.envs(extra.iter().copied());
        let out = cmd
            .output()
            .with_context(|| format!("run ccgate {}", args.join(" ")))?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    }

    fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                bail!("ccgate serve (pid {pid}) did not stop on SIGTERM within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The demo instance, AccessKey id and secret `ccgate serve` prints on its first start.
fn demo_credentials(stdout: &str) -> Option<[String; 3]> {
    let value = |key: &str| {
        stdout.lines().find_map(|l| {
            l.trim()
                .strip_prefix(key)
                .and_then(|r| r.strip_prefix(':'))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        })
    };
    Some([
        value("InstanceId")?,
        value("AccessKeyId")?,
        value("AccessKeySecret")?,
    ])
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Starts a gateway in `dir` with `env`, checks that `ccgate plugins` lists the plugin as
/// `kind`, and calls HelloPing through `ccgate call`: with a Message (echoed), without one
/// (`default_message`), and with one too long (400 `Parameter.Maximum`). Returns the instance.
fn serve_and_call(
    binary: &Path,
    dir: &Path,
    env: &[(&str, &str)],
    kind: &str,
    default_message: &str,
) -> anyhow::Result<String> {
    let (server, [instance, key_id, secret]) = Server::start(binary, dir, env)?;
    let (ok, listed) = server.ccgate(&["plugins"], &[])?;
    let line = listed
        .lines()
        .find(|l| l.split_whitespace().next() == Some(PLUGIN));
    let fields: Vec<&str> = line
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    if !ok || fields.get(1) != Some(&kind) {
        bail!("`ccgate plugins` does not list {PLUGIN} as {kind}:\n{listed}");
    }
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    let creds = [
        ("CCGATE_ACCESS_KEY_ID", key_id.as_str()),
        ("CCGATE_ACCESS_KEY_SECRET", secret.as_str()),
    ];
    let call = |params: &[String]| -> anyhow::Result<(bool, Value)> {
        let mut args = vec![
            "call",
            "HelloPing",
            "--api-version",
            "2020-07-01",
            "--endpoint",
            &endpoint,
        ];
        args.extend(params.iter().map(String::as_str));
        let (ok, out) = server.ccgate(&args, &creds)?;
        let body: Value = serde_json::from_str(&out)
            .with_context(|| format!("`ccgate {}` printed no JSON: {out}", args.join(" ")))?;
        Ok((ok, body))
    };
    let in_instance = format!("InstanceId={instance}");
    let (ok, body) = call(&[in_instance.clone(), "Message=hi-from-scaffold-check".into()])?;
    if !ok
        || body["HttpStatusCode"] != 200
        || body["Data"]["InstanceId"] != instance.as_str()
        || body["Data"]["Message"] != "hi-from-scaffold-check"
    {
        bail!("HelloPing ({kind}) answered {body}");
    }
    eprintln!("scaffold-check: HelloPing served {kind}: {body}");
    let (ok, body) = call(std::slice::from_ref(&in_instance))?;
    if !ok || body["Data"]["Message"] != default_message {
        bail!("HelloPing ({kind}) without Message answered {body}, not {default_message:?}");
    }
    let (ok, body) = call(&[in_instance, format!("Message={}", "x".repeat(65))])?;
    if ok || body["Code"] != "Parameter.Maximum" {
        bail!("HelloPing ({kind}) with a 65-character Message answered {body}");
    }
    server.stop()?;
    Ok(instance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_credentials_are_read_from_the_first_start_output() {
        let out = "ccgate: created a demo account\n  InstanceId:      ccc-test\n  AccessKeyId:     LTAI123\n  AccessKeySecret: s3cr3t\n";
        assert_eq!(
            demo_credentials(out),
            Some(["ccc-test".into(), "LTAI123".into(), "s3cr3t".into()])
        );
        assert_eq!(demo_credentials("  InstanceId: ccc-test\n"), None);
    }
}
