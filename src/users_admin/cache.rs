//! The page cache of the Users browser: a bounded LRU of pages of [`PAGE_SIZE`] records, keyed by page
//! index within one query generation; which pages to request for the visible rows (plus one ahead); which
//! are on their way, and why a row or page could not be loaded. Pure: no I/O. Which answers are current
//! is not decided here: the view hands over only the answers it still awaits (`requests::Tickets`).

use std::collections::{HashMap, HashSet};

use super::query::PAGE_SIZE;
use crate::backendless::client::{FindRow, UnreadableRow};
use crate::model::record::UserRecord;

/// How many pages the view keeps by default (1,600 records): enough for a tall window plus read-ahead.
pub const DEFAULT_CAPACITY_PAGES: usize = 16;
/// At most this many page requests are on their way at once. Dragging the scroll bar across 100,000 rows
/// passes hundreds of pages; without a cap their requests would queue up at the server ahead of the page
/// the admin finally stops at.
pub const MAX_IN_FLIGHT: usize = 4;

/// One cached page.
#[derive(Debug)]
struct CachedPage {
    /// The rows, in server order: a record, or why that one row could not be read.
    rows: Vec<FindRow>,
    /// When the page was last wanted (a tick of [`PageCache::tick`]); the smallest is evicted first.
    last_used: u64,
}

/// What the table can show for a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowState<'a> {
    /// The record is here.
    Loaded(&'a UserRecord),
    /// Its page arrived, but this one row is not a readable record; the page's other rows are fine.
    Unreadable(&'a UnreadableRow),
    /// Its page is requested and on its way (or about to be requested).
    Loading,
    /// Loading its page failed ([`PageCache::row_error`] says why); it is asked for again after a retry.
    Failed,
}

/// A bounded cache of pages for one query at a time.
#[derive(Debug)]
pub struct PageCache {
    /// Bumped by [`PageCache::reset`] (a new query or a refresh), so that a new query can be noticed.
    generation: u64,
    /// At most this many pages are kept.
    capacity: usize,
    /// Loaded pages by page index.
    pages: HashMap<usize, CachedPage>,
    /// Pages requested and not yet answered.
    pending: HashSet<usize>,
    /// Pages whose request failed, with the reason shown in their rows; not requested again until
    /// [`PageCache::retry`].
    failed: HashMap<usize, String>,
    /// The LRU clock.
    tick: u64,
    /// The row count from `count`, once known.
    total: Option<u64>,
}

impl Default for PageCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY_PAGES)
    }
}

impl PageCache {
    /// An empty cache keeping at most `capacity_pages` pages (at least 2: the visible one and one ahead).
    pub fn new(capacity_pages: usize) -> Self {
        Self {
            generation: 0,
            capacity: capacity_pages.max(2),
            pages: HashMap::new(),
            pending: HashSet::new(),
            failed: HashMap::new(),
            tick: 0,
            total: None,
        }
    }

    /// The current query generation: how many times the cache was reset (a new query or a refresh).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Forgets everything for a new query (filter or sort changed); returns the new generation.
    pub fn reset(&mut self) -> u64 {
        self.generation += 1;
        self.pages.clear();
        self.pending.clear();
        self.failed.clear();
        self.total = None;
        self.generation
    }

    /// Loads the same query again (Refresh): a new generation, every page asked for again, but the last
    /// count kept until the new one arrives, so that the table keeps its length and its scroll position.
    pub fn refresh(&mut self) -> u64 {
        let total = self.total;
        self.reset();
        self.total = total;
        self.generation
    }

    /// The number of matching rows, once `count` answered.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// Stores the count of the current query.
    pub fn set_total(&mut self, total: u64) {
        self.total = Some(total);
    }

