//! Intake of hostile and ordinary archives: refusals name the entry and the reason.

use std::io::{Read, Write};
use std::path::Path;

use assay::intake::{IntakeError, intake};
use assay::spec::IntakeLimits;

fn limits() -> IntakeLimits {
    IntakeLimits {
        max_entries: 100,
        max_bytes: 1024 * 1024,
        max_depth: 8,
        max_name_length: 64,
    }
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(mode);
    header
}

/// name, type, content, mode, link target
type Entry<'a> = (&'a str, tar::EntryType, &'a [u8], u32, Option<&'a str>);

/// A tar.gz whose entries are written raw, so hostile names survive.
fn targz(dir: &Path, entries: &[Entry]) -> std::path::PathBuf {
    let path = dir.join("s.tar.gz");
    let file = std::fs::File::create(&path).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    for (name, kind, data, mode, link) in entries {
        let mut h = header(*kind, data.len() as u64, *mode);
        // Write the name bytes directly: the builder would refuse '..' and absolute paths.
        let raw = h.as_old_mut();
        raw.name = [0; 100];
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            raw.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        h.set_cksum();
        builder.append(&h, *data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
    path
}

/// Why the submission was refused; a harness error or an accepted submission fails the test.
fn refused(path: &Path) -> String {
    refused_with(path, &limits())
}

fn refused_with(path: &Path, limits: &IntakeLimits) -> String {
    match intake(path, limits) {
        Err(IntakeError::Refused(rejection)) => rejection.to_string(),
        Err(IntakeError::Harness(error)) => panic!("a harness error, not a refusal: {error:#}"),
        Ok(_) => panic!("accepted, not refused"),
    }
}

#[test]
fn refuses_path_escapes_links_and_devices() {
    let dir = tempfile::tempdir().unwrap();
    use tar::EntryType::*;
    let cases: &[(&str, tar::EntryType, Option<&str>, &str)] = &[
        ("../../x", Regular, None, "'..' in the path"),
        ("/etc/passwd", Regular, None, "absolute path"),
        ("a", Symlink, Some("/etc/passwd"), "symbolic link"),
        ("b", Link, Some("a"), "hard link"),
        ("dev", Char, None, "device or fifo"),
        ("pipe", Fifo, None, "device or fifo"),
        ("new\nline", Regular, None, "control character"),
    ];
    for (name, kind, link, reason) in cases {
        let path = targz(dir.path(), &[(name, *kind, b"", 0o644, *link)]);
        let why = refused(&path);
        assert!(why.contains(reason), "{name:?}: {why}");
        assert!(why.contains(&format!("{:?}", name)), "{why} should name the entry");
    }
    assert!(!dir.path().join("x").exists());
}

#[test]
fn symlink_then_file_through_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = targz(
        dir.path(),
        &[
            ("a", tar::EntryType::Symlink, b"", 0o777, Some("/tmp")),
            ("a/evil", tar::EntryType::Regular, b"x", 0o644, None),
        ],
    );
    assert!(refused(&path).contains("symbolic link"));
}

#[test]
fn zip_bomb_stops_at_the_byte_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("zeros", options).unwrap();
    let block = vec![0u8; 1024 * 1024];
    for _ in 0..64 {
        zip.write_all(&block).unwrap();
    }
    zip.finish().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 200 * 1024);
    let started = std::time::Instant::now();
    let why = refused(&path);
    assert!(why.contains("more than the limit of 1.0 MiB"), "{why}");
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn bytes_are_counted_while_decompressing() {
    // A tar.gz of 64 MiB of zeros in one entry: refused once 1 MiB has come out.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.tar.gz");
    let file = std::fs::File::create(&path).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::best()));
    let mut header = header(tar::EntryType::Regular, 64 << 20, 0o644);
    builder
        .append_data(&mut header, "zeros", std::io::repeat(0).take(64 << 20))
        .unwrap();
    builder.into_inner().unwrap().finish().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 200 * 1024);
    let why = refused(&path);
    assert!(
        why.contains("entry \"zeros\": the submission unpacks to more than 1.0 MiB"),
        "{why}"
    );
}

