//! The Users table's multi-row selection for bulk actions: plain click / arrows select one row,
//! Ctrl-click and Space toggle a row, Shift-click and Shift+arrows select the range from the anchor.
//! Rows are table indices of the current query (the view clears the selection when the query changes).
//! Pure: no egui, no I/O.

use std::collections::BTreeSet;

/// The most rows one selection holds (a bulk action sends one request per row); a range that would
/// select more stops at this many rows from its anchor, and [`Selection::was_capped`] says so.
pub const MAX_SELECTED_ROWS: usize = 1_000;

/// The keys held with a click.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extend {
    /// Shift: select the range from the anchor.
    pub range: bool,
    /// Ctrl (Cmd on macOS): toggle one row, or add a range to the selection.
    pub toggle: bool,
}

/// The selected rows, the anchor of the next range, and whether the selection was made on purpose
/// (with Ctrl, Shift or Space) rather than by a plain click or arrow (which selects the current row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    rows: BTreeSet<usize>,
    anchor: Option<usize>,
    multi: bool,
    capped: bool,
}

impl Selection {
    /// A click on `row` with `extend` held.
    pub fn click(&mut self, row: usize, extend: Extend) {
        self.capped = false;
        match (extend.range, extend.toggle) {
            (false, false) => self.only(row),
            (false, true) => self.toggle(row),
            (true, add) => {
                let anchor = self.anchor.unwrap_or(row);
                if !add {
                    self.rows.clear();
                }
                self.add_range(anchor, row);
                self.anchor = Some(anchor);
                self.multi = true;
            }
        }
    }

    /// The keyboard moved the current row to `row`; with Shift held (`extend`) the range from the anchor
    /// is selected, otherwise only `row`.
    pub fn moved_to(&mut self, row: usize, extend: bool) {
        self.capped = false;
        if extend {
            self.click(
                row,
                Extend {
                    range: true,
                    toggle: false,
                },
            );
        } else {
            self.only(row);
        }
    }

    /// Space on `row`: toggles it in the selection.
    pub fn toggle(&mut self, row: usize) {
        self.capped = false;
        if !self.rows.remove(&row) {
            if self.rows.len() >= MAX_SELECTED_ROWS {
                self.capped = true;
                return;
            }
            self.rows.insert(row);
        }
        self.anchor = Some(row);
        self.multi = true;
    }

    /// Selects all of `rows` (say, "Select all loaded"), up to [`MAX_SELECTED_ROWS`].
    pub fn select_all(&mut self, rows: impl IntoIterator<Item = usize>) {
        self.capped = false;
        for row in rows {
            if self.rows.len() >= MAX_SELECTED_ROWS {
                self.capped = true;
                break;
            }
            self.rows.insert(row);
        }
        self.multi = !self.rows.is_empty();
    }

    /// Nothing selected.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Removes `row` (its record left the table) and moves the rows after it up by one.
    pub fn remove_row(&mut self, row: usize) {
        self.rows = self
            .rows
            .iter()
            .filter(|r| **r != row)
            .map(|r| if *r > row { r - 1 } else { *r })
            .collect();
        self.anchor = self
            .anchor
            .filter(|a| *a != row)
            .map(|a| if a > row { a - 1 } else { a });
        if self.rows.is_empty() {
            self.multi = false;
        }
    }

    /// Whether `row` is selected.
    pub fn contains(&self, row: usize) -> bool {
        self.rows.contains(&row)
    }

