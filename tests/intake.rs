//! Intake of hostile and ordinary archives: refusals name the entry and the reason.

use std::io::{Read, Write};
use std::path::Path;

use assay::intake::intake;
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

fn refused(path: &Path) -> String {
    intake(path, &limits()).unwrap().map(|_| ()).unwrap_err().to_string()
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
    let submission = intake(&path, &limits()).unwrap().unwrap();
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
    let from_folder = intake(&folder, &limits()).unwrap().unwrap();

    let zip_path = dir.path().join("work.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    // Wrapped in one top folder, as zipping a folder does.
    zip.start_file("work/src/model.txt", options).unwrap();
    zip.write_all(b"weights").unwrap();
    zip.start_file("work/predict.py", options).unwrap();
    zip.write_all(b"print(1)\n").unwrap();
    zip.finish().unwrap();
    let from_zip = intake(&zip_path, &limits()).unwrap().unwrap();

    let tar_path = targz(
        dir.path(),
        &[
            ("predict.py", tar::EntryType::Regular, b"print(1)\n", 0o755, None),
            ("src/model.txt", tar::EntryType::Regular, b"weights", 0o600, None),
        ],
    );
    let from_tar = intake(&tar_path, &limits()).unwrap().unwrap();

    assert_eq!(from_folder.sha256, from_zip.sha256);
    assert_eq!(from_folder.sha256, from_tar.sha256);
    assert_eq!((from_folder.tally.files, from_folder.tally.bytes), (2, 16));
    std::fs::write(folder.join("predict.py"), "print(2)\n").unwrap();
    assert_ne!(intake(&folder, &limits()).unwrap().unwrap().sha256, from_zip.sha256);
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
