//! Harness benchmarks, each a ratio measured side by side in one run:
//! - one trivial phase graded by assay against `docker run --rm --network none IMAGE echo hi`;
//! - 40 trivial submissions with -j 2 against -j 1, beside the engine's own ratio: 40
//!   containers of `echo hi` (created, started, waited for and removed through the engine's
//!   API, as `docker run --rm` does) in two streams against one;
//! - assay's peak RSS while a submission writes 1 GiB to stdout;
//! - intake of a zip bomb (refused) and of a 100 MB zip of 10,000 files: time and extra RSS;
//! - harness overhead on the digits reference grade: total wall minus the candidate's phases.
//!
//!     cargo build --release && cargo run --release --example bench_harness
//!
//! `intake PATH` runs one intake in this process and prints seconds and peak RSS growth (used
//! by the intake benchmark, so each measurement starts from a fresh process).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn assay() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("assay"))
        .expect("target dir")
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn timed(command: &mut Command) -> f64 {
    let start = Instant::now();
    let output = command.output().expect("running a benchmark command");
    assert!(
        output.status.code().is_some_and(|c| c <= 1),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    start.elapsed().as_secs_f64()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A one-phase assignment running `run`, with one run and `output_limit`.
fn assignment(dir: &Path, run: &str, output_limit: &str) -> PathBuf {
    let a = dir.join("assignment");
    write(
        &a.join("assignment.toml"),
        &format!(
            "[assignment]\nid = \"bench\"\ntitle = \"Bench\"\n\n[sandbox]\noutput_limit = \"{output_limit}\"\n\n[[phase]]\nname = \"main\"\nrun = '''{run}'''\n\n[reproducibility]\nruns = 1\n"
        ),
    );
    a
}

fn grade(a: &Path, out: &Path, extra: &[&str], submissions: &[PathBuf]) -> Command {
    let mut command = Command::new(assay());
    command
        .args(["grade", "--json", "-a"])
        .arg(a)
        .arg("-o")
        .arg(out)
        .args(extra)
        .args(submissions);
    command
}

/// `total` containers running `echo hi`, each created, started, waited for and removed
/// through the engine's API, in `streams` streams side by side; seconds for all.
fn engine_round(total: usize, streams: usize) -> f64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let docker = assay::docker::connect().await.expect("the engine");
        let start = Instant::now();
        let mut running = tokio::task::JoinSet::new();
        for _ in 0..streams {
            let docker = docker.clone();
            running.spawn(async move {
                for _ in 0..total / streams {
                    echo_container(&docker).await;
                }
            });
        }
        while let Some(done) = running.join_next().await {
            done.expect("an engine stream");
        }
        start.elapsed().as_secs_f64()
    })
}

