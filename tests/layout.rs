//! The layout ARCHITECTURE.md draws, held against the code: each folder of `src/` imports only
//! folders below it, and no command imports another.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Top to bottom, as ARCHITECTURE.md lists them; the leaves last, each above those it uses.
const LAYERS: &[&str] = &[
    "cli",
    "service",
    "grade",
    "check",
    "store",
    "live",
    "runner",
    "report",
    "round",
    "model",
    "image",
    "intake",
    "metrics",
    "spec",
    "similarity",
    "notebook",
    "gc",
    "docker",
    "temp_dirs",
    "tarball",
    "path_error",
    "sha256",
    "text",
    "units",
    "exit",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for lib.rs and main.rs).
fn room_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src()).unwrap();
    let first = relative.components().next()?.as_os_str().to_string_lossy().into_owned();
    let room = first.trim_end_matches(".rs").to_string();
    (room != "lib" && room != "main").then_some(room)
}

/// Every `crate::NAME` a source text mentions.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        names.insert(name);
    }
    names
}

#[test]
fn every_folder_imports_only_folders_below_it() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut upward = Vec::new();
    for file in &files {
        let Some(room) = room_of(file) else { continue };
        let at = LAYERS
            .iter()
            .position(|l| *l == room)
            .unwrap_or_else(|| panic!("{room} is not in ARCHITECTURE.md's layout (LAYERS)"));
        for name in crate_paths(&std::fs::read_to_string(file).unwrap()) {
            if name == room {
                continue;
            }
            match LAYERS.iter().position(|l| *l == name) {
                Some(below) if below > at => {}
                _ => upward.push(format!("{} uses crate::{name}", file.display())),
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run up the layout:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_command_imports_another() {
    let cli = src().join("cli");
    let commands: Vec<String> = std::fs::read_dir(&cli)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .filter(|name| name != "mod")
        .collect();
    assert!(commands.len() >= 9, "{commands:?}");
    for command in &commands {
        let text = std::fs::read_to_string(cli.join(format!("{command}.rs"))).unwrap();
        for other in commands.iter().filter(|c| *c != command) {
            for path in [format!("super::{other}"), format!("cli::{other}")] {
                assert!(!text.contains(&path), "cli/{command}.rs uses {path}");
            }
        }
    }
}

#[test]
fn the_checks_can_fail() {
    assert_eq!(
        crate_paths("use crate::store::ReportDir; crate::text::plain(x)"),
        BTreeSet::from(["store".to_string(), "text".to_string()])
    );
    assert_eq!(room_of(&src().join("grade/mod.rs")).as_deref(), Some("grade"));
    assert_eq!(room_of(&src().join("lib.rs")), None);
}