#[test]
fn entry_count_depth_and_name_length_limits() {
    let dir = tempfile::tempdir().unwrap();
    let many: Vec<String> = (0..150).map(|i| format!("f{i}")).collect();
    let entries: Vec<_> = many
        .iter()
        .map(|n| (n.as_str(), tar::EntryType::Regular, &b"x"[..], 0o644, None))
        .collect();
    assert!(refused(&targz(dir.path(), &entries)).contains("more than 100 entries"));
    let deep = "d/".repeat(20) + "f";
    assert!(
        refused(&targz(
            dir.path(),
            &[(deep.as_str(), tar::EntryType::Regular, b"x", 0o644, None)]
        ))
        .contains("deeper than the limit of 8")
    );
    let long = "n".repeat(90);
    assert!(
        refused(&targz(
            dir.path(),
            &[(long.as_str(), tar::EntryType::Regular, b"x", 0o644, None)]
        ))
        .contains("longer than the limit of 64")
    );
}

#[test]
fn modes_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let path = targz(
        dir.path(),
        &[
            ("run.sh", tar::EntryType::Regular, b"#!/bin/sh\n", 0o4777, None),
            ("data", tar::EntryType::Regular, b"1", 0o666, None),
        ],
    );
    let submission = intake(&path, &limits()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = |name: &str| {
        std::fs::metadata(submission.root.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("run.sh"), 0o755);
    assert_eq!(mode("data"), 0o644);
}

#[test]
fn same_files_give_the_same_hash_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("work");
    std::fs::create_dir_all(folder.join("src")).unwrap();
    std::fs::write(folder.join("predict.py"), "print(1)\n").unwrap();
    std::fs::write(folder.join("src/model.txt"), "weights").unwrap();
    let from_folder = intake(&folder, &limits()).unwrap();

    let zip_path = dir.path().join("work.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    // Wrapped in one top folder, as zipping a folder does.
    zip.start_file("work/src/model.txt", options).unwrap();
    zip.write_all(b"weights").unwrap();
    zip.start_file("work/predict.py", options).unwrap();
    zip.write_all(b"print(1)\n").unwrap();
    zip.finish().unwrap();
    let from_zip = intake(&zip_path, &limits()).unwrap();

    let tar_path = targz(
        dir.path(),
        &[
            ("predict.py", tar::EntryType::Regular, b"print(1)\n", 0o755, None),
            ("src/model.txt", tar::EntryType::Regular, b"weights", 0o600, None),
        ],
    );
    let from_tar = intake(&tar_path, &limits()).unwrap();

    assert_eq!(from_folder.sha256, from_zip.sha256);
    assert_eq!(from_folder.sha256, from_tar.sha256);
    assert_eq!((from_folder.tally.files, from_folder.tally.bytes), (2, 16));
    std::fs::write(folder.join("predict.py"), "print(2)\n").unwrap();
    assert_ne!(intake(&folder, &limits()).unwrap().sha256, from_zip.sha256);
}

#[test]
fn folder_with_a_symlink_is_refused_and_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.py"), "x").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).unwrap();
    let why = refused(dir.path());
    assert!(why.contains("\"link\": symbolic link"), "{why}");
}

#[test]
fn garbage_is_not_an_archive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.rar");
    std::fs::write(&path, b"Rar!\x1a\x07\x00 not really").unwrap();
    assert!(refused(&path).contains("is not a zip, tar.gz, tar or folder"));
}

fn accepted(path: &Path) -> assay::intake::Submission {
    intake(path, &limits()).unwrap_or_else(|error| panic!("{error}"))
}

/// The relative paths of every file unpacked, sorted.
fn files_of(submission: &assay::intake::Submission) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&submission.root, &submission.root, &mut out);
    out.sort();
    out
}

/// A plain tar of `(name, content)` files, with its end-of-archive blocks.
fn tar_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = header(tar::EntryType::Regular, data.len() as u64, 0o644);
        builder.append_data(&mut h, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn every_gzip_member_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // One tar stream cut in two and compressed as two members, as parallel compressors do.
    let whole = tar_bytes(&[("a.txt", b"first"), ("b.txt", b"second")]);
    let cut = 1024; // after a.txt's header and data block
    let mut bytes = gzip(&whole[..cut]);
    bytes.extend(gzip(&whole[cut..]));
    let path = dir.path().join("multi.tar.gz");
    std::fs::write(&path, &bytes).unwrap();
    let submission = accepted(&path);
    assert_eq!(files_of(&submission), ["a.txt", "b.txt"]);
}

