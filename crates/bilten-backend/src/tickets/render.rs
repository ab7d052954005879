//! What a ticket looks like outside the API: its QR code (SVG for pages, PNG for mail) and a
//! one-page PDF.
//!
//! The SVG comes from the `qrcode` crate's own renderer: a hand-written path once ran the
//! coordinates together (`M1214h…`), which browsers drew as nothing while every check of the
//! markup passed. The unit tests therefore rasterise the SVG and PNG and decode them back.
//!
//! The QR code holds the signed ticket code as is (146 base64url characters, byte mode,
//! error correction M, version 7 or so), encoded by `fast_qr`; `qrcode` draws the SVG. The PDF is written by hand with `pdf-writer`: the
//! standard Helvetica font (no embedding, so a ticket is a few kilobytes) and the QR drawn as
//! filled vector squares, so it prints sharp at any size. Text is encoded as `WinAnsi`, the
//! standard fonts' encoding; letters outside it are transliterated (`č` → `c`) or shown as `?`.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::error::BackendResult;
use crate::qr::{QrMatrix, QUIET_ZONE};

/// The facts printed on a ticket, already formatted for people.
pub struct TicketSheet<'a> {
    /// The language of the ticket's own words ("Holder", "Ticket type").
    pub locale: bilten_i18n::Locale,
    pub event_title: &'a str,
    /// E.g. "Saturday, 1 June 2030, 21:00 – 01:00 (Europe/Sarajevo)".
    pub when: &'a str,
    /// Venue lines (name, address, city/country) or the online URL.
    pub venue: &'a [String],
    pub holder: &'a str,
    pub ticket_type: &'a str,
    pub ticket_id: &'a str,
    pub order_id: &'a str,
    pub code: &'a str,
}

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// A one-page PDF ticket: event, date and time, venue, holder, type, and the QR code drawn as
/// vector squares. `qr` is `sheet.code` encoded: encoding (choosing the mask) is the costly part
/// of rendering a ticket, so a caller that also needs the PNG encodes once.
pub fn ticket_pdf(sheet: &TicketSheet<'_>, qr: &QrMatrix) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let page_id = Ref::new(3);
    let regular_id = Ref::new(4);
    let bold_id = Ref::new(5);
    let content_id = Ref::new(6);
    let regular = Name(b"F1");
    let bold = Name(b"F2");

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id).kids([page_id]).count(1);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
    page.parent(tree_id);
    page.contents(content_id);
    page.resources()
        .fonts()
        .pair(regular, regular_id)
        .pair(bold, bold_id);
    page.finish();
    pdf.type1_font(regular_id)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold_id)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));

    let mut w = Lines {
        content: Content::new(),
        y: PAGE_HEIGHT - MARGIN - 10.0,
    };
    let l = sheet.locale;
    w.line(regular, 10.0, &l.t("pdf-ticket-heading"), 10.0);
    w.line(bold, 22.0, sheet.event_title, 10.0);
    w.line(regular, 12.0, sheet.when, 6.0);
    for venue_line in sheet.venue {
        w.line(regular, 12.0, venue_line, 4.0);
    }
    w.y -= 14.0;
    w.line(regular, 10.0, &l.t("pdf-holder"), 4.0);
    w.line(bold, 16.0, sheet.holder, 10.0);
    w.line(regular, 10.0, &l.t("pdf-ticket-type"), 4.0);
    w.line(bold, 14.0, sheet.ticket_type, 18.0);

    // The QR code: 200 pt wide (plus quiet zone), left-aligned under the text.
    let module = 200.0 / qr.width() as f32;
    let quiet = module * QUIET_ZONE as f32;
    let origin_x = MARGIN + quiet;
    let top = w.y - quiet;
    w.content.set_fill_gray(0.0);
    for (x, row, len) in qr.runs() {
        w.content.rect(
            origin_x + x as f32 * module,
            top - (row + 1) as f32 * module,
            len as f32 * module,
            module,
        );
    }
    w.content.fill_nonzero();
    w.y = top - qr.width() as f32 * module - quiet - 6.0;

    let id_line = |key: &str, id: &str| bilten_i18n::t(l, key, &[("id", id.into())]);
    w.line(
        regular,
        9.0,
        &id_line("pdf-ticket-id", sheet.ticket_id),
        3.0,
    );
    w.line(regular, 9.0, &id_line("pdf-order-id", sheet.order_id), 3.0);
    // The code in two halves, so staff can type it in if a camera fails.
    let (first, second) = sheet.code.split_at(sheet.code.len() / 2);
    w.line(regular, 7.0, first, 2.0);
    w.line(regular, 7.0, second, 2.0);
    let content = w.content;
    let data = content.finish();
    pdf.stream(content_id, &data);
    pdf.finish()
}

/// What a confirmation mail carries per ticket: the QR code as a PNG (shown inline) and the
/// PDF ticket. The code is encoded once for both.
pub struct TicketFiles {
    pub png: Vec<u8>,
    pub pdf: Vec<u8>,
}

