//! Hostile submissions that must be contained (the first cases of the red-team corpus):
//! privileged syscalls, writes outside the workspace, the engine's API, the network, kernel
//! knobs, setuid helpers, leftover daemons and a fork bomb.

mod common;

use common::*;

/// Grades a one-phase assignment whose phase runs `probe`; returns the phase and its stdout.
fn contained(probe: &str, extra: &str) -> (serde_json::Value, String) {
    let a = assignment(
        &format!("[[phase]]\nname = \"main\"\nrun = '''{probe}'''\n{extra}\n"),
        "[reproducibility]\nruns = 1\n",
    );
    let s = tempfile::tempdir().unwrap();
    write(s.path(), "probe.sh", probe);
    let (_, report, _) = grade(a.path(), s.path());
    let main = phase(&report, "main").clone();
    let out = main["stdout_tail"].as_str().unwrap_or("").to_string();
    (main, out)
}

/// Each line of the probe prints NAME ok|REFUSED; every one must be refused.
fn all_refused(out: &str, names: &[&str]) {
    for name in names {
        assert!(
            out.contains(&format!("{name} REFUSED")),
            "{name} was not refused:\n{out}"
        );
    }
}

#[test]
fn privileged_syscalls_are_refused() {
    if !engine() {
        return;
    }
    sandbox_image();
    let probe = r#"
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name ok"; else echo "$name REFUSED"; fi; }
try mount mount -t tmpfs none /tmp
try unshare unshare -r true
try mknod mknod /tmp/dev c 1 3
try ptrace python3 -c "import ctypes, os; libc = ctypes.CDLL(None); pid = os.fork(); os._exit(0) if pid == 0 else None; assert libc.ptrace(16, pid, 0, 0) == 0"
try chroot chroot / true
"#;
    let (main, out) = contained(probe, "");
    assert_eq!(main["verdict"], "passed");
    all_refused(&out, &["mount", "unshare", "mknod", "ptrace", "chroot"]);
}

#[test]
fn writes_outside_the_writable_areas_are_refused() {
    if !engine() {
        return;
    }
    sandbox_image();
    let probe = r#"
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name ok"; else echo "$name REFUSED"; fi; }
try etc sh -c 'echo x > /etc/passwd'
try usr sh -c 'echo x > /usr/bin/python3'
try root sh -c 'echo x > /x'
try home sh -c 'echo x > /home/candidate/x'
try proc-sys sh -c 'echo 1 > /proc/sys/kernel/sysrq'
try sysrq sh -c 'echo b > /proc/sysrq-trigger'
try cgroup-limit sh -c 'echo 999999999999 > /sys/fs/cgroup/memory/memory.limit_in_bytes || echo max > /sys/fs/cgroup/memory.max'
"#;
    let (main, out) = contained(probe, "");
    assert_eq!(main["verdict"], "passed");
    all_refused(
        &out,
        &["etc", "usr", "root", "home", "proc-sys", "sysrq", "cgroup-limit"],
    );
}

#[test]
fn no_engine_api_no_network_no_privilege() {
    if !engine() {
        return;
    }
    sandbox_image();
    let probe = r#"
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name ok"; else echo "$name REFUSED"; fi; }
try docker-sock test -e /var/run/docker.sock
try docker-tcp python3 -c "import socket; socket.create_connection(('172.17.0.1', 2375), timeout=2)"
try dns python3 -c "import socket; socket.getaddrinfo('deb.debian.org', 80)"
try egress python3 -c "import socket; socket.create_connection(('1.1.1.1', 443), timeout=2)"
try su su -c true root
try sudo sudo true
try setuid-root python3 -c "import os; os.setuid(0)"
echo "uid $(id -u)"
"#;
    let (main, out) = contained(probe, "");
    assert_eq!(main["verdict"], "passed");
    all_refused(
        &out,
        &[
            "docker-sock",
            "docker-tcp",
            "dns",
            "egress",
            "su",
            "sudo",
            "setuid-root",
        ],
    );
    assert!(out.contains("uid 1000"), "{out}");
}

#[test]
fn a_daemon_does_not_survive_into_the_next_phase() {
    if !engine() {
        return;
    }
    sandbox_image();
    let a = assignment(
        "[[phase]]\nname = \"first\"\nrun = '''(setsid sh -c 'sleep 300 & echo $! > /workspace/daemon.pid' &) ; sleep 0.5; cat /workspace/daemon.pid'''\n\n[[phase]]\nname = \"second\"\nrun = '''ps -eo args | grep -c '^sleep 300$' || true'''\n",
        "[reproducibility]\nruns = 1\n",
    );
    let s = tempfile::tempdir().unwrap();
    write(s.path(), "main.txt", "daemon");
    let (_, report, log) = grade(a.path(), s.path());
    assert_eq!(phase(&report, "first")["verdict"], "passed", "{log}");
    let second = phase(&report, "second");
    assert_eq!(second["verdict"], "passed", "{log}");
    let lines: Vec<&str> = second["stdout_tail"].as_str().unwrap().lines().collect();
    assert_eq!(
        lines.last().copied(),
        Some("0"),
        "a sleep survived into the next phase: {lines:?}"
    );
}

#[test]
fn a_fork_bomb_is_held_by_the_pids_limit() {
    if !engine() {
        return;
    }
    sandbox_image();
    let started = std::time::Instant::now();
    let (main, _) = contained(":(){ :|:& };:", "timeout = \"5s\"");
    let verdict = main["verdict"].as_str().unwrap();
    assert!(verdict == "timed_out" || verdict == "failed", "{main}");
    assert!(started.elapsed().as_secs() < 60, "the harness should stay responsive");
    // The harness still answers.
    let (after, _) = contained("echo alive", "");
    assert_eq!(after["verdict"], "passed");
}