#[test]
fn a_tar_that_goes_on_after_its_end_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = tar_bytes(&[("predict.py", b"print('honest')")]);
    let second = tar_bytes(&[("predict.py", b"print('other')")]);
    let mut bytes = gzip(&first);
    bytes.extend(gzip(&second));
    let path = dir.path().join("two.tar.gz");
    std::fs::write(&path, &bytes).unwrap();
    assert!(
        refused(&path).contains("goes on after its end-of-archive marker"),
        "{}",
        refused(&path)
    );
    // Zero padding after the end is fine.
    let mut padded = first.clone();
    padded.extend(vec![0u8; 10240]);
    std::fs::write(&path, gzip(&padded)).unwrap();
    assert_eq!(files_of(&accepted(&path)), ["predict.py"]);
}

#[test]
fn git_archive_output_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::write(repo.join("predict.py"), "print(1)\n").unwrap();
    std::fs::write(repo.join("src/model.py"), "x = 1\n").unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=a",
                "-c",
                "user.email=a@b",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(&repo)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "solution"]);
    let archive = dir.path().join("solution.tar.gz");
    git(&["archive", "--format=tar.gz", "-o", archive.to_str().unwrap(), "HEAD"]);
    assert_eq!(files_of(&accepted(&archive)), ["predict.py", "src/model.py"]);
}

fn zip_of(path: &Path, names: &[&str]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    for (i, name) in names.iter().enumerate() {
        // The writer refuses a repeated name, so repeats are written under a placeholder
        // of the same length and renamed in the bytes afterwards.
        let placeholder = format!("{:0width$}", i, width = name.len());
        zip.start_file(placeholder, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(format!("copy {i}").as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    for (i, name) in names.iter().enumerate() {
        let placeholder = format!("{:0width$}", i, width = name.len());
        let mut at = 0;
        while let Some(found) = bytes[at..]
            .windows(placeholder.len())
            .position(|w| w == placeholder.as_bytes())
        {
            let start = at + found;
            bytes[start..start + name.len()].copy_from_slice(name.as_bytes());
            at = start + name.len();
        }
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_zip_repeating_a_name_is_refused_and_every_entry_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dup.zip");
    zip_of(&path, &["aa.py", "bb.py", "aa.py"]);
    let why = refused(&path);
    assert!(why.contains("a name appears more than once"), "{why}");
    // More entries of one name than the cap: refused by the count, not kept as one file.
    let names = vec!["same.py"; 150];
    zip_of(&path, &names);
    let why = refused(&path);
    assert!(why.contains("lists 150 entries, more than the limit of 100"), "{why}");
}

#[test]
fn a_folder_inside_a_file_or_an_overlong_path_is_the_archives_fault() {
    let dir = tempfile::tempdir().unwrap();
    use tar::EntryType::*;
    let path = targz(
        dir.path(),
        &[("a", Regular, b"x", 0o644, None), ("a/b/", Directory, b"", 0o755, None)],
    );
    let why = refused(&path);
    assert!(why.contains("a folder inside a, a file already unpacked"), "{why}");
    let path = targz(
        dir.path(),
        &[("a", Regular, b"x", 0o644, None), ("a/b", Regular, b"y", 0o644, None)],
    );
    let why = refused(&path);
    assert!(why.contains("a parent folder has the name of the file a"), "{why}");
    // A path longer than PATH_MAX, through a GNU long name, in few folders.
    let long = format!("{}/f.txt", vec!["d".repeat(60); 80].join("/"));
    let path = dir.path().join("long.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&path).unwrap());
    let mut h = header(Regular, 1, 0o644);
    builder.append_data(&mut h, &long, &b"x"[..]).unwrap();
    builder.finish().unwrap();
    let limits = IntakeLimits {
        max_depth: 1000,
        ..limits()
    };
    let why = refused_with(&path, &limits);
    assert!(why.contains("is longer than the limit of 3072"), "{why}");
}

#[test]
fn a_tar_volume_label_gets_a_readable_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = targz(dir.path(), &[("backup", tar::EntryType::new(b'V'), b"", 0o644, None)]);
    let why = refused(&path);
    assert!(why.contains("unsupported tar entry type 'V' (a volume label"), "{why}");
    assert!(!why.contains("Nonexhaustive"), "{why}");
}

#[test]
fn a_submission_path_that_is_a_link_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let real = targz(
        dir.path(),
        &[("predict.py", tar::EntryType::Regular, b"print(1)", 0o644, None)],
    );
    let link = dir.path().join("link.tar.gz");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let submission = accepted(&link);
    assert_eq!(files_of(&submission), ["predict.py"]);
    assert_eq!(submission.name, "link.tar.gz");
}