/// Renders `sheet`'s ticket files: the work a confirmation does per ticket, and what
/// `bilten bench` measures as the rendering cost.
pub fn ticket_files(sheet: &TicketSheet<'_>) -> BackendResult<TicketFiles> {
    let qr = QrMatrix::encode(sheet.code)?;
    Ok(TicketFiles {
        pdf: ticket_pdf(sheet, &qr),
        png: qr.to_png(5)?,
    })
}

/// Lines of text written top-down.
struct Lines {
    content: Content,
    y: f32,
}

impl Lines {
    fn line(&mut self, font: Name<'_>, size: f32, text: &str, gap: f32) {
        self.content
            .begin_text()
            .set_font(font, size)
            .next_line(MARGIN, self.y)
            .show(Str(&win_ansi(text)))
            .end_text();
        self.y -= size + gap;
    }
}

/// Text as `WinAnsi` bytes (PDF's standard-font encoding): Latin-1 as is, the few `WinAnsi`
/// extras, common Central European letters without their accents, `?` for the rest.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' | '\u{a0}'..='\u{ff}' => c as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'Š' => 0x8a,
            'š' => 0x9a,
            'Ž' => 0x8e,
            'ž' => 0x9e,
            'Œ' => 0x8c,
            'œ' => 0x9c,
            'Ÿ' => 0x9f,
            'Č' | 'Ć' => b'C',
            'č' | 'ć' => b'c',
            'Đ' => b'D',
            'đ' => b'd',
            'Ł' => b'L',
            'ł' => b'l',
            'Ř' => b'R',
            'ř' => b'r',
            'Ő' => 0xd6,
            'ő' => 0xf6,
            'Ű' => 0xdc,
            'ű' => 0xfc,
            'Ą' => b'A',
            'ą' => b'a',
            'Ę' | 'Ě' => b'E',
            'ę' | 'ě' => b'e',
            'Ś' => b'S',
            'ś' => b's',
            'Ź' | 'Ż' => b'Z',
            'ź' | 'ż' => b'z',
            'Ń' => b'N',
            'ń' => b'n',
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qr::SVG_MODULE_PX;

    #[test]
    fn win_ansi_keeps_latin1_and_transliterates_central_european_letters() {
        assert_eq!(win_ansi("Ada"), b"Ada".to_vec());
        assert_eq!(win_ansi("Šejla Ćatić"), b"\x8aejla Catic".to_vec());
        assert_eq!(win_ansi("Zoë 😀"), b"Zo\xeb ?".to_vec());
    }

    /// A code as long as a real ticket's (146 base64url characters).
    const CODE: &str =
        "uCRNAomB1pOve0Vq-O-kytY9KC4Z_xSULCRuUNk1HSJwSoAqccNYC2Nw3kzrKTwySoQjNCVX1OXDhDjw42kQ7ntUtmg2wfvdE9JEHZ4UNNxiymd_to9f5mpGS6rezb0AV2-Na1rDvMgIRLfVCw";

    /// Decodes the one QR code in a greyscale image (`luma(x, y)`, 0 = black).
    fn decode(width: usize, height: usize, luma: impl FnMut(usize, usize) -> u8) -> String {
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        grids[0].decode().expect("the QR code decodes").1
    }

    /// Draws the SVG as a browser would (resvg), on white, and reads it back.
    fn decode_svg(svg: &str) -> String {
        let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default())
            .expect("the SVG parses");
        let size = tree.size().to_int_size();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
        pixmap.fill(resvg::tiny_skia::Color::WHITE);
        resvg::render(
            &tree,
            resvg::tiny_skia::Transform::identity(),
            &mut pixmap.as_mut(),
        );
        let width = pixmap.width() as usize;
        let data = pixmap.data().to_vec();
        decode(width, pixmap.height() as usize, |x, y| {
            data[(y * width + x) * 4 + 1] // the green channel is enough for black on white
        })
    }

    #[test]
    fn the_qr_svg_decodes_to_the_ticket_code() {
        assert_eq!(CODE.len(), 146);
        let qr = QrMatrix::encode(CODE).unwrap();
        let svg = qr.to_svg();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(decode_svg(&svg), CODE, "{svg}");
        // The quiet zone is part of the image: 4 white modules each side.
        let size = (qr.width() + 2 * QUIET_ZONE) * SVG_MODULE_PX as usize;
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {size} {size}\"")),
            "{svg}"
        );
    }

    #[test]
    fn the_qr_png_for_mail_decodes_to_the_ticket_code() {
        let png = QrMatrix::encode(CODE).unwrap().to_png(5).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(frame.color_type, png::ColorType::Grayscale);
        let width = frame.width as usize;
        let text = decode(width, frame.height as usize, |x, y| pixels[y * width + x]);
        assert_eq!(text, CODE);
    }
}
