//! Times and ids the service's records use.

/// RFC 3339 with microseconds: sorts as text in time order.
pub fn now() -> String {
    humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()
}

/// A random id with a prefix: 20 hex digits.
pub fn random_id(prefix: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 10];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{prefix}{}", hex::encode(bytes)))
}
