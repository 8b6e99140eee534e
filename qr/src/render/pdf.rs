//! Vector PDF for print shops: the same SVG the other formats draw, parsed by usvg (which turns
//! the caption into outlines, so no font is embedded or needed at the printer), written as PDF
//! paths and shadings. The logo is the only raster: our own re-encoded PNG, as an RGB image with
//! its alpha as a soft mask.
//!
//! Why not the svg2pdf crate: its newest release is built on an older usvg than resvg's, and
//! two usvg generations in one binary is more than this small writer.

use std::io::Write as _;

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref};
use resvg::tiny_skia::{PathSegment, Point, Transform};
use resvg::usvg::{self, Node, Paint};

use super::frame::Layout;
use super::logo::{self, LogoImage};
use super::{Matrix, RenderError, svg};
use crate::style::Style;

/// The code's printed width (with its quiet zone and frame): 80 mm, the print sheets' default.
/// A PDF is vector, so a print shop can scale it freely.
const PAGE_WIDTH_PT: f32 = 80.0 / 25.4 * 72.0;

pub fn pdf(
    matrix: &Matrix,
    style: &Style,
    logo: Option<&LogoImage>,
) -> Result<Vec<u8>, RenderError> {
    let image = match logo {
        Some(image) if style.logo.is_some() => Some(image.decode()?),
        _ => None,
    };
    // Without the logo's <image>, as for PNG: it is placed below, from the decoded pixels.
    let source = svg(matrix, style);
    let options = usvg::Options {
        fontdb: super::png::fonts(),
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..Default::default()
    };
    let tree =
        usvg::Tree::from_str(&source, &options).map_err(|e| RenderError::Raster(e.to_string()))?;
    let size = tree.size();
    let k = PAGE_WIDTH_PT / size.width();
    let page_height = size.height() * k;

    let mut writer = Writer {
        pdf: Pdf::new(),
        content: Content::new(),
        next_id: 10,
        shadings: Vec::new(),
        images: Vec::new(),
    };
    // From here on the content is drawn in the tree's canvas units, y down, as in the SVG.
    writer
        .content
        .transform([k, 0.0, 0.0, -k, 0.0, page_height]);
    writer.group(tree.root());

    let layout = Layout::of(matrix, style);
    let clear = logo::clear_area(matrix, style);
    if let Some(image) = &image
        && clear.side > 0
    {
        let per_module = size.width() / layout.width;
        let (at, side) = clear.inner();
        let module = f32::from(style.margin) + at;
        writer.logo(
            image,
            (layout.code_x + module) * per_module,
            (layout.code_y + module) * per_module,
            side * per_module,
        );
    }
    Ok(writer.finish(PAGE_WIDTH_PT, page_height))
}

struct Writer {
    pdf: Pdf,
    content: Content,
    next_id: i32,
    shadings: Vec<Ref>,
    images: Vec<Ref>,
}

impl Writer {
    fn alloc(&mut self) -> Ref {
        self.next_id += 1;
        Ref::new(self.next_id)
    }

    fn group(&mut self, group: &usvg::Group) {
        for node in group.children() {
            match node {
                Node::Group(inner) => self.group(inner),
                Node::Path(path) => self.path(path),
                // Captions: their outlines (usvg shaped them with the embedded font).
                Node::Text(text) => self.group(text.flattened()),
                // Our SVG has no images (the logo is placed by `pdf`).
                Node::Image(_) => {}
            }
        }
    }

