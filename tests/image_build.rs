//! Building a sandbox image through the engine: built once, then recognised as up to date.

mod common;

use common::{assay, require_engine, text, write};

#[test]
fn builds_once_then_skips_an_unchanged_folder() {
    require_engine();
    let images = tempfile::tempdir().unwrap();
    let nonce = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let name = format!("test-{}", &nonce.replace('-', "")[..12]);
    write(
        images.path(),
        &format!("{name}/Dockerfile"),
        "FROM debian:bookworm-slim\nCOPY nonce.txt /nonce.txt\nUSER 1000:1000\n",
    );
    write(images.path(), &format!("{name}/nonce.txt"), &nonce);
    let dir = images.path().to_str().unwrap();
    let first = assay(&["image", "build", "--images-dir", dir, &name]);
    let second = assay(&["image", "build", "--images-dir", dir, &name]);
    let run = std::process::Command::new("docker")
        .args([
            "run",
            "--rm",
            "--network",
            "none",
            &format!("assay/{name}"),
            "cat",
            "/nonce.txt",
        ])
        .output()
        .unwrap();
    let tags = std::process::Command::new("docker")
        .args([
            "images",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            &format!("assay/{name}"),
        ])
        .output()
        .unwrap();
    let tags = String::from_utf8_lossy(&tags.stdout).to_string();
    for tag in tags.lines() {
        let _ = std::process::Command::new("docker").args(["rmi", "-f", tag]).output();
    }
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        String::from_utf8_lossy(&first.stdout).contains(&format!("assay/{name}:latest built")),
        "{}",
        text(&first)
    );
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("up to date"),
        "{}",
        text(&second)
    );
    assert_eq!(String::from_utf8_lossy(&run.stdout), nonce);
    assert!(
        tags.lines().any(|t| t.ends_with(":latest")) && tags.lines().any(|t| t.contains(":ctx-")),
        "{tags}"
    );
}

#[test]
fn missing_image_folder_is_a_clear_error() {
    require_engine();
    let images = tempfile::tempdir().unwrap();
    let output = assay(&[
        "image",
        "build",
        "--images-dir",
        images.path().to_str().unwrap(),
        "nope",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no sandbox image \"nope\""),
        "{}",
        text(&output)
    );
}

#[test]
fn a_missing_debootstrap_is_installed_by_assay_itself() {
    require_engine();
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test installs packages as CI does: run it as root"
    );
    // A PATH without debootstrap, whose apt-get "installs" a debootstrap that fails on purpose:
    // the install step is exercised without touching the machine's packages.
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("apt.log");
    let apt = format!(
        "#!/bin/sh\necho \"$@\" >> {log}\nif [ \"$1\" = install ]; then\n  printf '#!/bin/sh\\necho fake debootstrap >&2\\nexit 7\\n' > {dir}/debootstrap\n  chmod +x {dir}/debootstrap\nfi\n",
        log = log.display(),
        dir = bin.path().display()
    );
    write(bin.path(), "apt-get", &apt);
    std::fs::set_permissions(
        bin.path().join("apt-get"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["image", "bootstrap", "debian:bookworm-slim"])
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .output()
        .unwrap();
    let out = text(&output);
    assert!(!output.status.success(), "{out}");
    assert!(
        out.contains("debootstrap is not installed; installing it with apt-get"),
        "{out}"
    );
    assert!(out.contains("debootstrap failed (exit status: 7)"), "{out}");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(calls, "update -qq\ninstall -y -qq debootstrap\n");
}

#[test]
fn an_installed_binary_builds_the_bundled_images_from_any_folder() {
    require_engine();
    // From an empty folder, with no sandbox-images beside it: the bundled folders are used, and
    // the image already built from the repository's folder is recognised as the same content.
    let elsewhere = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["image", "build", "python-ml"])
        .env_remove("ASSAY_IMAGES_DIR")
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("assay/python-ml"),
        "{}",
        text(&output)
    );
}
