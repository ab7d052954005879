//! QR codes as pictures: a text's QR symbol (`fast_qr` encodes it), drawn as SVG for pages
//! (with the `qrcode` crate's own renderer) or PNG for mail. Tickets and the two-factor
//! enrolment both show one; the ticket PDF draws the same modules (`tickets::render`).

use qrcode::render::{svg, Renderer};
use qrcode::Color;

use crate::error::{BackendError, BackendResult};

/// Modules of white border the QR standard asks for around the code.
pub(crate) const QUIET_ZONE: usize = 4;
/// Pixels per module of the SVG's intrinsic size (the page scales it with CSS).
pub(crate) const SVG_MODULE_PX: u32 = 6;

/// The modules of a code's QR symbol, row by row.
pub struct QrMatrix {
    width: usize,
    modules: Vec<Color>,
}

impl QrMatrix {
    /// Encodes `text` at error correction M with `fast_qr`, which picks the mask (the costly
    /// part: every mask is drawn and scored) several times faster than `qrcode`; the mail
    /// worker encodes one code per ticket, and this was a third of its time.
    pub fn encode(text: &str) -> BackendResult<Self> {
        let code = fast_qr::QRBuilder::new(text)
            .ecl(fast_qr::ECL::M)
            .build()
            .map_err(|e| BackendError::Internal(format!("QR encoding: {e:?}")))?;
        let width = code.size;
        let modules = code.data[..width * width]
            .iter()
            .map(|module| {
                if module.value() {
                    Color::Dark
                } else {
                    Color::Light
                }
            })
            .collect();
        Ok(Self { width, modules })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        self.modules[y * self.width + x] == Color::Dark
    }

    /// Horizontal runs of dark modules as `(x, y, length)`: one rectangle per run keeps the
    /// PDF small.
    pub(crate) fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        runs
    }

    /// A standalone SVG with the quiet zone, drawn by the `qrcode` crate's renderer. Its XML
    /// declaration is left off (optional for UTF-8), so the same text also works inline in
    /// HTML.
    pub fn to_svg(&self) -> String {
        let svg = Renderer::<svg::Color<'_>>::new(&self.modules, self.width, QUIET_ZONE as u32)
            .module_dimensions(SVG_MODULE_PX, SVG_MODULE_PX)
            .build();
        match svg.find("<svg") {
            Some(start) => svg[start..].to_owned(),
            None => svg,
        }
    }

    /// An 8-bit greyscale PNG with `scale` pixels per module (for mail clients, which rarely
    /// show SVG).
    pub fn to_png(&self, scale: usize) -> BackendResult<Vec<u8>> {
        let size = (self.width + 2 * QUIET_ZONE) * scale;
        let mut pixels = vec![255_u8; size * size];
        for (x, y, len) in self.runs() {
            for dy in 0..scale {
                let row = (y + QUIET_ZONE) * scale + dy;
                let from = row * size + (x + QUIET_ZONE) * scale;
                pixels[from..from + len * scale].fill(0);
            }
        }
        let mut out = Vec::new();
        let edge = u32::try_from(size).map_err(|e| BackendError::Internal(e.to_string()))?;
        let mut encoder = png::Encoder::new(&mut out, edge, edge);
        // Two colours in long runs: the fast deflate compresses them nearly as well as the
        // default, at a fraction of the CPU (deflate was a tenth of the mail worker's time).
        encoder.set_compression(png::Compression::Fast);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| BackendError::Internal(format!("PNG: {e}")))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| BackendError::Internal(format!("PNG: {e}")))?;
        writer
            .finish()
            .map_err(|e| BackendError::Internal(format!("PNG: {e}")))?;
        Ok(out)
    }
}
