//! Text in the world's scripts: the bundled fallback fonts and the egui font provider that hands them out.
//!
//! egui's own fonts cover Latin, Greek and Cyrillic. For anything else (Chinese, Japanese, Korean, Arabic,
//! Hebrew, Devanagari, Thai, emoji, …) egui asks its font providers, lazily: only when a frame's text holds
//! a character that no loaded font has, once per (font family, character). On the desktop, eframe's system
//! font provider (fontconfig through `fontique`, the `system_fonts` feature) is asked first, so installed
//! system fonts win; [`BundledFallback`] comes after it and answers with one font per script, all under
//! permissive licences (`assets/fonts/`, each with its licence text): Droid Sans Fallback (Chinese,
//! Japanese; Apache-2.0), NanumSquare (Korean Hangul), Noto Sans Arabic, Hebrew, Devanagari and Thai, the
//! monochrome Noto Emoji 1.05, and Noto Sans Symbols and Symbols 2 for check marks, shapes and arrows (all
//! SIL OFL 1.1). Droid Sans Fallback has no Hangul syllables, hence the Korean font. The fonts are compiled in, handed to egui without
//! copying, and only the one whose script a character belongs to is handed out: Thai text never loads the
//! 4 MB CJK font. Noto Emoji 1.05 has the emoji of Unicode 6 only (😀 👍 🚀 ❤ 🌍, not 🙂 🤔 🥳, which
//! show as boxes unless a system font has them).
//!
//! What egui 0.37 still lacks for right-to-left text: it shapes each run (Arabic letters join and
//! Devanagari forms conjuncts, with the Noto fonts' shaping tables, and a run of RTL letters is ordered
//! right to left), but it has no Unicode bidirectional algorithm: a line that mixes RTL and LTR runs (an
//! Arabic name with Latin digits) is not reordered as a whole, text is never right-aligned by its
//! direction, and the cursor and selection move in storage order.

use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use egui::{FallbackRequest, FontData, FontInsert, FontPriority, FontProvider, InsertFontFamily};
use skrifa::MetadataProvider as _;

/// One bundled font: its file and the blocks of the script it is there for.
#[derive(Debug)]
struct Bundled {
    /// File name in `assets/fonts/`; egui knows the font as `bundled:{file}`.
    file: &'static str,
    data: &'static [u8],
    /// Code points this font is the first choice for (it is asked for others only if no font claims them).
    script: &'static [RangeInclusive<u32>],
}

/// A [`Bundled`] font compiled in from `assets/fonts/$file`.
macro_rules! bundled {
    ($file:literal, $script:expr) => {
        Bundled {
            file: $file,
            data: include_bytes!(concat!("../../assets/fonts/", $file)),
            script: $script,
        }
    };
}

/// The bundled fallback fonts: the first whose script holds a character and that has it answers.
/// Korean comes before CJK, so that Hangul compatibility letters (U+3130..) come from the Korean font.
const BUNDLED: [Bundled; 9] = [
    bundled!(
        "NotoSansHebrew-Regular.ttf",
        &[0x0590..=0x05FF, 0xFB1D..=0xFB4F]
    ),
    bundled!(
        "NotoSansArabic-Regular.ttf",
        &[
            0x0600..=0x06FF,
            0x0750..=0x077F,
            0x0870..=0x08FF,
            0xFB50..=0xFDFF,
            0xFE70..=0xFEFF,
        ]
    ),
    bundled!(
        "NotoSansDevanagari-Regular.ttf",
        &[0x0900..=0x097F, 0x1CD0..=0x1CFF, 0xA8E0..=0xA8FF]
    ),
    bundled!("NotoSansThai-Regular.ttf", &[0x0E00..=0x0E7F]),
    bundled!(
        "NanumSquareR.ttf",
        &[
            0x1100..=0x11FF,
            0x3130..=0x318F,
            0xA960..=0xA97F,
            0xAC00..=0xD7FF,
        ]
    ),
    bundled!(
        "DroidSansFallbackFull.ttf",
        &[
            0x2E80..=0x9FFF,
            0xF900..=0xFAFF,
            0xFE30..=0xFE4F,
            0xFF00..=0xFFEF,
            0x20000..=0x3FFFF,
        ]
    ),
    bundled!(
        "NotoEmoji-Regular.ttf",
        &[0x2600..=0x27BF, 0x1F000..=0x1FAFF]
    ),
    // Symbols the fonts above lack: check marks, stars, shapes, arrows, technical signs.
    bundled!(
        "NotoSansSymbols2-Regular.ttf",
        &[0x2190..=0x2BFF, 0x1F000..=0x1FBFF]
    ),
    bundled!(
        "NotoSansSymbols-Regular.ttf",
        &[0x2100..=0x2BFF, 0x1F100..=0x1F7FF]
    ),
];

/// Symbols people put in names and notes, shown without boxes by the bundled fonts alone.
#[cfg(test)]
const SYMBOL_SAMPLES: &str = "✓ ✔ ✗ ★ ☆ ♥ ■ □ ▲ ● ◆ → ← ↑ ☺ ♪ ⌘ ⏎ ✉ ☎";

