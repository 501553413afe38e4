//! A notebook's PNG outputs: decoded (so only real images count), encoded again by assay (so
//! the bytes a report shows are assay's, never the candidate's), and a perceptual hash to tell
//! a re-drawn plot from a different one.

use base64::Engine;

/// Images larger than this many pixels are not decoded.
pub const MAX_PIXELS: u64 = 4_000_000;
/// Pixels decoded for one notebook: a small file of blank pictures can hold billions.
pub const NOTEBOOK_PIXELS: u64 = 50_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Png {
    pub width: u32,
    pub height: u32,
    /// A difference hash of the image shrunk to 9×8 grey cells: bit k says whether a cell is
    /// lighter than its right neighbour. Re-drawing the same plot moves few bits.
    pub hash: u64,
    /// The pixels encoded again as PNG by assay, in base64.
    pub base64: String,
}

/// Decodes a notebook's base64 PNG, taking its pixels from `budget`; `None` for anything that
/// is not one, is too large, or would overdraw the budget.
pub fn from_base64(encoded: &str, budget: &mut u64) -> Option<Png> {
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).ok()?;
    decode_within(&bytes, budget)
}

pub fn decode(bytes: &[u8]) -> Option<Png> {
    let mut budget = MAX_PIXELS;
    decode_within(bytes, &mut budget)
}

fn decode_within(bytes: &[u8], budget: &mut u64) -> Option<Png> {
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(bytes),
        png::Limits {
            bytes: (MAX_PIXELS * 8) as usize,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let (width, height) = (reader.info().width, reader.info().height);
    let pixels = width as u64 * height as u64;
    if width == 0 || height == 0 || pixels > MAX_PIXELS || pixels > *budget {
        return None;
    }
    *budget -= pixels;
    let mut buffer = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut buffer).ok()?;
    let rgba = to_rgba(&buffer[..frame.buffer_size()], frame.color_type)?;
    Some(Png {
        width,
        height,
        hash: difference_hash(&rgba, width, height),
        base64: base64::engine::general_purpose::STANDARD.encode(encode(&rgba, width, height)?),
    })
}

fn to_rgba(pixels: &[u8], color: png::ColorType) -> Option<Vec<u8>> {
    let rgba = match color {
        png::ColorType::Rgba => pixels.to_vec(),
        png::ColorType::Rgb => pixels.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        png::ColorType::GrayscaleAlpha => pixels.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        png::ColorType::Grayscale => pixels.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return None,
    };
    Some(rgba)
}

fn encode(rgba: &[u8], width: u32, height: u32) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(rgba).ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// Grey level (transparent counts as white, as a notebook shows it) averaged over 9×8 cells.
fn difference_hash(rgba: &[u8], width: u32, height: u32) -> u64 {
    let (w, h) = (width as usize, height as usize);
    let mut sums = [[0.0f64; 9]; 8];
    let mut counts = [[0u32; 9]; 8];
    for y in 0..h {
        for x in 0..w {
            let p = &rgba[(y * w + x) * 4..(y * w + x) * 4 + 4];
            let alpha = p[3] as f64 / 255.0;
            let grey =
                (0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64) * alpha + 255.0 * (1.0 - alpha);
            let (row, column) = (y * 8 / h, x * 9 / w);
            sums[row][column] += grey;
            counts[row][column] += 1;
        }
    }
    let mut hash = 0u64;
    for row in 0..8 {
        let mean = |c: usize| sums[row][c] / counts[row][c].max(1) as f64;
        for column in 0..8 {
            hash = (hash << 1) | (mean(column) > mean(column + 1)) as u64;
        }
    }
    hash
}

/// Two images are the same picture: same size and at most 10 of 64 hash bits apart.
pub fn same_picture(a: &Png, b: &Png) -> bool {
    a.width == b.width && a.height == b.height && (a.hash ^ b.hash).count_ones() <= 10
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A PNG of a filled rectangle (dark where `dark(x, y)`), as a test image.
    pub fn picture(width: u32, height: u32, dark: impl Fn(u32, u32) -> bool) -> Vec<u8> {
        let mut rgb = Vec::new();
        for y in 0..height {
            for x in 0..width {
                let v = if dark(x, y) { 20 } else { 235 };
                rgb.extend([v, v, v, 255]);
            }
        }
        encode(&rgb, width, height).unwrap()
    }

    #[test]
    fn a_redrawn_picture_is_the_same_and_another_is_not() {
        let falling = |x: u32, y: u32| y as i64 == 59 - (x * 60 / 90) as i64;
        let line = decode(&picture(90, 60, falling)).unwrap();
        let line_again = decode(&picture(90, 60, |x, y| falling(x, y) || (x == 3 && y == 3))).unwrap();
        let other = decode(&picture(90, 60, |x, y| y == x * 60 / 90)).unwrap();
        let bigger = decode(&picture(91, 60, falling)).unwrap();
        assert!(same_picture(&line, &line_again));
        assert!(!same_picture(&line, &other), "{:064b} {:064b}", line.hash, other.hash);
        assert!(!same_picture(&line, &bigger));
        assert_eq!((line.width, line.height), (90, 60));
    }

    #[test]
    fn only_real_pngs_decode_and_their_bytes_are_made_again() {
        let mut bytes = picture(4, 4, |x, _| x < 2);
        assert!(decode(&bytes).is_some());
        bytes.extend(b"<script>alert(1)</script>");
        let decoded = decode(&bytes).expect("trailing bytes after IEND are ignored by the decoder");
        let made = base64::engine::general_purpose::STANDARD
            .decode(&decoded.base64)
            .unwrap();
        assert!(!String::from_utf8_lossy(&made).contains("script"));
        assert!(decode(b"\x89PNG\r\n\x1a\nnot really").is_none());
        assert!(from_base64("!!!", &mut 100).is_none());
        let big = base64::engine::general_purpose::STANDARD.encode(picture(2000, 2000, |_, _| false));
        let mut budget = NOTEBOOK_PIXELS;
        let decoded = (0..20).filter(|_| from_base64(&big, &mut budget).is_some()).count();
        assert_eq!(decoded, 12, "50 million pixels hold twelve 4-million-pixel pictures");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_after_the_signature_decode_or_not_without_panicking(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
            bytes.extend(tail);
            let _ = decode(&bytes);
        }
    }
}
