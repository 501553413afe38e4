//! `assay new ID --template ...`: a new assignment folder that passes `assay check` as made.

use std::path::{Path, PathBuf};

use crate::exit::{Exit, input_error};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// A classifier: build (train), predict, accuracy on hidden labels.
    MlClassifier,
    /// Hidden pytest tests of a function, in weighted groups.
    TestsOnly,
    /// An HTTP prediction service, exercised by a hidden client; accuracy, latency, errors.
    Service,
}

macro_rules! files {
    ($dir:literal: $($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../templates/", $dir, "/", $path)))),*]
    };
}

const ML_CLASSIFIER: &[(&str, &str)] = files!("ml-classifier":
    "assignment.toml",
    "README.md",
    "solutions/reference/setup.sh",
    "solutions/reference/train.py",
    "solutions/reference/predict.py",
    "solutions/crash/predict.py",
    "solutions/crash/expect.toml",
);

const TESTS_ONLY: &[(&str, &str)] = files!("tests-only":
    "assignment.toml",
    "README.md",
    "hidden/tests/test_word_count.py",
    "solutions/reference/solution.py",
    "solutions/wrong/solution.py",
    "solutions/wrong/expect.toml",
);

const SERVICE: &[(&str, &str)] = files!("service":
    "assignment.toml",
    "README.md",
    "hidden/client/client.py",
    "hidden/scorer/latency.py",
    "solutions/reference/setup.sh",
    "solutions/reference/train.py",
    "solutions/reference/serve.py",
    "solutions/reference/start.sh",
    "solutions/wrong-port/setup.sh",
    "solutions/wrong-port/train.py",
    "solutions/wrong-port/serve.py",
    "solutions/wrong-port/start.sh",
    "solutions/wrong-port/expect.toml",
);

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    id: String,
    #[arg(long, value_enum, default_value = "ml-classifier")]
    template: Template,
    /// The folder to make it in.
    #[arg(long, default_value = "assignments")]
    dir: PathBuf,
    #[arg(long)]
    title: Option<String>,
}

pub fn run(options: NewArgs) -> anyhow::Result<Exit> {
    let id = &options.id;
    if !crate::spec::is_identifier(id) {
        return Err(input_error(format!(
            "{id:?} is not a valid assignment id: use lowercase letters, digits, '-' and '_'"
        )));
    }
    let dir = options.dir.join(id);
    if dir.exists() {
        return Err(input_error(format!(
            "{} already exists; choose another id or folder",
            dir.display()
        )));
    }
    let title = options.title.clone().unwrap_or_else(|| id.replace(['-', '_'], " "));
    let files = match options.template {
        Template::MlClassifier => ML_CLASSIFIER,
        Template::TestsOnly => TESTS_ONLY,
        Template::Service => SERVICE,
    };
    for (path, content) in files {
        write(&dir, path, &content.replace("{{id}}", id).replace("{{title}}", &title))?;
    }
    if options.template != Template::TestsOnly {
        write_points(&dir)?;
    }
    println!(
        "made {} from the {:?} template; try: assay check {}",
        dir.display(),
        options.template,
        dir.display()
    );
    Ok(Exit::Success)
}

fn write(dir: &Path, relative: &str, content: &str) -> anyhow::Result<()> {
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, content).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// A small, seeded data set: points in the unit square, class 1 above the diagonal x + y = 1,
/// with some noise near it. 240 training rows in `starter/`, 120 hidden test rows.
fn write_points(dir: &Path) -> anyhow::Result<()> {
    let mut state = 0x9E3779B97F4A7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut train = String::from("id,x,y,label\n");
    let mut test = String::from("id,x,y\n");
    let mut labels = String::from("id,label\n");
    for i in 0..360 {
        let (x, y) = (next(), next());
        let noise = (next() - 0.5) * 0.2;
        let label = u8::from(x + y + noise > 1.0);
        if i < 240 {
            train.push_str(&format!("p{i:03},{x:.4},{y:.4},{label}\n"));
        } else {
            test.push_str(&format!("p{i:03},{x:.4},{y:.4}\n"));
            labels.push_str(&format!("p{i:03},{label}\n"));
        }
    }
    write(dir, "starter/train.csv", &train)?;
    write(dir, "hidden/features/test.csv", &test)?;
    write(dir, "hidden/labels.csv", &labels)
}
