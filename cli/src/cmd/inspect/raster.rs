//! A raster drawing backend for plotters, and its PNG encoding, for
//! `inspect --layout`. halo2's layout picture as SVG is one element per
//! assigned cell (tens of MB at the default shape, too big for a viewer to
//! open); as pixels it is as large as the picture, whatever the circuit.
//! plotters' own bitmap backend is a crate this build does not have, so
//! this one draws pixels (plotters rasterises every shape into them) and
//! writes them as a PNG, deflated by `miniz_oxide`. Text is left out: this
//! build of plotters has no fonts; the title goes into the PNG's metadata.

use std::convert::Infallible;

use plotters_backend::{
    BackendColor, BackendCoord, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// An RGB image in memory, white at first.
pub struct Raster {
    width: u32,
    height: u32,
    /// Row-major RGB.
    pixels: Vec<[u8; 3]>,
}

impl Raster {
    /// A white `width` x `height` image.
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            pixels: vec![[255; 3]; width as usize * height as usize],
        }
    }

    /// The image as PNG bytes (8-bit RGB, no filter, maximum compression),
    /// with `title` as its `Title` text. The same pixels give the same
    /// bytes.
    pub fn png(&self, title: &str) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut header = Vec::with_capacity(13);
        header.extend_from_slice(&self.width.to_be_bytes());
        header.extend_from_slice(&self.height.to_be_bytes());
        // Bit depth 8, colour type 2 (RGB), deflate, adaptive filters,
        // no interlace.
        header.extend_from_slice(&[8, 2, 0, 0, 0]);
        chunk(&mut png, b"IHDR", &header);
        // Latin-1 text: the title is ASCII.
        let text: Vec<u8> = [&b"Title\0"[..], title.as_bytes()].concat();
        chunk(&mut png, b"tEXt", &text);
        let row = self.width as usize * 3;
        let mut scanlines = Vec::with_capacity((row + 1) * self.height as usize);
        for line in self.pixels.chunks(self.width.max(1) as usize) {
            scanlines.push(0); // filter: none
            scanlines.extend(line.iter().flatten());
        }
        chunk(
            &mut png,
            b"IDAT",
            &miniz_oxide::deflate::compress_to_vec_zlib(&scanlines, 9),
        );
        chunk(&mut png, b"IEND", &[]);
        png
    }
}

/// Appends a PNG chunk: length, type, data, CRC of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).expect("a chunk under 4 GiB");
    png.extend_from_slice(&len.to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE, reflected), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

// On `&mut Raster`, so the image outlives the drawing area that draws it.
impl DrawingBackend for &mut Raster {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    /// Blends `color` over the pixel by its alpha (outside: nothing).
    fn draw_pixel(
        &mut self,
        (x, y): BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) else {
            return Ok(());
        };
        if x >= self.width || y >= self.height {
            return Ok(());
        }
        let alpha = color.alpha.clamp(0.0, 1.0);
        let pixel = &mut self.pixels[(y * self.width + x) as usize];
        let (r, g, b) = color.rgb;
        for (old, new) in pixel.iter_mut().zip([r, g, b]) {
            let blended = alpha * f64::from(new) + (1.0 - alpha) * f64::from(*old);
            *old = blended.round() as u8;
        }
        Ok(())
    }

    /// Text is not drawn: this build of plotters has no fonts.
    fn draw_text<T: BackendTextStyle>(
        &mut self,
        _text: &str,
        _style: &T,
        _pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_png_framing() {
        // The CRC of "IEND" with no data, as every PNG ends.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        let mut image = Raster::new(3, 2);
        let mut raster = &mut image;
        raster
            .draw_pixel(
                (1, 1),
                BackendColor {
                    alpha: 0.5,
                    rgb: (0, 0, 0),
                },
            )
            .unwrap();
        raster
            .draw_pixel(
                (9, 9),
                BackendColor {
                    alpha: 1.0,
                    rgb: (0, 0, 0),
                },
            )
            .unwrap();
        assert_eq!(image.pixels[4], [128; 3], "half black over white");
        let png = image.png("t");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x03\0\0\0\x02"));
        assert!(png.ends_with(b"IEND\xae\x42\x60\x82"));
        // The scanlines deflate back to filter bytes and pixels.
        let idat = png.windows(4).position(|w| w == b"IDAT").unwrap();
        let len = u32::from_be_bytes(png[idat - 4..idat].try_into().unwrap()) as usize;
        let raw =
            miniz_oxide::inflate::decompress_to_vec_zlib(&png[idat + 4..idat + 4 + len]).unwrap();
        assert_eq!(raw.len(), 2 * (1 + 3 * 3));
        assert_eq!(
            &raw[10..],
            &[0, 255, 255, 255, 128, 128, 128, 255, 255, 255]
        );
    }
}
