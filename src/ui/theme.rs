//! Branding and looks: the window icon and logo from `assets/`, and the light/dark/system theme switch.
//! With `fonts` (the bundled fallback fonts), the only place that embeds files from `assets/`.

use crate::app::settings::ThemeChoice;

/// The app icon, 256×256 RGBA PNG.
const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");

/// The product name shown in the title bar and the top bar.
pub const APP_NAME: &str = "Profile Editor";

/// The window icon for `eframe::NativeOptions`.
pub fn icon_data() -> egui::IconData {
    match image::load_from_memory_with_format(ICON_PNG, image::ImageFormat::Png) {
        Ok(image) => {
            let image = image.into_rgba8();
            let (width, height) = image.dimensions();
            egui::IconData {
                rgba: image.into_raw(),
                width,
                height,
            }
        }
        Err(error) => {
            // The PNG is compiled in and checked by a unit test, so this is a build problem, not a user one.
            tracing::error!("the embedded icon is not a PNG: {error:#}");
            egui::IconData::default()
        }
    }
}

/// The logo as a texture, for the top bar and the login card. Uploaded once per context.
pub fn logo_texture(ctx: &egui::Context) -> egui::TextureHandle {
    let icon = icon_data();
    let size = [icon.width as usize, icon.height as usize];
    let image = if icon.is_empty() {
        egui::ColorImage::filled([1, 1], egui::Color32::TRANSPARENT)
    } else {
        egui::ColorImage::from_rgba_unmultiplied(size, &icon.rgba)
    };
    ctx.load_texture("profile-editor-logo", image, egui::TextureOptions::LINEAR)
}

/// How strongly an error banner's fill is tinted with the error colour (its text contrast is tested below).
pub const ERROR_BANNER_TINT: f32 = 0.15;

/// The frame of an error banner: a tinted fill with an error-coloured border.
pub fn error_banner_frame(visuals: &egui::Visuals) -> egui::Frame {
    egui::Frame::new()
        .fill(visuals.error_fg_color.gamma_multiply(ERROR_BANNER_TINT))
        .stroke(egui::Stroke::new(1.0, visuals.error_fg_color))
        .inner_margin(6.0)
        .corner_radius(4.0)
}

/// Makes egui follow `choice`, with the app's visuals for both themes.
pub fn apply(ctx: &egui::Context, choice: ThemeChoice) {
    ctx.set_visuals_of(egui::Theme::Light, light_visuals());
    ctx.set_visuals_of(egui::Theme::Dark, dark_visuals());
    let preference = match choice {
        ThemeChoice::System => egui::ThemePreference::System,
        ThemeChoice::Light => egui::ThemePreference::Light,
        ThemeChoice::Dark => egui::ThemePreference::Dark,
    };
    ctx.set_theme(preference);
}

/// The WCAG 2.1 AA minimum contrast of text against its background.
pub const MIN_TEXT_CONTRAST: f32 = 4.5;

/// The WCAG 2.1 AA minimum contrast of a control's boundary or focus ring against what is next to it.
pub const MIN_NON_TEXT_CONTRAST: f32 = 3.0;

/// egui's light visuals, changed to meet WCAG 2.1 AA: inputs get a visible border (egui draws none, and its
/// white field on a near-white panel is about 1.05:1), and the weak, link, warning and error colours are
/// darkened until they read at 4.5:1 on the panel.
pub fn light_visuals() -> egui::Visuals {
    use egui::{Color32, Stroke};
    let mut visuals = egui::Visuals::light();
    // Borders of text fields, checkboxes and buttons at rest (grey 118 on white is 4.7:1).
    visuals.widgets.inactive.bg_stroke = Stroke::new(1.0, Color32::from_gray(118));
    visuals.widgets.noninteractive.fg_stroke.color = Color32::from_gray(60);
    visuals.weak_text_color = Some(Color32::from_gray(100));
    visuals.hyperlink_color = Color32::from_rgb(0x00, 0x5a, 0xb4);
    visuals.warn_fg_color = Color32::from_rgb(0xa0, 0x50, 0x00);
    visuals.error_fg_color = Color32::from_rgb(0xb0, 0x00, 0x00);
    visuals
}

/// egui's dark visuals, changed to meet WCAG 2.1 AA: inputs get a visible border (egui draws none), the
/// weak text is a solid grey instead of a translucent one, and the error red is lightened.
pub fn dark_visuals() -> egui::Visuals {
    use egui::{Color32, Stroke};
    let mut visuals = egui::Visuals::dark();
    visuals.widgets.inactive.bg_stroke = Stroke::new(1.0, Color32::from_gray(120));
    visuals.widgets.noninteractive.fg_stroke.color = Color32::from_gray(190);
    visuals.weak_text_color = Some(Color32::from_gray(150));
    visuals.error_fg_color = Color32::from_rgb(0xff, 0x6b, 0x6b);
    visuals
}

