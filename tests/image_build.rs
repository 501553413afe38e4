//! Building a sandbox image through the engine: built once, then recognised as up to date.

mod common;

use common::{assay, engine, text, write};

#[test]
fn builds_once_then_skips_an_unchanged_folder() {
    if !engine() {
        return;
    }
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
    if !engine() {
        return;
    }
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