/// Sample text in each script the app must show without boxes; used by the tests and `scripts/`.
pub const SCRIPT_SAMPLES: [(&str, &str); 10] = [
    ("Chinese", "王小明 张伟 李娜"),
    ("Japanese", "山田 花子 たなか カタカナ"),
    ("Korean", "김민준 이서연 한국어"),
    ("Arabic", "محمد أحمد فاطمة"),
    ("Hebrew", "דוד כהן שרה לוי"),
    ("Devanagari", "राहुल शर्मा प्रिया"),
    ("Thai", "สมชาย ใจดี ภาษาไทย"),
    ("Cyrillic", "Иван Петров"),
    ("Greek", "Γιώργος Παπαδόπουλος"),
    ("Emoji", "😀 👍 🎉 🚀 ❤ 😊 🌍"),
];

/// The last-resort font provider: the bundled font for a character's script. Counts the fonts it handed out.
#[derive(Debug, Default)]
pub struct BundledFallback {
    /// How many times a bundled font was handed to egui (at most once per font and family).
    handed_out: AtomicUsize,
}

impl BundledFallback {
    /// How many times a bundled font was handed to egui so far.
    pub fn handed_out(&self) -> usize {
        self.handed_out.load(Ordering::Relaxed)
    }
}

impl FontProvider for BundledFallback {
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        let c = request.cluster.chars().next()?;
        let font = bundled_font_for(c)?;
        self.handed_out.fetch_add(1, Ordering::Relaxed);
        Some(FontInsert::new(
            &format!("bundled:{}", font.file),
            FontData::from_static(font.data),
            vec![InsertFontFamily {
                family: request.family.clone(),
                priority: FontPriority::Lowest,
            }],
        ))
    }
}

/// The bundled font for `c`: the one made for its script, else the first that has it anyway.
fn bundled_font_for(c: char) -> Option<&'static Bundled> {
    let code = u32::from(c);
    BUNDLED
        .iter()
        .find(|font| font.script.iter().any(|r| r.contains(&code)) && has_char(font.data, c))
        .or_else(|| BUNDLED.iter().find(|font| has_char(font.data, c)))
}

/// Whether the font file `data` maps `c` to a glyph.
fn has_char(data: &[u8], c: char) -> bool {
    skrifa::FontRef::new(data)
        .ok()
        .and_then(|font| font.charmap().map(c))
        .is_some_and(|glyph| glyph != skrifa::GlyphId::NOTDEF)
}

