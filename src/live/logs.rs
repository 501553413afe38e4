//! Phase logs on disk: `logs/PHASE.stdout.log` and `.stderr.log`, written as output streams
//! (already capped by the runner, so a flood cannot fill the disk).

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use crate::runner::{Event, Sink, Stream};

pub struct LogSink {
    dir: PathBuf,
    open: HashMap<(String, &'static str), File>,
}

impl LogSink {
    pub fn new(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(LogSink {
            dir,
            open: HashMap::new(),
        })
    }

    fn file(&mut self, phase: &str, stream: Stream) -> Option<&mut File> {
        let key = (phase.to_string(), stream.as_str());
        if !self.open.contains_key(&key) {
            let path = self.dir.join(format!("{phase}.{}.log", stream.as_str()));
            match File::create(&path) {
                Ok(file) => {
                    self.open.insert(key.clone(), file);
                }
                Err(e) => {
                    tracing::warn!("cannot write {}: {e}", path.display());
                    return None;
                }
            }
        }
        self.open.get_mut(&key)
    }
}

impl Sink for LogSink {
    fn event(&mut self, event: &Event) {
        match event {
            Event::PhaseStarted { phase } => {
                // Every phase that ran has both logs, even when empty.
                self.file(phase, Stream::Stdout);
                self.file(phase, Stream::Stderr);
            }
            Event::Output { phase, stream, bytes } => {
                if let Some(file) = self.file(phase, *stream)
                    && let Err(e) = file.write_all(bytes)
                {
                    tracing::warn!("cannot write the {phase} log: {e}");
                }
            }
            _ => {}
        }
    }
}
