//! The geometry of every module and eye shape, once, in module units: the SVG writes it as path
//! data and the PNG stamper fills it with tiny-skia, so the two formats draw the same shapes.

use std::fmt::Write;

use resvg::tiny_skia::PathBuilder;

use super::{EYE_RING_RADIUS, EYE_STONE_RADIUS};
use crate::style::{EyeShape, ModuleShape};

/// A filled outline, in module units relative to the shape's own top-left corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outline {
    /// A rectangle whose corners (top-left, top-right, bottom-right, bottom-left) are rounded
    /// by these radii (0 = square).
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        radii: [f32; 4],
    },
    Circle {
        cx: f32,
        cy: f32,
        r: f32,
    },
    /// A square turned 45°, its corners on the edges' midpoints of the box at (x, y).
    Diamond {
        x: f32,
        y: f32,
        w: f32,
    },
}

const fn rect(x: f32, y: f32, w: f32, radii: [f32; 4]) -> Outline {
    Outline::Rect {
        x,
        y,
        w,
        h: w,
        radii,
    }
}

/// One dark module (a 1×1 box).
pub fn module(shape: ModuleShape) -> Outline {
    match shape {
        ModuleShape::Square => rect(0.0, 0.0, 1.0, [0.0; 4]),
        ModuleShape::Rounded => rect(0.0, 0.0, 1.0, [0.3; 4]),
        ModuleShape::Dots => Outline::Circle {
            cx: 0.5,
            cy: 0.5,
            r: 0.45,
        },
        ModuleShape::Diamond => Outline::Diamond {
            x: 0.0,
            y: 0.0,
            w: 1.0,
        },
        ModuleShape::Leaf => rect(0.0, 0.0, 1.0, [0.5, 0.0, 0.5, 0.0]),
        ModuleShape::Bars => Outline::Rect {
            x: 0.12,
            y: 0.0,
            w: 0.76,
            h: 1.0,
            radii: [0.0; 4],
        },
    }
}

/// Leaf eyes' rounded corners, in modules. Larger radii look leafier, but from 2 modules on the
/// finder's corners move far enough that rqrr misreads level-L codes.
const LEAF_RING_RADIUS: f32 = 0.6;
const LEAF_STONE_RADIUS: f32 = 0.9;

/// A finder pattern (a 7×7 box): the ring's outside, the ring's hole, and the stone.
pub fn eye(shape: EyeShape) -> [Outline; 3] {
    let hole = rect(1.0, 1.0, 5.0, [0.0; 4]);
    match shape {
        EyeShape::Square => [
            rect(0.0, 0.0, 7.0, [0.0; 4]),
            hole,
            rect(2.0, 2.0, 3.0, [0.0; 4]),
        ],
        EyeShape::Rounded => [
            rect(0.0, 0.0, 7.0, [EYE_RING_RADIUS; 4]),
            hole,
            rect(2.0, 2.0, 3.0, [EYE_STONE_RADIUS; 4]),
        ],
        EyeShape::Dot => [
            rect(0.0, 0.0, 7.0, [0.0; 4]),
            hole,
            Outline::Circle {
                cx: 3.5,
                cy: 3.5,
                r: 1.5,
            },
        ],
        // Two opposite corners only, so two of each pattern's corners stay where decoders
        // look for them.
        EyeShape::Leaf => [
            rect(
                0.0,
                0.0,
                7.0,
                [LEAF_RING_RADIUS, 0.0, LEAF_RING_RADIUS, 0.0],
            ),
            hole,
            rect(
                2.0,
                2.0,
                3.0,
                [LEAF_STONE_RADIUS, 0.0, LEAF_STONE_RADIUS, 0.0],
            ),
        ],
    }
}

