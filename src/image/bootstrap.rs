//! Making a Debian base image locally, for engines that cannot reach a registry:
//! `debootstrap --variant=minbase` into a temp dir, then the engine's image create-from-source.

use std::process::Stdio;

use anyhow::{Context, bail};
use bollard::Docker;
use bollard::query_parameters::CreateImageOptionsBuilder;
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The Debian suite a base image name stands for (`debian:bookworm-slim` → `bookworm`).
pub fn debian_suite(image: &str) -> Option<String> {
    let image = image.strip_prefix("docker.io/").unwrap_or(image);
    let image = image.strip_prefix("library/").unwrap_or(image);
    let (repo, tag) = image.split_once(':').unwrap_or((image, "latest"));
    if repo != "debian" {
        return None;
    }
    let release = tag.strip_suffix("-slim").unwrap_or(tag);
    let suite = match release {
        "12" | "latest" | "stable" => "bookworm",
        "11" => "bullseye",
        "13" => "trixie",
        other if other.chars().all(|c| c.is_ascii_lowercase()) && !other.is_empty() => other,
        _ => return None,
    };
    Some(suite.to_string())
}

/// The image a Dockerfile starts from: its first `FROM`.
pub fn base_image(dockerfile: &str) -> Option<String> {
    dockerfile.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if !words.next()?.eq_ignore_ascii_case("FROM") {
            return None;
        }
        words.find(|w| !w.starts_with("--")).map(str::to_string)
    })
}

/// Builds `image` (a Debian name such as `debian:bookworm-slim`) from Debian's packages.
/// `progress` receives each line debootstrap prints.
pub async fn bootstrap(docker: &Docker, image: &str, progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    let suite = debian_suite(image).with_context(|| {
        format!("cannot make {image} locally: only Debian base images (debian:SUITE) can be bootstrapped")
    })?;
    if which("debootstrap").is_err() {
        install_debootstrap(progress).await?;
    }
    let root = crate::temp_dirs::owned("bootstrap")?;
    let target = root.path().join("rootfs");
    let mut command = tokio::process::Command::new("debootstrap");
    command.args(["--variant=minbase", &suite]).arg(&target);
    // A mirror may be set for machines that use their own; debootstrap's default otherwise.
    if let Ok(mirror) = std::env::var("ASSAY_DEBIAN_MIRROR") {
        command.arg(mirror);
    }
    progress(&format!("debootstrap --variant=minbase {suite} (takes about a minute)"));
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting debootstrap")?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let stderr = child.stderr.take().expect("piped");
    let stderr_task = tokio::spawn(async move {
        let mut text = String::new();
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    while let Some(line) = lines.next_line().await? {
        progress(&line);
    }
    let status = child.wait().await?;
    let stderr = stderr_task.await.unwrap_or_default();
    if !status.success() {
        bail!("debootstrap failed ({status}):\n{}", tail(&stderr, 2000));
    }
    progress(&format!("importing the root filesystem as {image}"));
    import_rootfs(docker, &target, image).await
}

/// debootstrap is a Debian package: installed here when this machine can (root with apt-get),
/// so a fresh machine with only an engine grades out of the box.
async fn install_debootstrap(progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    const WHY: &str = "debootstrap makes the sandbox's Debian base image when no registry is reachable";
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root || which("apt-get").is_err() {
        bail!("debootstrap is not installed; install it (apt-get install debootstrap): {WHY}");
    }
    progress("debootstrap is not installed; installing it with apt-get");
    for args in [&["update", "-qq"][..], &["install", "-y", "-qq", "debootstrap"][..]] {
        let output = tokio::process::Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .output()
            .await
            .context("running apt-get")?;
        if !output.status.success() {
            bail!(
                "apt-get {} failed ({}); install debootstrap by hand: {WHY}\n{}",
                args.join(" "),
                output.status,
                tail(&String::from_utf8_lossy(&output.stderr), 2000)
            );
        }
    }
    which("debootstrap").context("apt-get installed debootstrap, but it is not on PATH")
}

/// Streams `rootfs` as a tar into the engine's create-from-source, tagged `image`.
async fn import_rootfs(docker: &Docker, rootfs: &std::path::Path, image: &str) -> anyhow::Result<()> {
    // GNU tar keeps owners, device nodes, hard links and modes exactly as debootstrap left them.
    let mut tar = tokio::process::Command::new("tar")
        .args(["--numeric-owner", "-C"])
        .arg(rootfs)
        .args(["-cf", "-", "."])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting tar")?;
    let stdout = tar.stdout.take().expect("piped");
    let body = tokio_util::io::ReaderStream::new(stdout).filter_map(|chunk| async move { chunk.ok() });
    let (repo, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
    let options = CreateImageOptionsBuilder::default()
        .from_src("-")
        .repo(repo)
        .tag(tag)
        .changes(vec!["LABEL assay.image=base".to_string()])
        .build();
    let mut stream = docker.create_image(Some(options), Some(bollard::body_stream(body)), None);
    while let Some(item) = stream.next().await {
        item.with_context(|| format!("importing {image}"))?;
    }
    let status = tar.wait().await?;
    if !status.success() {
        bail!("tar of the bootstrapped root filesystem failed ({status})");
    }
    Ok(())
}

fn which(program: &str) -> anyhow::Result<()> {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        bail!("{program} not found on PATH")
    }
}

fn tail(text: &str, max: usize) -> &str {
    let start = text.len().saturating_sub(max);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_from_image_names() {
        assert_eq!(debian_suite("debian:bookworm-slim").as_deref(), Some("bookworm"));
        assert_eq!(debian_suite("debian:12").as_deref(), Some("bookworm"));
        assert_eq!(
            debian_suite("docker.io/library/debian:trixie").as_deref(),
            Some("trixie")
        );
        assert_eq!(debian_suite("ubuntu:24.04"), None);
        assert_eq!(debian_suite("debian:12.5"), None);
    }

    #[test]
    fn first_from_line() {
        let dockerfile = "# comment\nARG X=1\nFROM --platform=linux/amd64 debian:bookworm-slim AS base\nFROM other\n";
        assert_eq!(base_image(dockerfile).as_deref(), Some("debian:bookworm-slim"));
        assert_eq!(base_image("RUN true\n"), None);
    }
}
