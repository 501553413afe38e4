//! The workspace and the candidate's command in one exec: a script unpacks the workspace from
//! stdin, prints a line saying so, and only then replaces itself with the command. Candidate
//! code cannot run before that line is printed, so the first bytes on stdout are the script's:
//! everything before them is the unpacking (its errors on stderr), everything after is the
//! candidate's. One exec per phase fewer than unpacking on its own.

use std::borrow::Cow;

/// What the script prints once the workspace is in place.
pub const READY: &[u8] = b"assay: workspace ready\n";

/// Most of the unpacking's stderr kept for the message when it fails.
const ERRORS_KEPT: usize = 64 * 1024;

/// The exec's command: `sh -c SCRIPT RUN`, where the script runs `RUN` as `sh -c` would.
pub fn command(run: &str) -> Vec<String> {
    let script = "/bin/tar -x -i -f - -C / || exit $?\nprintf 'assay: workspace ready\\n'\nexec /bin/sh -c \"$0\"";
    vec![
        "/bin/sh".to_string(),
        "-c".to_string(),
        script.to_string(),
        run.to_string(),
    ]
}

/// Splits the exec's output at the line.
#[derive(Default)]
pub struct Gate {
    /// Stdout held while it may still be the start of the line.
    held: Vec<u8>,
    open: bool,
    /// The unpacking's stderr.
    errors: Vec<u8>,
}

/// What a stdout chunk was.
#[derive(Debug, PartialEq)]
pub enum Gated<'a> {
    /// Part of the line; the command has not started.
    Waiting,
    /// The line ended here: the command started; these bytes are already its output.
    Opened(Vec<u8>),
    /// The command's output.
    Through(Cow<'a, [u8]>),
}

impl Gate {
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// A stdout chunk; `Err` when stdout starts with anything but the line (the script did
    /// not run as written: the harness's fault, never the candidate's).
    pub fn stdout<'a>(&mut self, chunk: &'a [u8]) -> Result<Gated<'a>, String> {
        if self.open {
            return Ok(Gated::Through(Cow::Borrowed(chunk)));
        }
        self.held.extend_from_slice(chunk);
        let compared = self.held.len().min(READY.len());
        if self.held[..compared] != READY[..compared] {
            return Err(format!(
                "the workspace step printed {:?} before it was ready",
                String::from_utf8_lossy(&self.held[..compared])
            ));
        }
        if self.held.len() < READY.len() {
            return Ok(Gated::Waiting);
        }
        self.open = true;
        let rest = self.held.split_off(READY.len());
        self.held = Vec::new();
        Ok(Gated::Opened(rest))
    }

    /// A stderr chunk: `Some` when it is the command's, else kept as the unpacking's.
    pub fn stderr<'a>(&mut self, chunk: &'a [u8]) -> Option<&'a [u8]> {
        if self.open {
            return Some(chunk);
        }
        let room = ERRORS_KEPT.saturating_sub(self.errors.len());
        self.errors.extend_from_slice(&chunk[..chunk.len().min(room)]);
        None
    }

    /// What the unpacking said on stderr.
    pub fn errors(&self) -> String {
        String::from_utf8_lossy(&self.errors).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `chunks` to a gate; gives the command's output and whether the gate opened.
    fn through(chunks: &[&[u8]]) -> Result<(Vec<u8>, bool), String> {
        let mut gate = Gate::default();
        let mut out = Vec::new();
        for chunk in chunks {
            match gate.stdout(chunk)? {
                Gated::Waiting => {}
                Gated::Opened(rest) => out.extend_from_slice(&rest),
                Gated::Through(bytes) => out.extend_from_slice(&bytes),
            }
        }
        Ok((out, gate.is_open()))
    }

    #[test]
    fn the_line_is_taken_off_and_what_follows_passes() {
        let mut all = READY.to_vec();
        all.extend_from_slice(b"hello\n");
        assert_eq!(through(&[&all]).unwrap(), (b"hello\n".to_vec(), true));
        assert_eq!(through(&[&READY[..5]]).unwrap(), (Vec::new(), false));
        assert_eq!(through(&[READY]).unwrap(), (Vec::new(), true));
    }

    #[test]
    fn anything_else_first_is_refused() {
        assert!(through(&[b"hello"]).is_err());
        assert!(through(&[&READY[..4], b"X"]).is_err());
    }

    #[test]
    fn stderr_before_the_line_is_the_unpackings() {
        let mut gate = Gate::default();
        assert_eq!(gate.stderr(b"tar: cannot"), None);
        gate.stdout(READY).unwrap();
        assert_eq!(gate.stderr(b"candidate"), Some(&b"candidate"[..]));
        assert_eq!(gate.errors(), "tar: cannot");
    }

    proptest! {
        /// However the stream is cut into chunks, the command's output is exactly what
        /// followed the line.
        #[test]
        fn any_chunking_gives_the_same_output(
            payload in proptest::collection::vec(any::<u8>(), 0..200),
            cuts in proptest::collection::vec(0usize..300, 0..8),
        ) {
            let mut all = READY.to_vec();
            all.extend_from_slice(&payload);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (all.len() + 1)).collect();
            cuts.push(0);
            cuts.push(all.len());
            cuts.sort();
            let chunks: Vec<&[u8]> = cuts.windows(2).map(|w| &all[w[0]..w[1]]).collect();
            prop_assert_eq!(through(&chunks).unwrap(), (payload, true));
        }
    }
}