    /// The selected rows, in table order.
    pub fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.rows.iter().copied()
    }

    /// How many rows are selected.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row is selected.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether the selection was made with Ctrl, Shift or Space (the bulk actions are offered then).
    pub fn is_multi(&self) -> bool {
        self.multi && !self.rows.is_empty()
    }

    /// Whether the last change stopped at [`MAX_SELECTED_ROWS`].
    pub fn was_capped(&self) -> bool {
        self.capped
    }

    fn only(&mut self, row: usize) {
        self.rows.clear();
        self.rows.insert(row);
        self.anchor = Some(row);
        self.multi = false;
    }

    /// Adds `anchor..=to` (either direction), walking away from the anchor, up to the cap.
    fn add_range(&mut self, anchor: usize, to: usize) {
        let walk: Box<dyn Iterator<Item = usize>> = if to >= anchor {
            Box::new(anchor..=to)
        } else {
            Box::new((to..=anchor).rev())
        };
        for row in walk {
            if self.rows.len() >= MAX_SELECTED_ROWS && !self.rows.contains(&row) {
                self.capped = true;
                break;
            }
            self.rows.insert(row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIFT: Extend = Extend {
        range: true,
        toggle: false,
    };
    const CTRL: Extend = Extend {
        range: false,
        toggle: true,
    };
    const CTRL_SHIFT: Extend = Extend {
        range: true,
        toggle: true,
    };

    fn rows(selection: &Selection) -> Vec<usize> {
        selection.rows().collect()
    }

    #[test]
    fn a_plain_click_selects_one_row_and_is_not_a_multi_selection() {
        let mut s = Selection::default();
        s.click(4, Extend::default());
        assert_eq!(rows(&s), [4]);
        assert!(!s.is_multi());
        s.click(7, Extend::default());
        assert_eq!(rows(&s), [7]);
    }

    #[test]
    fn ctrl_click_toggles_and_shift_click_selects_the_range_from_the_anchor() {
        let mut s = Selection::default();
        s.click(2, Extend::default());
        s.click(5, CTRL);
        assert_eq!(rows(&s), [2, 5]);
        assert!(s.is_multi());
        // The anchor is the last Ctrl-clicked row: Shift-click from there replaces the selection.
        s.click(3, SHIFT);
        assert_eq!(rows(&s), [3, 4, 5]);
        // Ctrl+Shift adds a range to what is selected.
        s.click(9, CTRL);
        s.click(10, CTRL_SHIFT);
        assert_eq!(rows(&s), [3, 4, 5, 9, 10]);
        s.click(4, CTRL);
        assert_eq!(rows(&s), [3, 5, 9, 10]);
        s.clear();
        assert!(s.is_empty() && !s.is_multi());
    }

    #[test]
    fn shift_arrows_extend_from_the_anchor_and_plain_arrows_start_again() {
        let mut s = Selection::default();
        s.moved_to(10, false);
        s.moved_to(11, true);
        s.moved_to(12, true);
        assert_eq!(rows(&s), [10, 11, 12]);
        // Back up past the anchor: the range flips to the other side.
        s.moved_to(9, true);
        assert_eq!(rows(&s), [9, 10]);
        s.moved_to(20, false);
        assert_eq!(rows(&s), [20]);
        assert!(!s.is_multi());
        s.toggle(21);
        assert_eq!(rows(&s), [20, 21]);
        assert!(s.is_multi());
        s.toggle(21);
        assert_eq!(rows(&s), [20]);
    }

    #[test]
    fn a_selection_stops_at_the_limit_and_says_so() {
        let mut s = Selection::default();
        s.click(5_000, Extend::default());
        s.click(0, SHIFT);
        assert_eq!(s.len(), MAX_SELECTED_ROWS);
        assert!(s.was_capped());
        // The rows nearest the anchor are the ones kept.
        assert!(s.contains(5_000) && s.contains(5_000 - MAX_SELECTED_ROWS + 1));
        assert!(!s.contains(0));
        s.toggle(1);
        assert!(s.was_capped() && !s.contains(1));
        s.toggle(5_000);
        assert!(!s.was_capped());
        let mut all = Selection::default();
        all.select_all(0..5_000);
        assert_eq!(all.len(), MAX_SELECTED_ROWS);
        assert!(all.was_capped());
    }

    #[test]
    fn a_removed_row_leaves_and_the_rows_after_it_move_up() {
        let mut s = Selection::default();
        s.click(1, CTRL);
        s.click(3, CTRL);
        s.click(6, CTRL);
        s.remove_row(3);
        assert_eq!(rows(&s), [1, 5]);
        s.remove_row(1);
        s.remove_row(4);
        assert!(s.is_empty() && !s.is_multi());
    }
}