async fn echo_container(docker: &bollard::Docker) {
    use futures_util::TryStreamExt;
    // Labelled as the grader labels its own, so `assay gc` finds any a killed run leaves.
    let labels = [
        ("assay.run".to_string(), "bench-engine".to_string()),
        ("assay.owner".to_string(), assay::gc::owner_label()),
    ];
    let body = bollard::models::ContainerCreateBody {
        image: Some("assay/python-ml".into()),
        cmd: Some(vec!["echo".into(), "hi".into()]),
        labels: Some(labels.into_iter().collect()),
        host_config: Some(bollard::models::HostConfig {
            network_mode: Some("none".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let id = docker
        .create_container(None::<bollard::query_parameters::CreateContainerOptions>, body)
        .await
        .expect("creating a container")
        .id;
    docker.start_container(&id, None).await.expect("starting a container");
    let waited: Result<Vec<_>, _> = docker.wait_container(&id, None).try_collect().await;
    assay::docker::remove_container(docker, &id).await;
    waited.expect("waiting for a container");
}

fn peak_rss_kib(command: &mut Command) -> u64 {
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .args(["-f", "%M"])
        .arg(command.get_program())
        .args(command.get_args());
    let output = wrapped.output().expect("/usr/bin/time (apt-get install time)");
    let text = String::from_utf8_lossy(&output.stderr);
    text.lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or(0)
}

fn vm_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn intake_here(path: &Path) {
    let limits = assay::spec::IntakeLimits {
        max_entries: 10_000,
        max_bytes: 100 * 1024 * 1024,
        max_depth: 32,
        max_name_length: 255,
    };
    let before = vm_kib("VmRSS:");
    let start = Instant::now();
    let result = assay::intake::intake(path, &limits);
    let seconds = start.elapsed().as_secs_f64();
    let refused = match &result {
        Ok(_) => false,
        Err(assay::intake::IntakeError::Refused(_)) => true,
        Err(error) => panic!("intake: {error}"),
    };
    drop(result);
    println!("{seconds} {} {refused}", vm_kib("VmHWM:").saturating_sub(before));
}

fn main() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("intake") {
        intake_here(Path::new(&args.next().expect("intake PATH")));
        return;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let submission = dir.join("submission");
    write(&submission.join("main.txt"), "hi");
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // 1. One trivial phase, assay's whole grade against docker run, alternating, 11 each.
    let echo = assignment(&dir.join("echo"), "echo hi", "1MiB");
    let (mut ours, mut cli) = (Vec::new(), Vec::new());
    for i in 0..11 {
        let out = dir.join(format!("echo-out-{i}"));
        ours.push(timed(&mut grade(&echo, &out, &[], std::slice::from_ref(&submission))));
        cli.push(timed(Command::new("docker").args([
            "run",
            "--rm",
            "--network",
            "none",
            "assay/python-ml",
            "echo",
            "hi",
        ])));
    }
    let (ours, cli) = (median(ours), median(cli));
    rows.push((
        "trivial phase: assay grade vs docker run (median of 11)".into(),
        format!("{ours:.3} s vs {cli:.3} s"),
        format!("{:.2}x (target <= 1.2x)", ours / cli),
    ));

    // 1b. What one more phase costs inside assay: a two-phase grade minus a one-phase grade.
    let two_phases = dir.join("echo2/assignment");
    write(
        &two_phases.join("assignment.toml"),
        "[assignment]\nid = \"bench2\"\ntitle = \"Bench\"\n\n[[phase]]\nname = \"first\"\nrun = \"echo hi\"\n\n[[phase]]\nname = \"second\"\nrun = \"echo hi\"\n\n[reproducibility]\nruns = 1\n",
    );
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for i in 0..11 {
        one.push(timed(&mut grade(
            &echo,
            &dir.join(format!("p1-{i}")),
            &[],
            std::slice::from_ref(&submission),
        )));
        two.push(timed(&mut grade(
            &two_phases,
            &dir.join(format!("p2-{i}")),
            &[],
            std::slice::from_ref(&submission),
        )));
    }
    let per_phase = median(two) - median(one);
    rows.push((
        "one more phase inside assay vs docker run (median of 11)".into(),
        format!("{per_phase:.3} s vs {cli:.3} s"),
        format!("{:.2}x (target <= 0.8x)", per_phase / cli),
    ));

    // 2. 40 trivial submissions, -j 2 against -j 1.
    let many: Vec<PathBuf> = (0..40)
        .map(|i| {
            let s = dir.join(format!("many/s{i}"));
            write(&s.join("main.txt"), &format!("{i}"));
            s
        })
        .collect();
    let one = timed(&mut grade(&echo, &dir.join("j1"), &["-j", "1"], &many));
    let two = timed(&mut grade(&echo, &dir.join("j2"), &["-j", "2"], &many));
    rows.push((
        "40 submissions: -j 1 vs -j 2".into(),
        format!("{one:.1} s vs {two:.1} s"),
        format!("{:.2}x throughput (target >= 1.8x)", one / two),
    ));
    // What two streams of containers gain on this engine, with no grader around them: the
    // ceiling of the ratio above.
    let one = engine_round(40, 1);
    let two = engine_round(40, 2);
    rows.push((
        "the engine alone, 40 containers: 1 vs 2 streams".into(),
        format!("{one:.1} s vs {two:.1} s"),
        format!("{:.2}x throughput", one / two),
    ));

    // 3. Peak RSS of assay while the candidate writes 1 GiB to stdout.
    let flood = assignment(&dir.join("flood"), "head -c 1073741824 /dev/zero", "2GiB");
    let rss = peak_rss_kib(&mut grade(
        &flood,
        &dir.join("flood-out"),
        &[],
        std::slice::from_ref(&submission),
    ));
    rows.push((
        "peak RSS of assay, 1 GiB of stdout".into(),
        format!("{:.1} MiB", rss as f64 / 1024.0),
        "target <= 64 MiB".into(),
    ));

    // 4. Intake: a zip bomb and a 100 MB zip of 10,000 files, each in a fresh process.
    let bomb = dir.join("bomb.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("zeros", options).unwrap();
        let block = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            zip.write_all(&block).unwrap();
        }
        zip.finish().unwrap();
    }
    let big = dir.join("big.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&big).unwrap());
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let mut state = 1u64;
        let mut content = vec![0u8; 9_990];
        for i in 0..10_000 {
            for byte in content.iter_mut() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *byte = (state >> 56) as u8;
            }
            zip.start_file(format!("d{}/f{i}.bin", i % 100), options).unwrap();
            zip.write_all(&content).unwrap();
        }
        zip.finish().unwrap();
    }
    for (name, path) in [
        ("zip bomb (1 GiB of zeros, refused)", &bomb),
        ("100 MB zip of 10,000 files", &big),
    ] {
        let output = Command::new(std::env::current_exe().unwrap())
            .arg("intake")
            .arg(path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        let parts: Vec<&str> = text.split_whitespace().collect();
        let seconds: f64 = parts.first().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        let kib: f64 = parts.get(1).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        let size = std::fs::metadata(path).unwrap().len() as f64 / 1e6;
        rows.push((
            format!("intake: {name}, {size:.1} MB file"),
            format!("{:.1} ms, +{:.1} MiB RSS", seconds * 1000.0, kib / 1024.0),
            format!("refused: {}", parts.get(2).unwrap_or(&"?")),
        ));
    }

    // 5. Harness overhead on the digits reference, one run: total wall minus the phases' wall.
    let digits = repo.join("assignments/digits");
    let out = dir.join("digits-out");
    let start = Instant::now();
    let output = grade(&digits, &out, &["--runs", "1"], &[digits.join("solutions/reference")])
        .output()
        .unwrap();
    let total = start.elapsed().as_secs_f64();
    let report: serde_json::Value = serde_json::from_slice(
        output
            .stdout
            .split(|b| *b == b'\n')
            .find(|l| !l.is_empty())
            .unwrap_or(b"{}"),
    )
    .unwrap();
    let candidate: f64 = report["phases"]
        .as_array()
        .map(|p| p.iter().map(|p| p["wall_seconds"].as_f64().unwrap_or(0.0)).sum())
        .unwrap_or(0.0);
    rows.push((
        "digits reference: harness share of the grade".into(),
        format!("{total:.2} s total, {candidate:.2} s in phases"),
        format!("{:.1}% (target <= 10%)", (total - candidate) / total * 100.0),
    ));

    println!("{:<58} {:<40} result", "benchmark", "measured");
    for (name, measured, result) in rows {
        println!("{name:<58} {measured:<40} {result}");
    }
}
