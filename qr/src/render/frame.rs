//! Caption frames: where a call to action goes around the code, for each template. The code
//! keeps its whole quiet zone; a frame only adds room outside it.

use std::fmt::Write;

use super::Matrix;
use crate::style::{FrameTemplate, Style};

/// Height of a caption band with its padding, in modules.
const BAND: f32 = 7.0;
/// Room a bordered template adds around the quiet zone, in modules.
const BORDER: f32 = 1.0;

/// The drawing's size and where the code (its quiet zone's top-left corner) sits in it, in
/// modules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub width: f32,
    pub height: f32,
    pub code_x: f32,
    pub code_y: f32,
    /// The code with its quiet zone: a square this many modules wide.
    pub side: f32,
    template: Option<FrameTemplate>,
    symbol: f32,
    margin: f32,
}

impl Layout {
    pub fn of(matrix: &Matrix, style: &Style) -> Layout {
        let margin = f32::from(style.margin);
        let symbol = matrix.width() as f32;
        let side = symbol + 2.0 * margin;
        let template = style.frame.as_ref().map(|f| f.template);
        let (width, height, code_x, code_y) = match template {
            None => (side, side, 0.0, 0.0),
            Some(FrameTemplate::Banner | FrameTemplate::Bubble | FrameTemplate::Pill) => {
                (side, side + BAND, 0.0, 0.0)
            }
            Some(FrameTemplate::Top) => (side, side + BAND, 0.0, BAND),
            Some(FrameTemplate::Box | FrameTemplate::Ticket) => {
                (side + 2.0 * BORDER, side + BORDER + BAND, BORDER, BORDER)
            }
        };
        Layout {
            width,
            height,
            code_x,
            code_y,
            side,
            template,
            symbol,
            margin,
        }
    }

    /// The frame's shapes and its caption (escaped), if the style has a frame.
    pub fn write_frame(&self, out: &mut String, style: &Style) {
        let (Some(template), Some(frame)) = (self.template, &style.frame) else {
            return;
        };
        let fg = style.fg.hex();
        let bg = style.bg.hex();
        let cx = self.width / 2.0;
        let below = self.code_y + self.side;
        // (band's left, top, width) for the templates with a filled band.
        let band = |x: f32, y: f32, w: f32, rx: f32, out: &mut String| {
            let _ = write!(
                out,
                r#"<rect x="{x}" y="{y}" width="{w}" height="5" rx="{rx}" fill="{fg}"/>"#
            );
        };
        let (text_y, text_fill, text_width) = match template {
            FrameTemplate::Banner => {
                band(self.margin, below, self.symbol, 1.0, out);
                (below + 3.4, &bg, self.symbol)
            }
            FrameTemplate::Top => {
                band(self.margin, 1.0, self.symbol, 1.0, out);
                (4.4, &bg, self.symbol)
            }
            FrameTemplate::Pill => {
                let w = (self.symbol * 0.8).max(12.0).min(self.side);
                band(cx - w / 2.0, below, w, 2.5, out);
                (below + 3.4, &bg, w - 2.0)
            }
            FrameTemplate::Bubble => {
                band(self.margin, below + 1.0, self.symbol, 1.5, out);
                // The pointer, up towards the code (it stays below the quiet zone).
                let _ = write!(
                    out,
                    r#"<path fill="{fg}" d="M{l} {b}l1.2 -1.2l1.2 1.2z"/>"#,
                    l = cx - 1.2,
                    b = below + 1.2,
                );
                (below + 4.4, &bg, self.symbol)
            }
            FrameTemplate::Box | FrameTemplate::Ticket => {
                let _ = write!(
                    out,
                    r#"<rect x="0.3" y="0.3" width="{w}" height="{h}" rx="2" fill="none" stroke="{fg}" stroke-width="0.6"/>"#,
                    w = self.width - 0.6,
                    h = self.height - 0.6,
                );
                if template == FrameTemplate::Ticket {
                    let _ = write!(
                        out,
                        r#"<path d="M1 {below}H{end}" stroke="{fg}" stroke-width="0.3" stroke-dasharray="0.8 0.6"/>"#,
                        end = self.width - 1.0,
                    );
                }
                (below + 3.9, &fg, self.side - 1.0)
            }
        };
        // Bold DejaVu averages ~0.7 em a character: long captions get a smaller font so they
        // stay inside the frame.
        let chars = frame.text.chars().count().max(1) as f32;
        let font = ((text_width * 0.92 / (chars * 0.7)).min(2.6) * 100.0).round() / 100.0;
        let _ = write!(
            out,
            r#"<text x="{cx}" y="{text_y}" fill="{text_fill}" font-family="DejaVu Sans, Arial, sans-serif" font-weight="700" font-size="{font}" text-anchor="middle">{text}</text>"#,
            // `text_y` is the band's middle; capitals are ~0.72 em tall.
            text_y = text_y - 0.9 + 0.36 * font,
            text = shared::ui::escape(&frame.text),
        );
    }
}
