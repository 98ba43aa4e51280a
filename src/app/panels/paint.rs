//! Drawing helpers shared by the plots: colour maps, fields → textures (cached by a key so an
//! unchanged field is never re-uploaded), data points and level-set segments.

use std::collections::HashMap;

use eframe::egui;
use egui::{Color32, ColorImage, TextureHandle, TextureId, TextureOptions};
use egui_plot::{PlotImage, PlotPoint, PlotTransform};

use crate::geometry::grid::Grid;

/// Colour of the +1 class / positive outputs (blue) and the −1 class (orange), as in
/// TensorFlow Playground.
/// The working-set solver's priced regions: their directions dashed in the regions plot, the
/// rounds that priced them dotted on the objective plot (distinct from the neurons' orange and
/// blue and from the SGD seeds' pastel lines).
pub const PRICED: Color32 = Color32::from_rgb(230, 40, 200);
pub const POS: Color32 = Color32::from_rgb(40, 110, 220);
/// Negative class colour.
pub const NEG: Color32 = Color32::from_rgb(240, 140, 30);

/// The convex solver's upper bound (its network's objective).
pub const UPPER: Color32 = Color32::from_rgb(220, 60, 60);
/// The certified lower bound.
pub const LOWER: Color32 = Color32::from_rgb(60, 150, 220);
/// The cursor (the step shown).
pub const CURSOR: Color32 = Color32::from_rgb(230, 200, 40);
/// Highlighted text (the hovered or picked neuron): yellow on the dark theme, a dark amber
/// that keeps its contrast on the light one (yellow on white does not read).
pub fn highlight_text(dark: bool) -> Color32 {
    if dark {
        Color32::YELLOW
    } else {
        Color32::from_rgb(150, 100, 0)
    }
}
/// The optimum of the program a relaxation relaxes (the ReLU optimum above the gated one).
pub const RELAXES: Color32 = Color32::from_rgb(170, 90, 200);

/// SGD seeds (and classes beyond two): a qualitative palette after Paul Tol's and Okabe & Ito's
/// colour-blind-safe sets, of middle lightness so that thin lines read on both themes, without
/// the reds, blues and yellows of the bounds and the cursor. Tested: every pair of seeds, and
/// every seed against the bound colours, differ by ΔE ≥ 20 in CIELAB, and each seed stands off
/// both backgrounds.
const SEEDS: [Color32; 8] = [
    Color32::from_rgb(34, 136, 51),   // green
    Color32::from_rgb(170, 51, 119),  // purple
    Color32::from_rgb(68, 170, 153),  // teal
    Color32::from_rgb(153, 102, 51),  // brown
    Color32::from_rgb(204, 121, 167), // pink
    Color32::from_rgb(153, 153, 51),  // olive
    Color32::from_rgb(119, 102, 204), // violet
    Color32::from_rgb(136, 136, 136), // grey
];

/// Per-seed colours of SGD curves and markers (the palette repeats after eight seeds).
pub fn seed_color(k: usize) -> Color32 {
    SEEDS[k % SEEDS.len()]
}

/// Diverging map for `t ∈ [−1, 1]`: orange → background → blue.
pub fn diverging(t: f64, dark: bool) -> Color32 {
    let t = t.clamp(-1.0, 1.0) as f32;
    let base = if dark {
        Color32::from_rgb(30, 30, 34)
    } else {
        Color32::from_rgb(245, 245, 245)
    };
    let end = if t >= 0.0 { POS } else { NEG };
    lerp(base, end, t.abs().powf(0.8) * 0.85)
}

/// Linear blend.
pub fn lerp(a: Color32, b: Color32, s: f32) -> Color32 {
    let f = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * s).round() as u8;
    Color32::from_rgb(f(a.r(), b.r()), f(a.g(), b.g()), f(a.b(), b.b()))
}

/// A pastel colour per region fingerprint (0 = no neuron on: background).
pub fn region_color(fp: u64, dark: bool) -> Color32 {
    if fp == 0 {
        return if dark {
            Color32::from_rgb(28, 28, 32)
        } else {
            Color32::from_rgb(250, 250, 250)
        };
    }
    let hue = (fp >> 11) as f32 / (1u64 << 53) as f32;
    let (s, v) = if dark { (0.45, 0.45) } else { (0.30, 0.97) };
    egui::ecolor::Hsva::new(hue, s, v, 1.0).into()
}

/// A field as an image (row 0 of the grid is the bottom row of the image).
pub fn grid_image(g: &Grid, color: impl Fn(f64) -> Color32) -> ColorImage {
    let mut img = ColorImage::filled([g.nx, g.ny], Color32::BLACK);
    for r in 0..g.ny {
        for c in 0..g.nx {
            img.pixels[(g.ny - 1 - r) * g.nx + c] = color(g.values[r * g.nx + c]);
        }
    }
    img
}

/// Image of per-cell labels.
pub fn label_image(
    nx: usize,
    ny: usize,
    labels: &[u64],
    color: impl Fn(usize, u64) -> Color32,
) -> ColorImage {
    let mut img = ColorImage::filled([nx, ny], Color32::BLACK);
    for r in 0..ny {
        for c in 0..nx {
            let k = r * nx + c;
            img.pixels[(ny - 1 - r) * nx + c] = color(k, labels[k]);
        }
    }
    img
}

