//! Human units in specs: durations like `90s` or `5m`, sizes like `512MiB`.

use std::time::Duration;

/// Parses a duration such as `90s`, `5m`, `1h 30m` or `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let parsed = humantime::parse_duration(text.trim())
        .map_err(|e| format!("invalid duration {text:?} ({e}); write e.g. \"90s\" or \"5m\""))?;
    if parsed.is_zero() {
        return Err(format!("duration {text:?} must be longer than zero"));
    }
    Ok(parsed)
}

/// `parse_duration`, or zero for `0` or `off` (a feature turned off).
pub fn parse_duration_or_off(text: &str) -> Result<Duration, String> {
    match text.trim() {
        "0" | "off" => Ok(Duration::ZERO),
        _ => parse_duration(text),
    }
}

/// Parses a byte size such as `512MiB`, `1GiB` or `64kB`; a bare number is bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let size: bytesize::ByteSize = text
        .trim()
        .parse()
        .map_err(|_| format!("invalid size {text:?}; write e.g. \"512MiB\" or \"1GiB\""))?;
    if size.as_u64() == 0 {
        return Err(format!("size {text:?} must be larger than zero"));
    }
    Ok(size.as_u64())
}

/// Formats a byte count the way specs write them (binary units).
pub fn format_size(bytes: u64) -> String {
    bytesize::ByteSize(bytes).display().iec().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("5 minutes please").is_err());
        assert!(parse_duration("0s").unwrap_err().contains("longer than zero"));
        assert!(parse_duration("").is_err());
        assert_eq!(parse_duration_or_off("off").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration_or_off("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration_or_off("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration_or_off("0s").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB").unwrap(), 512 * 1024 * 1024);
        assert_eq!(parse_size("1GiB").unwrap(), 1024 * 1024 * 1024);
        assert_eq!(parse_size("64KiB").unwrap(), 64 * 1024);
        assert_eq!(parse_size("1MB").unwrap(), 1_000_000);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("lots").unwrap_err().contains("invalid size"));
        assert!(parse_size("0MiB").is_err());
    }

    #[test]
    fn formats_binary_units() {
        assert_eq!(format_size(1024 * 1024), "1.0 MiB");
    }
}