    /// What row `index` can show now.
    pub fn row(&self, index: usize) -> RowState<'_> {
        let page = index / PAGE_SIZE as usize;
        match self.pages.get(&page) {
            Some(cached) => match cached.rows.get(index % PAGE_SIZE as usize) {
                Some(Ok(record)) => RowState::Loaded(record),
                Some(Err(unreadable)) => RowState::Unreadable(unreadable),
                // A short page: the table shrank since `count`; the row is gone.
                None => RowState::Failed,
            },
            None if self.failed.contains_key(&page) => RowState::Failed,
            None => RowState::Loading,
        }
    }

    /// Why row `index` shows as [`RowState::Failed`]: its page's error, or that the row is gone.
    pub fn row_error(&self, index: usize) -> Option<&str> {
        let page = index / PAGE_SIZE as usize;
        match self.pages.get(&page) {
            Some(cached) if cached.rows.get(index % PAGE_SIZE as usize).is_none() => {
                Some("This row is gone: the list is shorter than when it was counted.")
            }
            Some(_) => None,
            None => self.failed.get(&page).map(String::as_str),
        }
    }

    /// The pages rows `first..=last` need, plus the page after them (read-ahead), within the total when known.
    /// Marks them as in use; returns the ones to request now (not cached, not pending, not failed, at most
    /// [`MAX_IN_FLIGHT`] pending in all), which are then pending. The rest are asked for on a later frame.
    pub fn request_pages(&mut self, first: usize, last: usize) -> Vec<usize> {
        let page_size = PAGE_SIZE as usize;
        let first_page = first / page_size;
        let mut last_page = last.max(first) / page_size + 1;
        if let Some(total) = self.total {
            let pages = usize::try_from(total.div_ceil(u64::from(PAGE_SIZE))).unwrap_or(usize::MAX);
            if pages == 0 {
                return Vec::new();
            }
            last_page = last_page.min(pages - 1);
        }
        self.tick += 1;
        let mut wanted = Vec::new();
        for page in first_page..=last_page {
            if let Some(cached) = self.pages.get_mut(&page) {
                cached.last_used = self.tick;
            } else if !self.pending.contains(&page)
                && !self.failed.contains_key(&page)
                && self.pending.len() < MAX_IN_FLIGHT
            {
                self.pending.insert(page);
                wanted.push(page);
            }
        }
        wanted
    }

    /// Stores page `page` of the current query. Evicts the least recently used pages beyond the capacity.
    pub fn insert(&mut self, page: usize, rows: Vec<FindRow>) {
        self.pending.remove(&page);
        self.failed.remove(&page);
        self.tick += 1;
        self.pages.insert(
            page,
            CachedPage {
                rows,
                last_used: self.tick,
            },
        );
        while self.pages.len() > self.capacity {
            let oldest = self
                .pages
                .iter()
                .min_by_key(|(_, cached)| cached.last_used)
                .map(|(&page, _)| page);
            match oldest {
                Some(oldest) => {
                    self.pages.remove(&oldest);
                }
                None => break,
            }
        }
    }

    /// Page `page` of the current query could not be loaded (`reason` says why, in the rows); it shows as
    /// failed until [`PageCache::retry`].
    pub fn fail(&mut self, page: usize, reason: impl Into<String>) {
        self.pending.remove(&page);
        self.failed.insert(page, reason.into());
    }

    /// Failed pages may be requested again.
    pub fn retry(&mut self) {
        self.failed.clear();
    }

    /// Whether any page is on its way.
    pub fn is_loading(&self) -> bool {
        !self.pending.is_empty()
    }

    /// How many records are held (bounded by the capacity times [`PAGE_SIZE`]).
    pub fn cached_rows(&self) -> usize {
        self.pages.values().map(|cached| cached.rows.len()).sum()
    }

    /// How many pages are held.
    pub fn cached_pages(&self) -> usize {
        self.pages.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(page: usize, n: usize) -> Vec<FindRow> {
        (0..n)
            .map(|i| {
                let id = format!("P{page}R{i}");
                Ok(UserRecord::from_json(
                    serde_json::json!({ "objectId": id })
                        .as_object()
                        .unwrap()
                        .clone(),
                )
                .unwrap())
            })
            .collect()
    }

    #[test]
    fn refresh_asks_for_every_page_again_and_keeps_the_count_until_the_new_one() {
        let mut cache = PageCache::new(8);
        let old = cache.generation();
        cache.set_total(250);
        assert_eq!(cache.request_pages(0, 30), [0, 1]);
        cache.insert(0, rows(0, 100));
        let new = cache.refresh();
        assert_ne!(new, old);
        assert_eq!(cache.total(), Some(250), "the table keeps its length");
        assert_eq!(
            cache.row(5),
            RowState::Loading,
            "the rows are asked for again"
        );
        assert_eq!(cache.request_pages(0, 30), [0, 1]);
        cache.set_total(251);
        assert_eq!(cache.total(), Some(251));
    }

    #[test]
    fn visible_rows_request_their_pages_and_one_ahead_once() {
        let mut cache = PageCache::new(8);
        assert_eq!(cache.request_pages(0, 30), [0, 1]);
        // Pending pages are not asked for twice.
        assert_eq!(cache.request_pages(0, 30), Vec::<usize>::new());
        assert_eq!(cache.request_pages(150, 230), [2, 3]);
        assert!(cache.is_loading());
        assert_eq!(cache.row(5), RowState::Loading);
    }

    #[test]
    fn read_ahead_stops_at_the_last_page() {
        let mut cache = PageCache::new(8);
        cache.reset();
        cache.set_total(250);
        assert_eq!(cache.request_pages(200, 249), [2]);
        cache.reset();
        cache.set_total(0);
        assert!(cache.request_pages(0, 20).is_empty());
    }

    #[test]
    fn loaded_rows_are_found_by_index() {
        let mut cache = PageCache::new(8);
        cache.request_pages(100, 120);
        cache.insert(1, rows(1, 100));
        match cache.row(142) {
            RowState::Loaded(record) => assert_eq!(record.object_id(), "P1R42"),
            other => panic!("{other:?}"),
        }
        assert_eq!(cache.row(99), RowState::Loading);
    }

    #[test]
    fn a_reset_forgets_the_pages_and_the_requests_on_their_way() {
        let mut cache = PageCache::new(8);
        cache.set_total(300);
        cache.request_pages(0, 10);
        cache.insert(0, rows(0, 100));
        cache.reset();
        assert_eq!(cache.total(), None);
        assert_eq!(cache.row(0), RowState::Loading);
        // The reset forgot the pending request, so the new query asks again.
        assert_eq!(cache.request_pages(0, 10), [0, 1]);
    }

    #[test]
    fn the_cache_stays_bounded_and_evicts_the_least_recently_used() {
        let mut cache = PageCache::new(4);
        for page in 0..1000 {
            let first = page * 100;
            for wanted in cache.request_pages(first, first + 30) {
                cache.insert(wanted, rows(wanted, 100));
            }
            assert!(cache.cached_pages() <= 4, "page {page}");
        }
        assert!(cache.cached_rows() <= 400);
        // The pages just visited are the ones kept.
        assert!(matches!(cache.row(999 * 100 + 5), RowState::Loaded(_)));
        assert_eq!(cache.row(0), RowState::Loading);
    }

    #[test]
    fn pages_in_view_are_not_evicted_by_their_read_ahead() {
        let mut cache = PageCache::new(2);
        for page in cache.request_pages(0, 10) {
            cache.insert(page, rows(page, 100));
        }
        for page in cache.request_pages(0, 10) {
            cache.insert(page, rows(page, 100));
        }
        assert!(matches!(cache.row(3), RowState::Loaded(_)));
        assert!(matches!(cache.row(103), RowState::Loaded(_)));
    }

    #[test]
    fn at_most_a_few_requests_are_in_flight() {
        let mut cache = PageCache::new(16);
        assert_eq!(cache.request_pages(0, 10), [0, 1]);
        assert_eq!(cache.request_pages(5000, 5010), [50, 51]);
        // Two more visible pages must wait for an answer.
        assert!(cache.request_pages(9000, 9010).is_empty());
        assert_eq!(cache.row(9005), RowState::Loading);
        cache.insert(0, rows(0, 100));
        assert_eq!(cache.request_pages(9000, 9010), [90]);
    }

    #[test]
    fn failed_pages_wait_for_a_retry() {
        let mut cache = PageCache::new(4);
        assert_eq!(cache.request_pages(0, 10), [0, 1]);
        cache.fail(0, "The server did not answer in time.");
        assert_eq!(cache.row(3), RowState::Failed);
        assert_eq!(
            cache.row_error(3),
            Some("The server did not answer in time.")
        );
        assert!(cache.request_pages(0, 10).is_empty());
        cache.retry();
        assert_eq!(cache.request_pages(0, 10), [0]);
    }

    // Issue 9 item 7: one unreadable row must not take its page (or the whole view) down with it.
    #[test]
    fn an_unreadable_row_is_that_rows_state_and_its_neighbours_load() {
        let mut cache = PageCache::new(4);
        cache.request_pages(0, 10);
        let mut page = rows(0, 3);
        page[1] = Err(UnreadableRow {
            object_id: Some("BAD".parse().unwrap()),
            detail: "recursion limit exceeded".into(),
        });
        cache.insert(0, page);
        assert!(matches!(cache.row(0), RowState::Loaded(_)));
        match cache.row(1) {
            RowState::Unreadable(row) => assert_eq!(row.object_id.as_deref(), Some("BAD")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(cache.row(2), RowState::Loaded(_)));
        assert_eq!(cache.row_error(1), None);
        assert_eq!(cache.row(3), RowState::Failed, "a short page");
        assert!(cache.row_error(3).is_some());
    }
}