/// Textures by name, re-uploaded only when their key changes.
#[derive(Default)]
pub struct TexCache {
    map: HashMap<String, (u64, TextureHandle)>,
}

impl TexCache {
    /// The texture `name` for `key`, built by `make` if the key changed.
    pub fn get(
        &mut self,
        ctx: &egui::Context,
        name: &str,
        key: u64,
        make: impl FnOnce() -> ColorImage,
    ) -> TextureId {
        if let Some((k, h)) = self.map.get(name)
            && *k == key
        {
            return h.id();
        }
        let opts = TextureOptions::LINEAR;
        let h = ctx.load_texture(name, make(), opts);
        let id = h.id();
        self.map.insert(name.to_string(), (key, h));
        id
    }
}

/// A plot image covering `extent = [x0, x1, y0, y1]`.
pub fn plot_image(name: &str, tex: TextureId, extent: [f64; 4]) -> PlotImage {
    PlotImage::new(
        name,
        tex,
        PlotPoint::new((extent[0] + extent[1]) / 2.0, (extent[2] + extent[3]) / 2.0),
        egui::vec2(
            (extent[1] - extent[0]) as f32,
            (extent[3] - extent[2]) as f32,
        ),
    )
    .allow_hover(false)
}

/// Paints segments given in plot coordinates, clipped to the plot frame.
pub fn paint_segments(
    ui: &egui::Ui,
    transform: &PlotTransform,
    segs: &[[[f64; 2]; 2]],
    stroke: egui::Stroke,
) {
    let painter = ui.painter().with_clip_rect(*transform.frame());
    for s in segs {
        let a = transform.position_from_point(&PlotPoint::new(s[0][0], s[0][1]));
        let b = transform.position_from_point(&PlotPoint::new(s[1][0], s[1][1]));
        painter.line_segment([a, b], stroke);
    }
}

/// A hash of the things that determine a texture.
pub fn key(parts: &[u64]) -> u64 {
    parts.iter().fold(0x51_7c_c1_b7_27_22_0a_95, |h, p| {
        crate::geometry::grid::splitmix(h ^ p)
    })
}

/// Clips the line `u₀x + u₁y + u₂ = 0` to the box; `None` if it misses it.
pub fn clip_line(u: &[f64; 3], e: [f64; 4]) -> Option<[[f64; 2]; 2]> {
    let mut pts: Vec<[f64; 2]> = Vec::with_capacity(4);
    if u[1].abs() > 1e-12 {
        for x in [e[0], e[1]] {
            let y = -(u[0] * x + u[2]) / u[1];
            if y >= e[2] && y <= e[3] {
                pts.push([x, y]);
            }
        }
    }
    if u[0].abs() > 1e-12 {
        for y in [e[2], e[3]] {
            let x = -(u[1] * y + u[2]) / u[0];
            if x >= e[0] && x <= e[1] {
                pts.push([x, y]);
            }
        }
    }
    pts.dedup_by(|a, b| (a[0] - b[0]).abs() < 1e-12 && (a[1] - b[1]).abs() < 1e-12);
    if pts.len() < 2 {
        return None;
    }
    // The two most distant crossings.
    let mut best = (0, 1, -1.0);
    for i in 0..pts.len() {
        for j in i + 1..pts.len() {
            let d = (pts[i][0] - pts[j][0]).hypot(pts[i][1] - pts[j][1]);
            if d > best.2 {
                best = (i, j, d);
            }
        }
    }
    Some([pts[best.0], pts[best.1]])
}

#[cfg(test)]
mod palette_tests {
    use super::*;

    /// sRGB → CIELAB (D65).
    fn lab(c: Color32) -> [f64; 3] {
        let lin = |u: u8| {
            let v = f64::from(u) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let (r, g, b) = (lin(c.r()), lin(c.g()), lin(c.b()));
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        let (fx, fy, fz) = (f(x), f(y), f(z));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    fn delta_e(a: Color32, b: Color32) -> f64 {
        let (p, q) = (lab(a), lab(b));
        ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
    }

    #[test]
    fn seeds_differ_from_each_other_from_the_bounds_and_from_both_backgrounds() {
        for i in 0..SEEDS.len() {
            for j in i + 1..SEEDS.len() {
                let d = delta_e(seed_color(i), seed_color(j));
                assert!(d >= 20.0, "seeds {} and {}: ΔE {d:.1}", i + 1, j + 1);
            }
            for (name, c) in [
                ("upper", UPPER),
                ("lower", LOWER),
                ("cursor", CURSOR),
                ("priced", PRICED),
                ("relaxed optimum", RELAXES),
            ] {
                let d = delta_e(seed_color(i), c);
                assert!(d >= 20.0, "seed {} vs {name}: ΔE {d:.1}", i + 1);
            }
            let l = lab(seed_color(i))[0];
            // Dark plot background L ≈ 10, light ≈ 97: every seed at least 25 away from both.
            assert!((35.0..=72.0).contains(&l), "seed {}: L* {l:.1}", i + 1);
        }
    }
}