    fn path(&mut self, path: &usvg::Path) {
        if !path.is_visible() {
            return;
        }
        let transform = path.abs_transform();
        if let Some(fill) = path.fill() {
            let even_odd = fill.rule() == usvg::FillRule::EvenOdd;
            match fill.paint() {
                Paint::Color(c) => {
                    self.content.set_fill_rgb(
                        f32::from(c.red) / 255.0,
                        f32::from(c.green) / 255.0,
                        f32::from(c.blue) / 255.0,
                    );
                    self.outline(path, transform);
                    if even_odd {
                        self.content.fill_even_odd();
                    } else {
                        self.content.fill_nonzero();
                    }
                }
                paint @ (Paint::LinearGradient(_) | Paint::RadialGradient(_)) => {
                    // The path clips a shading drawn in the same (canvas) space.
                    self.content.save_state();
                    self.outline(path, transform);
                    if even_odd {
                        self.content.clip_even_odd();
                    } else {
                        self.content.clip_nonzero();
                    }
                    self.content.end_path();
                    let name = self.shading(paint, transform);
                    self.content.shading(Name(name.as_bytes()));
                    self.content.restore_state();
                }
                Paint::Pattern(_) => {}
            }
        }
        if let Some(stroke) = path.stroke()
            && let Paint::Color(c) = stroke.paint()
        {
            self.content.save_state();
            self.content.set_stroke_rgb(
                f32::from(c.red) / 255.0,
                f32::from(c.green) / 255.0,
                f32::from(c.blue) / 255.0,
            );
            // Stroke widths are in the path's units; our SVG never scales a stroked path.
            self.content
                .set_line_width(stroke.width().get() * transform.sx);
            if let Some(dashes) = stroke.dasharray() {
                self.content
                    .set_dash_pattern(dashes.iter().map(|d| d * transform.sx), stroke.dashoffset());
            }
            self.outline(path, transform);
            self.content.stroke();
            self.content.restore_state();
        }
    }

    /// The path's segments, mapped to canvas coordinates.
    fn outline(&mut self, path: &usvg::Path, transform: Transform) {
        let map = |mut p: Point| {
            transform.map_point(&mut p);
            p
        };
        let mut last = Point::zero();
        for segment in path.data().segments() {
            match segment {
                PathSegment::MoveTo(p) => {
                    let p = map(p);
                    self.content.move_to(p.x, p.y);
                    last = p;
                }
                PathSegment::LineTo(p) => {
                    let p = map(p);
                    self.content.line_to(p.x, p.y);
                    last = p;
                }
                PathSegment::QuadTo(c, p) => {
                    // A quadratic as the cubic with the same curve.
                    let (c, p) = (map(c), map(p));
                    let c1 = Point::from_xy(
                        last.x + 2.0 / 3.0 * (c.x - last.x),
                        last.y + 2.0 / 3.0 * (c.y - last.y),
                    );
                    let c2 = Point::from_xy(
                        p.x + 2.0 / 3.0 * (c.x - p.x),
                        p.y + 2.0 / 3.0 * (c.y - p.y),
                    );
                    self.content.cubic_to(c1.x, c1.y, c2.x, c2.y, p.x, p.y);
                    last = p;
                }
                PathSegment::CubicTo(c1, c2, p) => {
                    let (c1, c2, p) = (map(c1), map(c2), map(p));
                    self.content.cubic_to(c1.x, c1.y, c2.x, c2.y, p.x, p.y);
                    last = p;
                }
                PathSegment::Close => {
                    self.content.close_path();
                }
            }
        }
    }

