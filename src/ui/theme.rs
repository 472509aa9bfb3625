//! Branding and looks: the window icon and logo from `assets/`, and the light/dark/system theme switch.
//! The only place that embeds files from `assets/`.

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

/// Makes egui follow `choice`.
pub fn apply(ctx: &egui::Context, choice: ThemeChoice) {
    let preference = match choice {
        ThemeChoice::System => egui::ThemePreference::System,
        ThemeChoice::Light => egui::ThemePreference::Light,
        ThemeChoice::Dark => egui::ThemePreference::Dark,
    };
    ctx.set_theme(preference);
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

    #[test]
    fn theme_choice_reaches_egui() {
        let ctx = egui::Context::default();
        apply(&ctx, ThemeChoice::Dark);
        assert_eq!(ctx.theme(), egui::Theme::Dark);
        apply(&ctx, ThemeChoice::Light);
        assert_eq!(ctx.theme(), egui::Theme::Light);
    }
}
