//! Captures a phase's output as it streams: a byte cap over stdout plus stderr, and a short
//! tail of each kept in memory, so a flood can neither fill the harness's memory nor its disk.

use super::events::Stream;

/// How much of each stream's end is kept for the report.
pub const TAIL_BYTES: usize = 4096;

pub struct Capture {
    limit: u64,
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    stdout_tail: Vec<u8>,
    stderr_tail: Vec<u8>,
    pub exceeded: bool,
}

impl Capture {
    pub fn new(limit: u64) -> Self {
        Capture {
            limit,
            stdout_bytes: 0,
            stderr_bytes: 0,
            stdout_tail: Vec::new(),
            stderr_tail: Vec::new(),
            exceeded: false,
        }
    }

    /// Records a chunk; returns the part within the cap (empty once the cap is reached).
    pub fn take<'a>(&mut self, stream: Stream, chunk: &'a [u8]) -> &'a [u8] {
        let used = self.stdout_bytes + self.stderr_bytes;
        let room = self.limit.saturating_sub(used) as usize;
        let kept = &chunk[..chunk.len().min(room)];
        if kept.len() < chunk.len() {
            self.exceeded = true;
        }
        let (count, tail) = match stream {
            Stream::Stdout => (&mut self.stdout_bytes, &mut self.stdout_tail),
            Stream::Stderr => (&mut self.stderr_bytes, &mut self.stderr_tail),
        };
        *count += kept.len() as u64;
        tail.extend_from_slice(kept);
        if tail.len() > 2 * TAIL_BYTES {
            tail.drain(..tail.len() - TAIL_BYTES);
        }
        kept
    }

    pub fn stdout_tail(&self) -> String {
        tail_text(&self.stdout_tail)
    }

    pub fn stderr_tail(&self) -> String {
        tail_text(&self.stderr_tail)
    }
}

/// The last bytes as text without terminal escapes, which reports and `jq -r` would
/// otherwise replay (the full raw output stays in the log files).
fn tail_text(bytes: &[u8]) -> String {
    let start = bytes.len().saturating_sub(TAIL_BYTES);
    crate::text::plain(&String::from_utf8_lossy(&bytes[start..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_the_sum_of_both_streams() {
        let mut capture = Capture::new(10);
        assert_eq!(capture.take(Stream::Stdout, b"123456"), b"123456");
        assert_eq!(capture.take(Stream::Stderr, b"abcdef"), b"abcd");
        assert!(capture.exceeded);
        assert_eq!(capture.take(Stream::Stdout, b"x"), b"");
        assert_eq!((capture.stdout_bytes, capture.stderr_bytes), (6, 4));
        assert_eq!(capture.stderr_tail(), "abcd");
    }

    #[test]
    fn keeps_only_the_tail() {
        let mut capture = Capture::new(u64::MAX);
        for _ in 0..100 {
            capture.take(Stream::Stdout, &[b'a'; 1000]);
        }
        capture.take(Stream::Stdout, b"END");
        let tail = capture.stdout_tail();
        assert_eq!(tail.len(), TAIL_BYTES);
        assert!(tail.ends_with("END"));
    }
}
