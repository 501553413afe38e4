//! Reruns in fresh containers, compared: reproducible, nondeterministic and unstable grades,
//! seed sensitivity, and `assay regrade`.

mod common;

use common::*;

/// One predict phase running `run`, an accuracy metric on /out/p.csv and `extra` TOML.
fn predicting(run: &str, extra: &str) -> tempfile::TempDir {
    let a = assignment(
        &format!("[[phase]]\nname = \"predict\"\nrun = '''{run}'''\noutputs = [\"/out/p.csv\"]\n"),
        &format!(
            "[[metric]]\nname = \"accuracy\"\nkind = \"accuracy\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 10\n{extra}\n"
        ),
    );
    let ids: String = (0..40).map(|i| format!("r{i},{}\n", i % 2)).collect();
    write(a.path(), "hidden/labels.csv", &format!("id,label\n{ids}"));
    a
}

/// Python writing predictions for r0..r39 from `expression` (of `i` and `random`).
fn predictions(expression: &str) -> String {
    format!(
        "python3 -c \"import os, random; rows = ['r%d,%d' % (i, {expression}) for i in range(40)]; open('/out/p.csv', 'w').write('id,label\\n' + '\\n'.join(rows) + '\\n')\""
    )
}

#[test]
fn deterministic_solution_is_reproducible() {
    require_engine();
    sandbox_image();
    let a = predicting(&predictions("i % 2 if i < 30 else 0"), "[reproducibility]\nruns = 3\n");
    let graded = Grading::new(a.path(), named_submission("deterministic").path()).run();
    let (code, report, log) = (graded.code, &graded.report, &graded.log);
    assert_eq!(code, 0, "{log}");
    assert_eq!(report.reproducibility.runs, 3);
    // Every run's phase logs are kept: the first in logs/, each rerun in logs/run-N/.
    for logs in ["logs", "logs/run-2", "logs/run-3"] {
        let stdout = graded.dir.join(logs).join("predict.stdout.log");
        assert!(stdout.is_file(), "{} is missing", stdout.display());
    }
    assert_eq!(
        report.reproducibility.status.as_str(),
        "reproducible",
        "{:?}",
        report.reproducibility
    );
    assert_eq!(report.metrics[0].value, Some(0.875));
}

#[test]
fn unseeded_randomness_is_caught_with_its_differences() {
    require_engine();
    sandbox_image();
    // Continuous random predictions: two runs give the same RMSE with probability zero.
    let a = predicting(
        &predictions("random.SystemRandom().random()").replace("%d' % (i,", "%r' % (i,"),
        "\n[[metric]]\nname = \"rmse\"\nkind = \"rmse\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 0\n\n[reproducibility]\nruns = 2\n",
    );
    let (_, report, log) = grade(a.path(), named_submission("unseeded").path());
    let status = report.reproducibility.status.as_str();
    assert!(status == "nondeterministic" || status == "unstable", "{status}: {log}");
    let what = differences(&report);
    assert!(what.contains(&"metric rmse".to_string()), "{what:?}");
    assert!(what.contains(&"output predict:/out/p.csv".to_string()), "{what:?}");
    let metric = report
        .reproducibility
        .differences
        .iter()
        .find(|d| d.what == "metric rmse")
        .unwrap();
    assert_ne!(metric.first, metric.other);
    let rmse = report.metrics.iter().find(|m| m.name == "rmse").unwrap().value.unwrap();
    assert_eq!(metric.first.as_str().parse::<f64>().unwrap(), rmse);
}

#[test]
fn crossing_a_threshold_only_sometimes_is_unstable() {
    require_engine();
    sandbox_image();
    // One coin flip per run makes every prediction right or every one wrong: with 20 runs,
    // all agreeing has a chance of 2 in a million (with 10 it happened once in CI).
    let run = predictions("(i % 2) ^ coin").replace(
        "import os, random;",
        "import os, random; coin = random.SystemRandom().randint(0, 1);",
    );
    let a = predicting(&run, "pass_at = 0.5\n\n[reproducibility]\nruns = 20\n");
    let (_, report, log) = grade(a.path(), named_submission("coin").path());
    assert_eq!(report.reproducibility.status.as_str(), "unstable", "{log}");
    assert!(
        differences(&report).contains(&"metric accuracy passed".to_string()),
        "{:?}",
        differences(&report)
    );
    assert!(
        report.summary.as_str().starts_with("NOT REPRODUCIBLE"),
        "{}",
        report.summary
    );
}