impl Outline {
    /// SVG path data for this outline moved to (`ox`, `oy`), appended to `out`.
    pub fn write_svg(&self, out: &mut String, ox: f32, oy: f32) {
        match *self {
            Outline::Rect { x, y, w, h, radii } => {
                let (x, y) = (ox + x, oy + y);
                let [tl, tr, br, bl] = radii;
                let _ = write!(out, "M{} {}h{}", x + tl, y, w - tl - tr);
                corner(out, tr, tr, tr);
                let _ = write!(out, "v{}", h - tr - br);
                corner(out, br, -br, br);
                let _ = write!(out, "h{}", -(w - br - bl));
                corner(out, bl, -bl, -bl);
                // A square top-left corner is where the path started: `z` draws the last edge.
                if tl > 0.0 {
                    let _ = write!(out, "v{}", -(h - bl - tl));
                    corner(out, tl, tl, -tl);
                }
                out.push('z');
            }
            Outline::Circle { cx, cy, r } => {
                let _ = write!(
                    out,
                    "M{} {}a{r} {r} 0 1 1 0 {d}a{r} {r} 0 1 1 0 -{d}z",
                    ox + cx,
                    oy + cy - r,
                    d = 2.0 * r
                );
            }
            Outline::Diamond { x, y, w } => {
                let half = w / 2.0;
                let _ = write!(
                    out,
                    "M{} {}l{half} {half}l-{half} {half}l-{half} -{half}z",
                    ox + x + half,
                    oy + y
                );
            }
        }
    }

    /// The same outline for tiny-skia, scaled by `unit` pixels per module.
    pub fn push_to(&self, pb: &mut PathBuilder, unit: f32) {
        match *self {
            Outline::Rect { x, y, w, h, radii } => {
                let [tl, tr, br, bl] = radii.map(|r| r * unit);
                let (x, y, w, h) = (x * unit, y * unit, w * unit, h * unit);
                pb.move_to(x + tl, y);
                pb.line_to(x + w - tr, y);
                if tr > 0.0 {
                    pb.cubic_to(
                        x + w - tr + K * tr,
                        y,
                        x + w,
                        y + tr - K * tr,
                        x + w,
                        y + tr,
                    );
                }
                pb.line_to(x + w, y + h - br);
                if br > 0.0 {
                    pb.cubic_to(
                        x + w,
                        y + h - br + K * br,
                        x + w - br + K * br,
                        y + h,
                        x + w - br,
                        y + h,
                    );
                }
                pb.line_to(x + bl, y + h);
                if bl > 0.0 {
                    pb.cubic_to(
                        x + bl - K * bl,
                        y + h,
                        x,
                        y + h - bl + K * bl,
                        x,
                        y + h - bl,
                    );
                }
                pb.line_to(x, y + tl);
                if tl > 0.0 {
                    pb.cubic_to(x, y + tl - K * tl, x + tl - K * tl, y, x + tl, y);
                }
                pb.close();
            }
            Outline::Circle { cx, cy, r } => pb.push_circle(cx * unit, cy * unit, r * unit),
            Outline::Diamond { x, y, w } => {
                let (x, y, half) = (x * unit, y * unit, w * unit / 2.0);
                pb.move_to(x + half, y);
                pb.line_to(x + 2.0 * half, y + half);
                pb.line_to(x + half, y + 2.0 * half);
                pb.line_to(x, y + half);
                pb.close();
            }
        }
    }
}

/// Quarter circles as cubics: the usual circle approximation's control distance.
const K: f32 = 0.552_284_8;

/// A quarter-circle corner of radius `r` ending (`dx`, `dy`) away, clockwise; nothing if square.
fn corner(out: &mut String, r: f32, dx: f32, dy: f32) {
    if r > 0.0 {
        let _ = write!(out, "a{r} {r} 0 0 1 {dx} {dy}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_outlines_are_numbers_only_and_close() {
        let mut out = String::new();
        module(ModuleShape::Leaf).write_svg(&mut out, 4.0, 5.0);
        assert_eq!(
            out,
            "M4.5 5h0.5v0.5a0.5 0.5 0 0 1 -0.5 0.5h-0.5v-0.5a0.5 0.5 0 0 1 0.5 -0.5z"
        );
        for shape in ModuleShape::ALL {
            let mut out = String::new();
            module(shape).write_svg(&mut out, 1.0, 1.0);
            assert!(
                out.starts_with('M') && out.ends_with('z'),
                "{shape:?}: {out}"
            );
            assert!(
                out.chars()
                    .all(|c| c.is_ascii_digit() || " .-Mahlvz".contains(c)),
                "{out}"
            );
        }
    }
}
