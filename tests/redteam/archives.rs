//! The corpus cases that are archives: built by the test, because their hostile entries
//! (escaping paths, links, setuid modes, odd names) cannot live in a git checkout.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::corpus::{case, files};

/// One tar entry: name, type, content, mode, link target.
struct Entry {
    name: Vec<u8>,
    kind: tar::EntryType,
    data: Vec<u8>,
    mode: u32,
    link: Option<&'static str>,
}

fn file(name: &str, data: &[u8], mode: u32) -> Entry {
    Entry {
        name: name.as_bytes().to_vec(),
        kind: tar::EntryType::Regular,
        data: data.to_vec(),
        mode,
        link: None,
    }
}

/// The reference submission's files as entries, so an archive case grades like it.
fn reference_entries() -> Vec<Entry> {
    let root = case("reference");
    files(root.path())
        .into_iter()
        .map(|path| {
            let name = path.strip_prefix(root.path()).unwrap().to_string_lossy().into_owned();
            file(&name, &std::fs::read(&path).unwrap(), 0o644)
        })
        .collect()
}

/// A tar.gz whose names are written raw (the builder would refuse `..` and absolute paths);
/// names longer than a header holds go through the builder's GNU long-name records.
fn targz(path: &Path, entries: &[Entry]) -> PathBuf {
    let file = std::fs::File::create(path).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(entry.kind);
        header.set_size(entry.data.len() as u64);
        header.set_mode(entry.mode);
        if entry.name.len() < 100 {
            let raw = header.as_old_mut();
            raw.name[..entry.name.len()].copy_from_slice(&entry.name);
            if let Some(link) = entry.link {
                raw.linkname[..link.len()].copy_from_slice(link.as_bytes());
            }
            header.set_cksum();
            builder.append(&header, entry.data.as_slice()).unwrap();
        } else {
            let name = String::from_utf8(entry.name.clone()).unwrap();
            builder.append_data(&mut header, name, entry.data.as_slice()).unwrap();
        }
    }
    builder.into_inner().unwrap().finish().unwrap();
    path.to_path_buf()
}