/// Adds the bundled fallback to `ctx`'s font providers (after any already there, e.g. eframe's system
/// fonts). Nothing is loaded now. Returns the provider, so a caller can see whether it was used.
pub fn install(ctx: &egui::Context) -> Arc<BundledFallback> {
    let provider = Arc::new(BundledFallback::default());
    ctx.add_font_provider(provider.clone());
    provider
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled font each sample script must come from ("" for the scripts egui's own fonts have).
    const EXPECTED_FONT: [(&str, &str); 10] = [
        ("Chinese", "bundled:DroidSansFallbackFull.ttf"),
        ("Japanese", "bundled:DroidSansFallbackFull.ttf"),
        ("Korean", "bundled:NanumSquareR.ttf"),
        ("Arabic", "bundled:NotoSansArabic-Regular.ttf"),
        ("Hebrew", "bundled:NotoSansHebrew-Regular.ttf"),
        ("Devanagari", "bundled:NotoSansDevanagari-Regular.ttf"),
        ("Thai", "bundled:NotoSansThai-Regular.ttf"),
        ("Cyrillic", ""),
        ("Greek", ""),
        ("Emoji", "bundled:NotoEmoji-Regular.ttf"),
    ];

    /// A context whose only font provider is the bundled fallback: no system fonts, as on a machine
    /// that has none (eframe adds the system provider; a bare context has none, and this makes sure).
    fn bundled_only() -> (egui::Context, Arc<BundledFallback>) {
        let ctx = egui::Context::default();
        ctx.set_font_providers(Vec::new());
        let provider = install(&ctx);
        (ctx, provider)
    }

    /// Runs one pass of `ctx` with `check` given the fonts.
    fn with_fonts(ctx: &egui::Context, check: impl FnOnce(&mut egui::epaint::text::FontsView<'_>)) {
        let mut check = Some(check);
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            if let Some(check) = check.take() {
                ui.fonts_mut(check);
            }
        });
        // No renderer here to take the font atlas.
        output.textures_delta.clear();
    }

    fn all_samples() -> impl Iterator<Item = (&'static str, char)> {
        SCRIPT_SAMPLES
            .iter()
            .flat_map(|(script, text)| text.chars().map(move |c| (*script, c)))
            .filter(|(_, c)| !c.is_whitespace())
    }

    /// The names of the fonts the providers handed to egui so far, without repeats.
    fn discovered(fonts: &egui::epaint::text::FontsView<'_>) -> Vec<String> {
        let mut names: Vec<String> = fonts
            .discovered_fonts()
            .iter()
            .map(|font| font.name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn every_sample_character_has_a_glyph_in_both_families_from_the_bundled_fonts_alone() {
        let (ctx, _) = bundled_only();
        with_fonts(&ctx, |fonts| {
            for font_id in [
                egui::FontId::proportional(14.0),
                egui::FontId::monospace(12.0),
            ] {
                for (script, c) in all_samples() {
                    assert!(
                        fonts.has_glyph(&font_id, c),
                        "{script} {c:?} (U+{:04X}) has no glyph in {:?}",
                        c as u32,
                        font_id.family
                    );
                }
            }
        });
    }

    #[test]
    fn common_symbols_have_glyphs_without_loading_the_cjk_font() {
        let (ctx, _) = bundled_only();
        with_fonts(&ctx, |fonts| {
            let font_id = egui::FontId::proportional(14.0);
            for c in SYMBOL_SAMPLES.chars().filter(|c| !c.is_whitespace()) {
                assert!(fonts.has_glyph(&font_id, c), "{c:?} (U+{:04X})", c as u32);
            }
            let loaded = discovered(fonts);
            assert!(
                !loaded.iter().any(|name| name.contains("Droid")),
                "{loaded:?}"
            );
        });
    }

    #[test]
    fn each_script_loads_only_its_own_font() {
        for ((script, sample), (expected_script, font)) in SCRIPT_SAMPLES.iter().zip(EXPECTED_FONT)
        {
            assert_eq!(*script, expected_script);
            let (ctx, _) = bundled_only();
            with_fonts(&ctx, |fonts| {
                assert!(
                    fonts.has_glyphs(&egui::FontId::proportional(14.0), sample),
                    "{script}"
                );
                let expected: Vec<String> = [font]
                    .into_iter()
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect();
                assert_eq!(discovered(fonts), expected, "{script}: {sample}");
            });
        }
    }

    #[test]
    fn without_the_fallback_those_scripts_are_boxes() {
        // Guards the tests above: egui's own fonts really lack these scripts.
        let ctx = egui::Context::default();
        ctx.set_font_providers(Vec::new());
        with_fonts(&ctx, |fonts| {
            let font_id = egui::FontId::proportional(14.0);
            for c in ['王', 'た', '한', 'م', 'ד', 'र', 'ส', '😀', '😊'] {
                assert!(!fonts.has_glyph(&font_id, c), "{c:?}");
            }
        });
    }

    #[test]
    fn the_fallback_loads_only_when_text_needs_it() {
        let (ctx, provider) = bundled_only();
        with_fonts(&ctx, |fonts| {
            let font_id = egui::FontId::proportional(14.0);
            assert!(fonts.has_glyphs(&font_id, "Alice Müller, Ζωή, Пётр 0123"));
            assert_eq!(
                provider.handed_out(),
                0,
                "Latin, Greek, Cyrillic need nothing"
            );
            assert!(fonts.discovered_fonts().is_empty());
            assert!(fonts.has_glyph(&font_id, 'ส'));
            assert!(fonts.has_glyph(&font_id, 'ม'));
            assert_eq!(provider.handed_out(), 1, "one font for all of Thai");
            assert_eq!(discovered(fonts), ["bundled:NotoSansThai-Regular.ttf"]);
            assert!(fonts.has_glyph(&font_id, '王'));
            assert!(fonts.has_glyph(&font_id, '明'));
            assert_eq!(provider.handed_out(), 2);
            assert!(fonts.has_glyph(&font_id, '😀'));
            assert_eq!(provider.handed_out(), 3);
        });
    }

    #[test]
    fn each_sample_character_is_answered_by_the_font_for_its_script() {
        for (script, c) in all_samples() {
            let expected = EXPECTED_FONT
                .iter()
                .find(|(s, _)| *s == script)
                .map(|(_, font)| *font)
                .unwrap();
            if expected.is_empty() {
                continue;
            }
            let font = bundled_font_for(c).map(|font| format!("bundled:{}", font.file));
            assert_eq!(
                font.as_deref(),
                Some(expected),
                "{script} {c:?} (U+{:04X})",
                c as u32
            );
        }
        // A character no bundled font has (a private-use code point).
        assert!(bundled_font_for('\u{F8FF}').is_none());
        assert!(!has_char(b"not a font", 'a'));
    }

    #[test]
    fn every_bundled_font_parses_and_its_licence_names_it() {
        let licences = [
            include_str!("../../assets/fonts/LICENSE-Apache-2.0-droid.txt"),
            include_str!("../../assets/fonts/LICENSE-OFL-1.1-noto.txt"),
            include_str!("../../assets/fonts/LICENSE-OFL-1.1-nanum.txt"),
        ];
        for font in &BUNDLED {
            assert!(skrifa::FontRef::new(font.data).is_ok(), "{}", font.file);
            assert!(
                licences.iter().any(|text| text.contains(font.file)),
                "{} is in no licence file",
                font.file
            );
        }
    }
}