/// Green for "valid", readable on the panel of either theme.
pub fn ok_color(visuals: &egui::Visuals) -> egui::Color32 {
    if visuals.dark_mode {
        egui::Color32::from_rgb(0x6c, 0xc6, 0x6c)
    } else {
        egui::Color32::from_rgb(0x1e, 0x7b, 0x1e)
    }
}

/// Amber for "changed, not saved yet", readable on the panel of either theme.
pub fn changed_color(visuals: &egui::Visuals) -> egui::Color32 {
    if visuals.dark_mode {
        egui::Color32::from_rgb(0xf0, 0xb4, 0x29)
    } else {
        egui::Color32::from_rgb(0x8a, 0x52, 0x00)
    }
}

/// WCAG 2.1 relative luminance of an opaque sRGB colour.
pub fn relative_luminance(color: egui::Color32) -> f32 {
    let channel = |c: u8| {
        let c = f32::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(color.r()) + 0.7152 * channel(color.g()) + 0.0722 * channel(color.b())
}

/// `color` (possibly translucent, premultiplied as egui keeps it) painted over the opaque `background`.
pub fn composite(color: egui::Color32, background: egui::Color32) -> egui::Color32 {
    let alpha = u16::from(color.a());
    let over = |c: u8, b: u8| {
        let value = u16::from(c) + u16::from(b) * (255 - alpha) / 255;
        u8::try_from(value.min(255)).unwrap_or(u8::MAX)
    };
    egui::Color32::from_rgb(
        over(color.r(), background.r()),
        over(color.g(), background.g()),
        over(color.b(), background.b()),
    )
}

/// WCAG 2.1 contrast ratio (1 to 21) of `foreground` painted over the opaque `background`.
pub fn contrast_ratio(foreground: egui::Color32, background: egui::Color32) -> f32 {
    let a = relative_luminance(composite(foreground, background));
    let b = relative_luminance(background);
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// The theme switch for the top bar: three small toggles, System / Light / Dark (in reading order, also in a
/// right-to-left layout). Returns the new choice when the user picked one.
pub fn theme_switch_ui(ui: &mut egui::Ui, current: ThemeChoice) -> Option<ThemeChoice> {
    let mut options = [
        (
            ThemeChoice::System,
            "System",
            "Follow the system's light or dark setting",
        ),
        (ThemeChoice::Light, "Light", "Always light"),
        (ThemeChoice::Dark, "Dark", "Always dark"),
    ];
    if ui.layout().prefer_right_to_left() {
        options.reverse();
    }
    let mut choice = current;
    for (value, text, hover) in options {
        ui.selectable_value(&mut choice, value, text)
            .on_hover_text(hover);
    }
    (choice != current).then_some(choice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_icon_is_a_square_png() {
        let icon = icon_data();
        assert!(!icon.is_empty());
        assert_eq!(icon.width, icon.height);
        assert_eq!(icon.rgba.len(), (icon.width * icon.height * 4) as usize);
    }

    /// Every pair the app draws, as (what, foreground, background, minimum).
    fn pairs(visuals: &egui::Visuals) -> Vec<(&'static str, egui::Color32, egui::Color32, f32)> {
        let panel = visuals.panel_fill;
        let window = visuals.window_fill;
        let field = visuals.text_edit_bg_color();
        let stripe = composite(visuals.faint_bg_color, panel);
        let w = &visuals.widgets;
        let mut pairs = vec![
            (
                "text on panel",
                visuals.text_color(),
                panel,
                MIN_TEXT_CONTRAST,
            ),
            (
                "text on window",
                visuals.text_color(),
                window,
                MIN_TEXT_CONTRAST,
            ),
            (
                "text on striped row",
                visuals.text_color(),
                stripe,
                MIN_TEXT_CONTRAST,
            ),
            (
                "weak text on panel",
                visuals.weak_text_color(),
                panel,
                MIN_TEXT_CONTRAST,
            ),
            (
                "weak text on striped row",
                visuals.weak_text_color(),
                stripe,
                MIN_TEXT_CONTRAST,
            ),
            (
                "hint text in a field",
                visuals.weak_text_color(),
                field,
                MIN_TEXT_CONTRAST,
            ),
            (
                "typed text in a field",
                w.inactive.text_color(),
                field,
                MIN_TEXT_CONTRAST,
            ),
            (
                "strong text on panel",
                visuals.strong_text_color(),
                panel,
                MIN_TEXT_CONTRAST,
            ),
            (
                "button text",
                w.inactive.text_color(),
                w.inactive.weak_bg_fill,
                MIN_TEXT_CONTRAST,
            ),
            (
                "hovered button text",
                w.hovered.text_color(),
                w.hovered.weak_bg_fill,
                MIN_TEXT_CONTRAST,
            ),
            (
                "pressed button text",
                w.active.text_color(),
                w.active.weak_bg_fill,
                MIN_TEXT_CONTRAST,
            ),
            (
                "selected label",
                visuals.selection.stroke.color,
                visuals.selection.bg_fill,
                MIN_TEXT_CONTRAST,
            ),
            ("link", visuals.hyperlink_color, panel, MIN_TEXT_CONTRAST),
            ("warning", visuals.warn_fg_color, panel, MIN_TEXT_CONTRAST),
            ("error", visuals.error_fg_color, panel, MIN_TEXT_CONTRAST),
            ("valid", ok_color(visuals), panel, MIN_TEXT_CONTRAST),
            ("changed", changed_color(visuals), panel, MIN_TEXT_CONTRAST),
            (
                "changed on striped row",
                changed_color(visuals),
                stripe,
                MIN_TEXT_CONTRAST,
            ),
        ];
        // The editor's error banner and the login's warning box: tinted fills with text on them.
        let error_fill = composite(
            visuals.error_fg_color.gamma_multiply(ERROR_BANNER_TINT),
            panel,
        );
        pairs.push((
            "error label on the banner",
            visuals.error_fg_color,
            error_fill,
            MIN_TEXT_CONTRAST,
        ));
        pairs.push((
            "text on the error banner",
            visuals.text_color(),
            error_fill,
            MIN_TEXT_CONTRAST,
        ));
        let warn_fill = composite(visuals.warn_fg_color.gamma_multiply(0.12), panel);
        pairs.push((
            "text on the warning box",
            visuals.text_color(),
            warn_fill,
            MIN_TEXT_CONTRAST,
        ));
        // Boundaries: an input at rest against the panel and against its own fill, hovered, and the focus
        // ring of a text field (the selection stroke) and of other widgets (the active stroke).
        for (what, stroke) in [
            ("input border", w.inactive.bg_stroke.color),
            ("hovered input border", w.hovered.bg_stroke.color),
            ("text field focus ring", visuals.selection.stroke.color),
            ("widget focus ring", w.active.bg_stroke.color),
        ] {
            pairs.push((what, stroke, panel, MIN_NON_TEXT_CONTRAST));
            pairs.push((what, stroke, field, MIN_NON_TEXT_CONTRAST));
            pairs.push((what, stroke, window, MIN_NON_TEXT_CONTRAST));
        }
        pairs
    }

    fn failures(visuals: &egui::Visuals) -> Vec<String> {
        pairs(visuals)
            .into_iter()
            .filter_map(|(what, fg, bg, min)| {
                let ratio = contrast_ratio(fg, bg);
                (ratio < min).then(|| format!("{what}: {ratio:.2}:1 < {min}:1 ({fg:?} on {bg:?})"))
            })
            .collect()
    }

    #[test]
    fn both_themes_meet_wcag_aa() {
        for (name, visuals) in [("light", light_visuals()), ("dark", dark_visuals())] {
            let failures = failures(&visuals);
            assert!(
                failures.is_empty(),
                "{name} theme:\n{}",
                failures.join("\n")
            );
        }
    }

    #[test]
    fn egui_defaults_fail_where_the_app_changes_them() {
        // Guards the test above: the Light input border was the reported bug.
        let failures = failures(&egui::Visuals::light());
        assert!(
            failures.iter().any(|f| f.starts_with("input border")),
            "{failures:?}"
        );
    }

    #[test]
    fn contrast_ratio_matches_wcag_examples() {
        let ratio = contrast_ratio(egui::Color32::BLACK, egui::Color32::WHITE);
        assert!((ratio - 21.0).abs() < 0.01, "{ratio}");
        assert!((contrast_ratio(egui::Color32::WHITE, egui::Color32::WHITE) - 1.0).abs() < 1e-6);
        // #767676 on white is the well-known 4.54:1.
        let ratio = contrast_ratio(egui::Color32::from_gray(0x76), egui::Color32::WHITE);
        assert!((ratio - 4.54).abs() < 0.01, "{ratio}");
        // Half-transparent black over white is mid grey.
        let grey = composite(egui::Color32::from_black_alpha(128), egui::Color32::WHITE);
        assert!((i16::from(grey.r()) - 127).abs() <= 1, "{grey:?}");
    }

    #[test]
    fn the_app_visuals_reach_egui() {
        let ctx = egui::Context::default();
        apply(&ctx, ThemeChoice::Light);
        assert_eq!(
            ctx.style_of(egui::Theme::Light)
                .visuals
                .widgets
                .inactive
                .bg_stroke,
            light_visuals().widgets.inactive.bg_stroke
        );
        assert_eq!(
            ctx.style_of(egui::Theme::Dark).visuals.error_fg_color,
            dark_visuals().error_fg_color
        );
    }

    #[test]
    fn theme_choice_reaches_egui() {
        let ctx = egui::Context::default();
        apply(&ctx, ThemeChoice::Dark);
        assert_eq!(ctx.theme(), egui::Theme::Dark);
        apply(&ctx, ThemeChoice::Light);
        assert_eq!(ctx.theme(), egui::Theme::Light);
    }
}