/// Cases 16–20: archives intake must refuse, each with words its refusal must hold.
pub fn refused(dir: &Path) -> Vec<(&'static str, PathBuf, &'static str)> {
    let with_reference = |extra: Vec<Entry>| {
        let mut entries = reference_entries();
        entries.extend(extra);
        entries
    };
    let mut cases = vec![
        (
            "zip-slip",
            targz(
                &dir.join("zip-slip.tar.gz"),
                &with_reference(vec![file("../../../../../../tmp/x-assay-slip", b"slip", 0o644)]),
            ),
            "'..' in the path",
        ),
        (
            "abs-path",
            targz(
                &dir.join("abs-path.tar.gz"),
                &with_reference(vec![file("/etc/passwd", b"root::0:0::/:/bin/sh\n", 0o644)]),
            ),
            "absolute path",
        ),
        (
            "symlink-writethrough",
            targz(
                &dir.join("symlink.tar.gz"),
                &with_reference(vec![
                    Entry {
                        name: b"a".to_vec(),
                        kind: tar::EntryType::Symlink,
                        data: Vec::new(),
                        mode: 0o777,
                        link: Some("/etc/passwd"),
                    },
                    file("a", b"root::0:0::/:/bin/sh\n", 0o644),
                ]),
            ),
            "symbolic link",
        ),
        ("zip-bomb", zip_bomb(&dir.join("bomb.zip")), "more than the limit of 16"),
        (
            "file-storm",
            file_storm(&dir.join("storm.tar.gz")),
            "more than 2000 entries",
        ),
    ];
    let deep = "d/".repeat(5000) + "f";
    cases.push((
        "deep-nesting",
        targz(
            &dir.join("deep.tar.gz"),
            &with_reference(vec![file(&deep, b"x", 0o644)]),
        ),
        "deeper than the limit of 32",
    ));
    // The zip form of the slip, whose writer accepts such names.
    let path = dir.join("zip-slip.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("../../../../../../tmp/x-assay-slip", options).unwrap();
    zip.write_all(b"slip").unwrap();
    zip.finish().unwrap();
    cases.push(("zip-slip (zip)", path, "'..' in the path"));
    cases
}

/// Case 19: 1 GiB of zeros in a zip of about 1 MB.
fn zip_bomb(path: &Path) -> PathBuf {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("zeros", options).unwrap();
    let block = vec![0u8; 1024 * 1024];
    for _ in 0..1024 {
        zip.write_all(&block).unwrap();
    }
    zip.finish().unwrap();
    assert!(std::fs::metadata(path).unwrap().len() < 2 * 1024 * 1024);
    path.to_path_buf()
}

/// Case 20: a hundred thousand empty files.
fn file_storm(path: &Path) -> PathBuf {
    let file = std::fs::File::create(path).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    for i in 0..100_000 {
        let mut header = tar::Header::new_gnu();
        header.set_size(0);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, format!("f/{i}"), std::io::empty().take(0))
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
    path.to_path_buf()
}

/// Case 21: a setuid, world-writable file; the build reports what it finds.
pub fn setuid(dir: &Path) -> PathBuf {
    let mut entries = reference_entries();
    entries.push(file("tool", b"#!/bin/sh\nid -u\n", 0o4777));
    entries.push(file(
        "build.sh",
        b"echo \"mode of tool: $(stat -c %a tool)\"\necho \"setuid files: $(find /workspace /tmp -perm -4000 | wc -l)\"\n",
        0o644,
    ));
    targz(&dir.join("setuid.tar.gz"), &entries)
}

/// Case 30: names with a newline and a carriage return, in an archive whose own name holds
/// both and markup.
pub fn odd_names(dir: &Path) -> PathBuf {
    let mut entries = reference_entries();
    entries.push(file("new\nline<b>.txt", b"1", 0o644));
    entries.push(file("carriage\rreturn.txt", b"2", 0o644));
    entries.push(file(
        "build.sh",
        b"python3 -c \"import os; print('odd names:', sum(1 for n in os.listdir('.') if '\\n' in n or '\\r' in n))\"\n",
        0o644,
    ));
    targz(&dir.join("odd\r\nname<i>.tar.gz"), &entries)
}

/// Case 30: one name of 1,000 bytes, longer than any file system takes.
pub fn long_name(dir: &Path) -> PathBuf {
    let mut entries = reference_entries();
    entries.push(file(&"n".repeat(1000), b"x", 0o644));
    targz(&dir.join("long-name.tar.gz"), &entries)
}

/// Case 39: one .tar.gz, two gzip members. In `smuggled`, the first member is the reference
/// as a tar without its end blocks and the second a tar holding another predict.py; in
/// `appended`, the first is a whole tar and a second tar follows its end. Tools disagree on
/// what each holds, so both are refused rather than graded on one reading.
pub fn two_members(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let tar_of = |entries: &[Entry], end: bool| {
        let mut builder = tar::Builder::new(Vec::new());
        for entry in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(entry.kind);
            header.set_size(entry.data.len() as u64);
            header.set_mode(entry.mode);
            let name = String::from_utf8(entry.name.clone()).unwrap();
            builder.append_data(&mut header, name, entry.data.as_slice()).unwrap();
        }
        let mut bytes = builder.into_inner().unwrap();
        if !end {
            bytes.truncate(bytes.len() - 1024);
        }
        bytes
    };
    let gzip = |bytes: &[u8]| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    };
    let other = [file("predict.py", b"print('not what the reviewer sees')\n", 0o644)];
    let mut cases = Vec::new();
    for (name, end) in [("smuggled", false), ("appended", true)] {
        let mut bytes = gzip(&tar_of(&reference_entries(), end));
        bytes.extend(gzip(&tar_of(&other, true)));
        let path = dir.join(format!("{name}.tar.gz"));
        std::fs::write(&path, bytes).unwrap();
        cases.push((name, path));
    }
    cases
}
