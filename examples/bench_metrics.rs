//! Benchmark: every built-in metric on 1,000,000 rows, assay against pandas.read_csv +
//! scikit-learn on the same files in the same run (scikit-learn runs in the python-ml sandbox
//! image). Each side computes each metric RUNS times in a row and its median time is shown, so
//! one slow moment of a noisy machine does not decide a ratio. Prints both medians, the ratio
//! and the largest absolute difference.
//!
//!     cargo run --release --example bench_metrics [ROWS] [RUNS]

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use assay::metrics::evaluate;
use assay::spec::{Average, Metric, MetricKind};

/// (file stem, metric kind, average, label column)
const CASES: &[(&str, &str, &str)] = &[
    ("binary", "accuracy", "binary"),
    ("binary", "balanced_accuracy", "binary"),
    ("binary", "precision", "binary"),
    ("binary", "recall", "binary"),
    ("binary", "f1", "binary"),
    ("multiclass", "f1", "macro"),
    ("multiclass", "f1", "micro"),
    ("multiclass", "f1", "weighted"),
    ("binary", "roc_auc", "binary"),
    ("multiclass", "roc_auc", "macro"),
    ("binary", "log_loss", "binary"),
    ("multiclass", "log_loss", "binary"),
    ("regression", "rmse", "binary"),
    ("regression", "mae", "binary"),
    ("regression", "r2", "binary"),
];

const SKLEARN: &str = r#"
import json, sys, time
import numpy as np, pandas as pd
from sklearn import metrics
cases, runs = json.loads(sys.argv[1]), int(sys.argv[2])
def timed(stem, kind, average):
    start = time.perf_counter()
    labels = pd.read_csv(f"/b/{stem}.labels.csv")
    predictions = pd.read_csv(f"/b/{stem}.predictions.csv")
    m = labels.merge(predictions, on="id", suffixes=("", "_p"))
    y, p = m["label"], m["label_p"]
    if kind == "accuracy": v = metrics.accuracy_score(y, p)
    elif kind == "balanced_accuracy": v = metrics.balanced_accuracy_score(y, p)
    elif kind in ("precision", "recall", "f1"):
        fn = {"precision": metrics.precision_score, "recall": metrics.recall_score, "f1": metrics.f1_score}[kind]
        v = fn(y, p, average=average, zero_division=0)
    elif kind == "roc_auc":
        if stem == "binary": v = metrics.roc_auc_score(y, m["proba_1"])
        else: v = metrics.roc_auc_score(y, m[[f"proba_{c}" for c in range(5)]].to_numpy(), multi_class="ovr")
    elif kind == "log_loss":
        if stem == "binary": v = metrics.log_loss(y, m["proba_1"])
        else: v = metrics.log_loss(y, m[[f"proba_{c}" for c in range(5)]].to_numpy())
    elif kind == "rmse": v = metrics.mean_squared_error(y, p, squared=False)
    elif kind == "mae": v = metrics.mean_absolute_error(y, p)
    elif kind == "r2": v = metrics.r2_score(y, p)
    return [time.perf_counter() - start, float(v)]