#[test]
fn seed_runs_show_how_much_a_metric_depends_on_luck() {
    require_engine();
    sandbox_image();
    let a = predicting(
        &predictions("random.Random(int(os.environ['ASSAY_SEED']) * 40 + i).randint(0, 1)"),
        "[reproducibility]\nruns = 2\nseed_runs = 3\n",
    );
    let (_, report, log) = grade(a.path(), named_submission("seeded").path());
    assert_eq!(
        report.reproducibility.status.as_str(),
        "reproducible",
        "the same seed must give the same result: {log}"
    );
    let spread = &report.reproducibility.seed_sensitivity[0];
    assert_eq!(spread.metric, "accuracy");
    assert_eq!(spread.seeds, [42, 43, 44, 45]);
    let values: Vec<f64> = spread.values.iter().map(|v| v.unwrap()).collect();
    assert_eq!(values.len(), 4);
    assert_eq!(values[0], report.metrics[0].value.unwrap());
    assert!(spread.std_dev.unwrap() > 0.0, "{spread:?}");
    assert_eq!(spread.min, Some(values.iter().copied().fold(f64::INFINITY, f64::min)));
}

#[test]
fn regrade_reports_no_difference_then_a_changed_spec_and_image() {
    require_engine();
    let images = tempfile::tempdir().unwrap();
    let nonce = format!(
        "{}{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000
    );
    let name = format!("test-regrade-{nonce}");
    write(
        images.path(),
        &format!("{name}/Dockerfile"),
        "FROM debian:bookworm-slim\nCOPY nonce.txt /nonce.txt\nUSER 1000:1000\n",
    );
    write(images.path(), &format!("{name}/nonce.txt"), "first");
    let a = tempfile::tempdir().unwrap();
    write(
        a.path(),
        "assignment.toml",
        &format!(
            "[assignment]\nid = \"r\"\ntitle = \"Regrade\"\n\n[sandbox]\nimage = \"assay/{name}\"\nmemory = \"128MiB\"\n\n[[phase]]\nname = \"predict\"\nrun = \"printf 'id,label\\na,1\\nb,3\\n' > /out/p.csv\"\noutputs = [\"/out/p.csv\"]\n\n[[metric]]\nname = \"accuracy\"\nkind = \"accuracy\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 1\n\n[reproducibility]\nruns = 1\n"
        ),
    );
    write(a.path(), "hidden/labels.csv", "id,label\na,1\nb,2\n");
    let out = tempfile::tempdir().unwrap();
    let s = named_submission("regrade");
    let dir = images.path().to_str().unwrap();
    // The image does not exist yet: grade builds it from the images folder.
    let graded = assay(&[
        "grade",
        "--images-dir",
        dir,
        "-a",
        a.path().to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
        s.path().to_str().unwrap(),
    ]);
    let report = std::fs::read_dir(out.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("report.json");
    let unchanged = assay(&["regrade", report.to_str().unwrap()]);
    let stored = report.parent().unwrap().join("submission.tar.gz");
    let copy = std::fs::read(&stored).unwrap();
    std::fs::write(&stored, &copy[..copy.len() / 2]).unwrap();
    let corrupt = assay(&["regrade", report.to_str().unwrap()]);
    write(images.path(), &format!("{name}/nonce.txt"), "second");
    let rebuilt = assay(&["image", "build", "--images-dir", dir, &name]);
    let image_changed = assay(&["regrade", report.to_str().unwrap()]);
    let spec = std::fs::read_to_string(a.path().join("assignment.toml")).unwrap();
    write(a.path(), "assignment.toml", &spec.replace("weight = 1", "weight = 2"));
    let spec_changed = assay(&["regrade", report.to_str().unwrap()]);
    let tags = std::process::Command::new("docker")
        .args([
            "images",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            &format!("assay/{name}"),
        ])
        .output()
        .unwrap();
    for tag in String::from_utf8_lossy(&tags.stdout).lines() {
        let _ = std::process::Command::new("docker").args(["rmi", "-f", tag]).output();
    }
    assert_eq!(graded.status.code(), Some(0), "{}", text(&graded));
    assert_eq!(unchanged.status.code(), Some(0), "{}", text(&unchanged));
    assert!(
        String::from_utf8_lossy(&unchanged.stdout).contains("no difference from the earlier report"),
        "{}",
        text(&unchanged)
    );
    assert_eq!(corrupt.status.code(), Some(2), "{}", text(&corrupt));
    assert!(
        String::from_utf8_lossy(&corrupt.stdout)
            .contains("submission.tar.gz is corrupt or was changed: it cannot be unpacked"),
        "{}",
        text(&corrupt)
    );
    assert!(rebuilt.status.success(), "{}", text(&rebuilt));
    assert_eq!(image_changed.status.code(), Some(2), "{}", text(&image_changed));
    assert!(
        String::from_utf8_lossy(&image_changed.stdout).contains(&format!("the image changed: assay/{name} was")),
        "{}",
        text(&image_changed)
    );
    assert_eq!(spec_changed.status.code(), Some(2), "{}", text(&spec_changed));
    assert!(
        String::from_utf8_lossy(&spec_changed.stdout).contains("the spec changed"),
        "{}",
        text(&spec_changed)
    );
}
