//! `ReadPool`: a few read-only SQLite connections beside the store's one writer, so `find`, `count` and `get`
//! wait neither for the store lock nor for each other, and every read runs under a deadline.
//!
//! A `--data` store is a WAL file: its readers never wait for the writer or for each other. A `--memory` store is a
//! shared in-memory database (SQLite's `memdb` VFS, `file:/NAME?vfs=memdb`) that the writer and the readers all
//! open; readers run side by side, but memdb has no WAL, so a write waits until running reads end and reads
//! arriving meanwhile wait behind that write — bounded by the deadline. Synchronous: callers run it on a blocking
//! thread. No axum types here.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::error::{EmuResult, EmulatorError};

/// Read-only connections per store: this many reads run at once, more wait for a free one.
pub const READ_CONNECTIONS: usize = 8;
/// How often (in SQLite virtual-machine steps) a running read checks its deadline.
const DEADLINE_CHECK_STEPS: i32 = 64;
/// How long a connection waits for a SQLite lock held by another connection.
const BUSY_TIMEOUT_MS: u32 = 5_000;

/// Where the store's database lives, as the writer and the readers open it.
#[derive(Debug, Clone)]
pub enum Database {
    /// `emulator.sqlite3` in a data directory (WAL mode).
    File(PathBuf),
    /// A process-wide shared in-memory database; the URI names it uniquely.
    Memory(String),
}

impl Database {
    /// A fresh, uniquely named shared in-memory database (it exists while a connection to it is open).
    pub fn new_memory() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Self::Memory(format!(
            "file:/profile-editor-emulator-{}-{n}?vfs=memdb",
            std::process::id()
        ))
    }

    /// The writer connection of a memory database (a file database's writer is opened by `Store::open`).
    pub fn open_memory_writer(&self) -> anyhow::Result<Connection> {
        let Self::Memory(uri) = self else {
            anyhow::bail!("not an in-memory database");
        };
        Connection::open_with_flags(
            uri,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .context("cannot open an in-memory database")
    }

    fn open_reader(&self) -> anyhow::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match self {
            Self::File(path) => Connection::open_with_flags(path, flags)
                .with_context(|| format!("cannot open {} for reading", path.display()))?,
            Self::Memory(uri) => Connection::open_with_flags(uri, flags)
                .context("cannot open the in-memory database for reading")?,
        };
        conn.busy_timeout(Duration::from_millis(u64::from(BUSY_TIMEOUT_MS)))?;
        conn.execute_batch("PRAGMA query_only=1;")?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }
}

/// The read-only connections and the deadline of one read.
pub struct ReadPool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
    deadline: Duration,
}

impl ReadPool {
    /// Opens [`READ_CONNECTIONS`] readers of `database` (which the writer must already have created).
    pub fn open(database: &Database, deadline: Duration) -> anyhow::Result<Self> {
        let idle = (0..READ_CONNECTIONS)
            .map(|_| database.open_reader())
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            idle: Mutex::new(idle),
            returned: Condvar::new(),
            deadline,
        })
    }

    /// Runs `work` on a free reader (waiting for one if all are busy). A read still running at the deadline is
    /// interrupted and answered with [`EmulatorError::query_timeout`].
    pub fn read<T>(&self, work: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> EmuResult<T> {
        let reader = self.checkout();
        let conn = reader
            .conn
            .as_ref()
            .expect("a checked-out reader holds a connection");
        let deadline = Instant::now() + self.deadline;
        conn.progress_handler(
            DEADLINE_CHECK_STEPS,
            Some(move || Instant::now() >= deadline),
        );
        let result = work(conn);
        conn.progress_handler(0, None::<fn() -> bool>);
        drop(reader);
        result.map_err(|error| match error {
            rusqlite::Error::SqliteFailure(e, _) if e.code == ErrorCode::OperationInterrupted => {
                EmulatorError::query_timeout(self.deadline)
            }
            other => other.into(),
        })
    }

    fn lock_idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn checkout(&self) -> Reader<'_> {
        let mut idle = self.lock_idle();
        loop {
            if let Some(conn) = idle.pop() {
                return Reader {
                    pool: self,
                    conn: Some(conn),
                };
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// A checked-out reader; goes back to the pool when dropped (also when the work panicked).
struct Reader<'p> {
    pool: &'p ReadPool,
    conn: Option<Connection>,
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.lock_idle().push(conn);
            self.pool.returned.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backendless::codes;

    fn memory_pool(deadline: Duration) -> (Connection, ReadPool) {
        let database = Database::new_memory();
        let writer = database.open_memory_writer().expect("writer");
        writer
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2);")
            .expect("table");
        let pool = ReadPool::open(&database, deadline).expect("readers");
        (writer, pool)
    }

    #[test]
    fn readers_see_what_the_writer_committed_and_cannot_write() {
        let (writer, pool) = memory_pool(QUERY_DEADLINE_FOR_TESTS);
        writer
            .execute("INSERT INTO t VALUES (3)", [])
            .expect("insert");
        let count: i64 = pool
            .read(|conn| conn.query_row("SELECT count(*) FROM t", [], |row| row.get(0)))
            .expect("count");
        assert_eq!(count, 3);
        assert!(
            pool.read(|conn| conn.execute("DELETE FROM t", [])).is_err(),
            "a reader wrote"
        );
    }

    #[test]
    fn a_read_past_the_deadline_is_stopped_with_1017() {
        let (_writer, pool) = memory_pool(Duration::from_millis(100));
        // Seconds of work at the least (bounded, so a missing deadline fails the test instead of hanging it).
        let long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 300000000) \
                    SELECT count(*) FROM c";
        let error = pool
            .read(|conn| conn.query_row(long, [], |row| row.get::<_, i64>(0)))
            .expect_err("a long query ends at the deadline");
        assert_eq!(error.code(), codes::INVALID_WHERE);
        assert!(error.fault.message.contains("100 ms"), "{error}");
        // The reader is usable again, without the old deadline.
        let one: i64 = pool
            .read(|conn| conn.query_row("SELECT 1", [], |row| row.get(0)))
            .expect("next read");
        assert_eq!(one, 1);
    }

    #[test]
    fn a_busy_reader_does_not_hold_up_another_read() {
        let (_writer, pool) = memory_pool(QUERY_DEADLINE_FOR_TESTS);
        let pool = std::sync::Arc::new(pool);
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let busy = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                pool.read(|conn| {
                    started_tx.send(()).ok();
                    release_rx.recv().ok();
                    conn.query_row("SELECT count(*) FROM t", [], |row| row.get::<_, i64>(0))
                })
            })
        };
        started_rx.recv().expect("the first read started");
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let other = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let result = pool.read(|conn| {
                    conn.query_row("SELECT count(*) FROM t", [], |row| row.get::<_, i64>(0))
                });
                done_tx.send(result.map_err(|e| e.to_string())).ok();
            })
        };
        let second = done_rx.recv_timeout(Duration::from_secs(10));
        release_tx.send(()).ok();
        assert_eq!(second, Ok(Ok(2)), "the second read waited for the first");
        assert_eq!(busy.join().expect("first read").expect("count"), 2);
        other.join().expect("second read");
    }

    /// Long enough never to fire in these tests.
    const QUERY_DEADLINE_FOR_TESTS: Duration = Duration::from_secs(60);
}
