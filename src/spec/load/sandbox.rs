//! `[sandbox]` and `[intake]`: limits, each within what the engine and a deadline can take.

use super::*;

impl Checker<'_> {
    /// A size within `bounds` (what the engine and the host accept).
    pub(super) fn size(&mut self, value: &Option<String>, path: &KeyPath, default: u64, bounds: (u64, u64)) -> u64 {
        let (min, max) = bounds;
        match value.as_deref().map(parse_size) {
            None => default,
            Some(Ok(bytes)) if (min..=max).contains(&bytes) => bytes,
            Some(Ok(_)) => {
                self.fail(
                    path,
                    format!(
                        "must be from {} to {}",
                        crate::units::format_size(min),
                        crate::units::format_size(max)
                    ),
                );
                default
            }
            Some(Err(message)) => {
                self.fail(path, message);
                default
            }
        }
    }

    /// A duration of at most `MAX_DURATION`, so deadlines never overflow.
    pub(super) fn duration(
        &mut self,
        value: &Option<String>,
        path: &KeyPath,
        default: std::time::Duration,
    ) -> std::time::Duration {
        match value.as_deref().map(parse_duration) {
            None => default,
            Some(Ok(duration)) if duration <= bounds::MAX_DURATION => duration,
            Some(Ok(_)) => {
                self.fail(path, "must be at most 24h");
                default
            }
            Some(Err(message)) => {
                self.fail(path, message);
                default
            }
        }
    }

    /// A whole number from 1 to `max`.
    pub(super) fn positive(&mut self, value: Option<i64>, path: &KeyPath, default: i64, max: i64) -> i64 {
        match value {
            None => default,
            Some(n) if (1..=max).contains(&n) => n,
            Some(n) => {
                self.fail(path, format!("must be from 1 to {max}, not {n}"));
                default
            }
        }
    }

    pub(super) fn sandbox(&mut self, raw: &RawSpec) -> Sandbox {
        let path = KeyPath::root().key("sandbox");
        let s = &raw.sandbox;
        const MIB: u64 = 1024 * 1024;
        let cpus = match s.cpus {
            None => 1.0,
            Some(c) if (bounds::MIN_CPUS..=bounds::MAX_CPUS).contains(&c) => c,
            Some(c) => {
                self.fail(
                    &path.key("cpus"),
                    format!("must be from {} to {}, not {c}", bounds::MIN_CPUS, bounds::MAX_CPUS),
                );
                1.0
            }
        };
        let image = s.image.clone().unwrap_or_else(|| "assay/python-ml".to_string());
        if image.trim().is_empty() {
            self.fail(&path.key("image"), "the image name must not be empty");
        }
        let build = s.build.as_deref().and_then(|folder| {
            let relative = self.assignment_file(folder, &path.key("build"), PathKind::Any)?;
            if !self.real_dir.join(&relative).join("Dockerfile").is_file() {
                self.fail(
                    &path.key("build"),
                    format!("{folder:?} must be a folder holding a Dockerfile"),
                );
                return None;
            }
            if s.image.is_none() || !image.starts_with("assay/") {
                self.fail(
                    &path.key("image"),
                    "an image built from the assignment needs its own name: image = \"assay/NAME\"",
                );
                return None;
            }
            Some(relative)
        });
        Sandbox {
            image,
            build,
            memory_bytes: self.size(&s.memory, &path.key("memory"), 1024 * MIB, bounds::MEMORY),
            cpus,
            pids: self.positive(s.pids, &path.key("pids"), 256, bounds::MAX_PIDS),
            output_limit_bytes: self.size(&s.output_limit, &path.key("output_limit"), MIB, bounds::OUTPUT),
            workspace_bytes: self.size(&s.workspace_size, &path.key("workspace_size"), 256 * MIB, bounds::AREA),
            tmp_bytes: self.size(&s.tmp_size, &path.key("tmp_size"), 64 * MIB, bounds::AREA),
            file_size_bytes: self.size(&s.file_size, &path.key("file_size"), 128 * MIB, bounds::AREA),
            open_files: self.positive(s.open_files, &path.key("open_files"), 1024, bounds::MAX_OPEN_FILES) as u64,
            default_timeout: self.duration(&s.timeout, &path.key("timeout"), std::time::Duration::from_secs(300)),
        }
    }

    pub(super) fn intake(&mut self, raw: &RawSpec) -> IntakeLimits {
        let path = KeyPath::root().key("intake");
        let i = &raw.intake;
        IntakeLimits {
            max_entries: self.positive(i.max_entries, &path.key("max_entries"), 10_000, bounds::MAX_ENTRIES) as u64,
            max_bytes: self.size(&i.max_bytes, &path.key("max_bytes"), 100 * 1024 * 1024, bounds::AREA),
            max_depth: self.positive(i.max_depth, &path.key("max_depth"), 32, bounds::MAX_DEPTH) as usize,
            max_name_length: self.positive(i.max_name_length, &path.key("max_name_length"), 255, 255) as usize,
        }
    }
}