    /// A two-colour axial or radial shading (our gradients have two stops), in canvas space;
    /// returns its resource name.
    fn shading(&mut self, paint: &Paint, path_transform: Transform) -> String {
        let (base, coords): (&usvg::BaseGradient, Vec<f32>) = match paint {
            Paint::LinearGradient(g) => {
                let t = path_transform.pre_concat(g.transform());
                let (mut a, mut b) = (
                    Point::from_xy(g.x1(), g.y1()),
                    Point::from_xy(g.x2(), g.y2()),
                );
                t.map_point(&mut a);
                t.map_point(&mut b);
                (g, vec![a.x, a.y, b.x, b.y])
            }
            Paint::RadialGradient(g) => {
                let t = path_transform.pre_concat(g.transform());
                let (mut c, mut f) = (
                    Point::from_xy(g.cx(), g.cy()),
                    Point::from_xy(g.fx(), g.fy()),
                );
                t.map_point(&mut c);
                t.map_point(&mut f);
                let r = g.r().get() * t.sx;
                (g, vec![f.x, f.y, 0.0, c.x, c.y, r])
            }
            _ => unreachable!("only gradients have shadings"),
        };
        let rgb = |c: usvg::Color| [c.red, c.green, c.blue].map(|v| f32::from(v) / 255.0);
        let stops = base.stops();
        let (first, last) = match (stops.first(), stops.last()) {
            (Some(a), Some(b)) => (rgb(a.color()), rgb(b.color())),
            _ => ([0.0; 3], [0.0; 3]),
        };
        let function = self.alloc();
        self.pdf
            .exponential_function(function)
            .domain([0.0, 1.0])
            .c0(first)
            .c1(last)
            .n(1.0);
        let id = self.alloc();
        let mut shading = self.pdf.function_shading(id);
        shading.shading_type(if coords.len() == 4 {
            pdf_writer::types::FunctionShadingType::Axial
        } else {
            pdf_writer::types::FunctionShadingType::Radial
        });
        shading.color_space().device_rgb();
        shading
            .coords(coords)
            .function(function)
            .extend([true, true]);
        shading.finish();
        self.shadings.push(id);
        format!("Sh{}", self.shadings.len() - 1)
    }

    /// The logo as an image XObject (RGB, its alpha a soft mask) drawn into the square at
    /// (`x`, `y`) of `side` canvas units, fitted with its aspect kept.
    fn logo(&mut self, image: &image::RgbaImage, x: f32, y: f32, side: f32) {
        let (w, h) = (image.width().max(1), image.height().max(1));
        let rgb: Vec<u8> = image.pixels().flat_map(|p| [p[0], p[1], p[2]]).collect();
        let alpha: Vec<u8> = image.pixels().map(|p| p[3]).collect();
        let (rgb, alpha) = (deflate(&rgb), deflate(&alpha));
        let mask = self.alloc();
        let mut smask = self.pdf.image_xobject(mask, &alpha);
        smask.filter(Filter::FlateDecode);
        smask.width(w as i32).height(h as i32).bits_per_component(8);
        smask.color_space().device_gray();
        smask.finish();
        let id = self.alloc();
        let mut xobject = self.pdf.image_xobject(id, &rgb);
        xobject.filter(Filter::FlateDecode);
        xobject
            .width(w as i32)
            .height(h as i32)
            .bits_per_component(8)
            .s_mask(mask);
        xobject.color_space().device_rgb();
        xobject.finish();
        self.images.push(id);
        let scale = side / w.max(h) as f32;
        let (dw, dh) = (w as f32 * scale, h as f32 * scale);
        let (left, top) = (x + (side - dw) / 2.0, y + (side - dh) / 2.0);
        let name = format!("Im{}", self.images.len() - 1);
        self.content.save_state();
        // The image space is the unit square with y up; the canvas is y down.
        self.content.transform([dw, 0.0, 0.0, -dh, left, top + dh]);
        self.content.x_object(Name(name.as_bytes()));
        self.content.restore_state();
    }

    fn finish(mut self, width: f32, height: f32) -> Vec<u8> {
        let (catalog, pages, page, contents) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
        self.pdf.catalog(catalog).pages(pages);
        self.pdf.pages(pages).kids([page]).count(1);
        let stream = deflate(&self.content.finish());
        self.pdf
            .stream(contents, &stream)
            .filter(Filter::FlateDecode);
        let mut page_writer = self.pdf.page(page);
        page_writer
            .parent(pages)
            .media_box(Rect::new(0.0, 0.0, width, height))
            .contents(contents);
        let mut resources = page_writer.resources();
        let mut shadings = resources.shadings();
        for (i, id) in self.shadings.iter().enumerate() {
            shadings.pair(Name(format!("Sh{i}").as_bytes()), *id);
        }
        shadings.finish();
        let mut x_objects = resources.x_objects();
        for (i, id) in self.images.iter().enumerate() {
            x_objects.pair(Name(format!("Im{i}").as_bytes()), *id);
        }
        x_objects.finish();
        resources.finish();
        page_writer.finish();
        self.pdf.finish()
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}