out = []
for case in cases:
    results = sorted(timed(*case) for _ in range(runs))
    out.append(results[len(results) // 2])
print(json.dumps(out))
"#;

/// A small deterministic generator (xorshift), so both sides read identical files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn write_files(dir: &Path, rows: usize) -> std::io::Result<()> {
    let mut rng = Rng(0x2545F4914F6CDD1D);
    let mut labels = std::io::BufWriter::new(std::fs::File::create(dir.join("binary.labels.csv"))?);
    let mut predictions = std::io::BufWriter::new(std::fs::File::create(dir.join("binary.predictions.csv"))?);
    writeln!(labels, "id,label")?;
    writeln!(predictions, "id,label,proba_1")?;
    for i in 0..rows {
        let truth = (rng.next() < 0.3) as u8;
        let p = (truth as f64 * 0.35 + rng.next() * 0.65).min(1.0);
        writeln!(labels, "r{i},{truth}")?;
        writeln!(predictions, "r{i},{},{p:.6}", (p > 0.5) as u8)?;
    }
    let mut labels = std::io::BufWriter::new(std::fs::File::create(dir.join("multiclass.labels.csv"))?);
    let mut predictions = std::io::BufWriter::new(std::fs::File::create(dir.join("multiclass.predictions.csv"))?);
    writeln!(labels, "id,label")?;
    writeln!(predictions, "id,label,proba_0,proba_1,proba_2,proba_3,proba_4")?;
    for i in 0..rows {
        let truth = (rng.next() * 5.0) as usize;
        let mut scores: Vec<f64> = (0..5)
            .map(|c| rng.next() + if c == truth { 1.2 } else { 0.0 })
            .collect();
        let total: f64 = scores.iter().sum();
        scores.iter_mut().for_each(|s| *s /= total);
        let predicted = (0..5).max_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap();
        writeln!(labels, "r{i},{truth}")?;
        let columns: Vec<String> = scores.iter().map(|s| format!("{s:.17}")).collect();
        writeln!(predictions, "r{i},{predicted},{}", columns.join(","))?;
    }
    let mut labels = std::io::BufWriter::new(std::fs::File::create(dir.join("regression.labels.csv"))?);
    let mut predictions = std::io::BufWriter::new(std::fs::File::create(dir.join("regression.predictions.csv"))?);
    writeln!(labels, "id,label")?;
    writeln!(predictions, "id,label")?;
    for i in 0..rows {
        let truth = rng.next() * 100.0;
        writeln!(labels, "r{i},{truth:.6}")?;
        writeln!(predictions, "r{i},{:.6}", truth + (rng.next() - 0.5) * 10.0)?;
    }
    Ok(())
}

/// The (time, value) of median time; every run must give the same value, to the bit.
fn median(mut results: Vec<(f64, f64)>) -> anyhow::Result<(f64, f64)> {
    let first = results[0].1;
    anyhow::ensure!(
        results.iter().all(|r| r.1.to_bits() == first.to_bits()),
        "runs of one metric gave different values: {results:?}"
    );
    results.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(results[results.len() / 2])
}

fn main() -> anyhow::Result<()> {
    let rows: usize = std::env::args()
        .nth(1)
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let runs: usize = std::env::args().nth(2).map(|r| r.parse()).transpose()?.unwrap_or(5);
    anyhow::ensure!(runs > 0, "RUNS must be at least 1");
    let dir = tempfile::tempdir()?;
    write_files(dir.path(), rows)?;
    // Both sides read files already on disk: the first metric timed must not share the machine
    // with the writing back of the 185 MB just written.
    for entry in std::fs::read_dir(dir.path())? {
        std::fs::File::open(entry?.path())?.sync_all()?;
    }

    let mut ours = Vec::new();
    for (stem, kind, average) in CASES {
        let kind = MetricKind::parse(kind).unwrap();
        let average = Average::ALL.iter().find(|(n, _)| n == average).unwrap().1;
        let metric = Metric::standalone(kind, average, None, "proba_");
        let mut results = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            let value = evaluate(
                &metric,
                &dir.path().join(format!("{stem}.predictions.csv")),
                &dir.path().join(format!("{stem}.labels.csv")),
                "id",
                "label",
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .value;
            results.push((start.elapsed().as_secs_f64(), value));
        }
        ours.push(median(results)?);
    }

    let cases = serde_json::to_string(&CASES)?;
    let output = Command::new("docker")
        .args(["run", "--rm", "--network", "none", "--label", "assay.run=bench-metrics"])
        // Owned by this process, so a concurrent grade's sweep of dead owners leaves it alone.
        .arg("--label")
        .arg(format!("assay.owner={}", assay::gc::owner_label()))
        .arg("-v")
        .arg(format!("{}:/b:ro", dir.path().display()))
        .args(["assay/python-ml", "python3", "-c", SKLEARN, &cases, &runs.to_string()])
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "scikit-learn side failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Vec<(f64, f64)> = serde_json::from_slice(&output.stdout)?;

    println!("{rows} rows; median of {runs} runs per side; times include reading and joining both CSV files");
    println!(
        "{:<28} {:>10} {:>14} {:>8} {:>12}",
        "metric", "assay s", "sklearn s", "ratio", "|diff|"
    );
    let (mut total_ours, mut total_theirs, mut worst) = (0.0, 0.0, 0.0f64);
    for ((stem, kind, average), ((ours_s, ours_v), (theirs_s, theirs_v))) in CASES.iter().zip(ours.iter().zip(&theirs))
    {
        let name = if matches!(*kind, "precision" | "recall" | "f1") {
            format!("{kind} ({average}, {stem})")
        } else {
            format!("{kind} ({stem})")
        };
        let diff = (ours_v - theirs_v).abs();
        worst = worst.max(diff);
        total_ours += ours_s;
        total_theirs += theirs_s;
        println!(
            "{name:<28} {ours_s:>10.3} {theirs_s:>14.3} {:>7.1}x {diff:>12.2e}",
            theirs_s / ours_s
        );
    }
    println!(
        "{:<28} {total_ours:>10.3} {total_theirs:>14.3} {:>7.1}x {worst:>12.2e}",
        "all",
        total_theirs / total_ours
    );
    Ok(())
}
