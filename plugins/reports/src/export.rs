//! CDR exports: the ended calls of an instance that started in `[from_ms, to_ms)`, as CSV or
//! Parquet, written page by page.
//!
//! - **Reading**: [`PAGE`] rows at a time in (`start_ms`, `contact_id`) order, each page one
//!   range read of the index (`instance_id`, `start_ms`) continuing after the last row of the
//!   previous page (a keyset cursor: no OFFSET, calls with equal start times are neither
//!   skipped nor repeated). Memory is bounded by one page (CSV) or one row group (Parquet,
//!   [`ROW_GROUP`] rows).
//! - **Progress**: [`Export::rows_done`] of [`Export::rows_total`], counted when the export
//!   started; calls that end meanwhile with a start in the range are exported too, so the
//!   total grows to the rows written when it finishes ([`Export::percent_done`] caps at 100).
//! - **Columns** ([`COLUMNS`]): the ListCallDetailRecords fields under the seed's names, then
//!   what the reports keep beyond them. Times are UTC epoch milliseconds (0: did not
//!   happen), durations whole seconds. Parquet columns are `REQUIRED` `INT64` or UTF-8
//!   `BYTE_ARRAY`, snappy-compressed.
//!
//! The jobs behind the API resource and their task are in `crate::jobs`; `ccgate reports
//! export` drives an [`Export`] in-process.

use std::io::Write;
use std::sync::Arc;

use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use crate::render::secs;
use crate::storage::call;

/// Rows read per page.
pub const PAGE: u64 = 2000;
/// Rows per Parquet row group.
pub const ROW_GROUP: usize = 32 * 1024;

/// A file format of exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV, UTF-8, a header line first.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// `csv` or `parquet` (case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// The name stored and shown: `csv` or `parquet`; also the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    /// The media type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }
}

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text.
    Text,
    /// A 64-bit integer (epoch ms or seconds).
    Long,
}

/// The columns, in order: name, type, what it holds.
pub const COLUMNS: &[(&str, Kind, &str)] = &[
    ("ContactId", Kind::Text, "The contact id."),
    ("InstanceId", Kind::Text, "The instance."),
    (
        "ContactType",
        Kind::Text,
        "Inbound, Outbound, Back2Back or PrivacyDial.",
    ),
    (
        "ContactDisposition",
        Kind::Text,
        "Success, NoAnswer, AbandonedInQueue, ...",
    ),
    ("CallingNumber", Kind::Text, "The calling number."),
    ("CalledNumber", Kind::Text, "The called number."),
    (
        "CallCenterNumber",
        Kind::Text,
        "The instance number shown or called.",
    ),
    ("StartTime", Kind::Long, "When the call began, epoch ms."),
    ("Duration", Kind::Long, "Release minus start, seconds."),
    (
        "AgentNames",
        Kind::Text,
        "The agent's display name (else login name).",
    ),
    (
        "AgentUserId",
        Kind::Text,
        "The agent's UserId (empty: none).",
    ),
    (
        "SkillGroupIdList",
        Kind::Text,
        "The skill group the agent came through.",
    ),
    (
        "AnswerTime",
        Kind::Long,
        "When talk began (both legs bridged), epoch ms; 0: never.",
    ),
    ("TalkTime", Kind::Long, "Release minus answer, seconds."),
    ("ReleaseTime", Kind::Long, "The release, epoch ms."),
    ("ReleaseInitiator", Kind::Text, "Who released."),
    ("ReleaseReason", Kind::Text, "`<SIP code>-<reason>`."),
    (
        "WorkTime",
        Kind::Long,
        "After-call work of the call, seconds.",
    ),
];

/// One cell.
enum Cell<'a> {
    Text(&'a str),
    Long(i64),
}

/// The cells of `c`, in [`COLUMNS`] order.
fn cells(c: &call::Model) -> [Cell<'_>; 18] {
    let agent_names = if c.agent_display_name.is_empty() {
        &c.agent_login_name
    } else {
        &c.agent_display_name
    };
    let talk = if c.bridged_ms > 0 {
        secs(c.release_ms - c.bridged_ms)
    } else {
        0
    };
    [
        Cell::Text(&c.contact_id),
        Cell::Text(&c.instance_id),
        Cell::Text(&c.call_type),
        Cell::Text(&c.disposition),
        Cell::Text(&c.caller),
        Cell::Text(&c.callee),
        Cell::Text(&c.call_center_number),
        Cell::Long(c.start_ms),
        Cell::Long(secs(c.release_ms - c.start_ms)),
        Cell::Text(agent_names),
        Cell::Text(&c.agent_user_id),
        Cell::Text(&c.skill_group_id),
        Cell::Long(c.bridged_ms),
        Cell::Long(talk),
        Cell::Long(c.release_ms),
        Cell::Text(&c.release_initiator),
        Cell::Text(&c.release_reason),
        Cell::Long(secs(c.work_ms)),
    ]
}

/// Why an export failed.
#[derive(Debug)]
pub enum ExportError {
    /// Reading the calls.
    Db(DbErr),
    /// Writing the file.
    Io(std::io::Error),
    /// Encoding CSV.
    Csv(csv::Error),
    /// Encoding Parquet.
    Parquet(parquet::errors::ParquetError),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::Db(e) => write!(f, "reading the calls: {e}"),
            ExportError::Io(e) => write!(f, "writing the file: {e}"),
            ExportError::Csv(e) => write!(f, "writing CSV: {e}"),
            ExportError::Parquet(e) => write!(f, "writing Parquet: {e}"),
        }
    }
}

impl std::error::Error for ExportError {}

impl From<DbErr> for ExportError {
    fn from(e: DbErr) -> Self {
        ExportError::Db(e)
    }
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> Self {
        ExportError::Io(e)
    }
}

impl From<csv::Error> for ExportError {
    fn from(e: csv::Error) -> Self {
        ExportError::Csv(e)
    }
}

impl From<parquet::errors::ParquetError> for ExportError {
    fn from(e: parquet::errors::ParquetError) -> Self {
        ExportError::Parquet(e)
    }
}

/// The calls of `instance` started in `[from_ms, to_ms)`.
fn in_range(
    instance: &str,
    from_ms: i64,
    to_ms: i64,
) -> ccgate_plugin_sdk::sea_orm::Select<call::Entity> {
    call::Entity::find()
        .filter(call::Column::InstanceId.eq(instance))
        .filter(call::Column::StartMs.gte(from_ms))
        .filter(call::Column::StartMs.lt(to_ms))
}

/// How many calls of `instance` started in `[from_ms, to_ms)` (one indexed count).
///
/// Errors: storage.
pub async fn count<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<u64, DbErr> {
    in_range(instance, from_ms, to_ms).count(db).await
}

/// The next at most `limit` calls of `instance` started in `[from_ms, to_ms)` after the
/// cursor `after` (`start_ms`, `contact_id` of the last row read; `None`: from the start), in
/// (`start_ms`, `contact_id`) order.
///
/// Errors: storage.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    from_ms: i64,
    to_ms: i64,
    after: Option<(i64, &str)>,
    limit: u64,
) -> Result<Vec<call::Model>, DbErr> {
    let mut q = match after {
        None => in_range(instance, from_ms, to_ms),
        // The range starts at the cursor's start time (one index range); the condition skips
        // the rows of that instant already read.
        Some((start, contact)) => in_range(instance, from_ms.max(start), to_ms).filter(
            Condition::any()
                .add(call::Column::StartMs.gt(start))
                .add(call::Column::ContactId.gt(contact)),
        ),
    };
    q = q
        .order_by_asc(call::Column::StartMs)
        .order_by_asc(call::Column::ContactId)
        .limit(limit);
    q.all(db).await
}

/// Where rows go.
enum Sink<W: Write + Send> {
    Csv(Box<csv::Writer<W>>),
    Parquet(Box<ParquetSink<W>>),
}

/// The Parquet writer and the columns of the row group being filled.
struct ParquetSink<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    texts: Vec<Vec<ByteArray>>,
    longs: Vec<Vec<i64>>,
    rows: usize,
}

/// The Parquet schema of [`COLUMNS`].
fn parquet_schema() -> String {
    let mut s = String::from("message cdr {\n");
    for (name, kind, _) in COLUMNS {
        match kind {
            Kind::Text => s.push_str(&format!("  REQUIRED BYTE_ARRAY {name} (UTF8);\n")),
            Kind::Long => s.push_str(&format!("  REQUIRED INT64 {name};\n")),
        }
    }
    s.push('}');
    s
}

impl<W: Write + Send> ParquetSink<W> {
    fn new(out: W) -> Result<Self, ExportError> {
        let schema = Arc::new(parquet::schema::parser::parse_message_type(
            &parquet_schema(),
        )?);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("ccgate-reports {}", env!("CARGO_PKG_VERSION")))
            .build();
        let texts = COLUMNS.iter().filter(|c| c.1 == Kind::Text).count();
        Ok(ParquetSink {
            writer: SerializedFileWriter::new(out, schema, Arc::new(props))?,
            texts: vec![Vec::new(); texts],
            longs: vec![Vec::new(); COLUMNS.len() - texts],
            rows: 0,
        })
    }

    fn push(&mut self, c: &call::Model) -> Result<(), ExportError> {
        let (mut t, mut l) = (0, 0);
        for cell in cells(c) {
            match cell {
                Cell::Text(s) => {
                    self.texts[t].push(ByteArray::from(s));
                    t += 1;
                }
                Cell::Long(n) => {
                    self.longs[l].push(n);
                    l += 1;
                }
            }
        }
        self.rows += 1;
        if self.rows >= ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows as one row group.
    fn flush(&mut self) -> Result<(), ExportError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut group = self.writer.next_row_group()?;
        let (mut t, mut l) = (0, 0);
        while let Some(mut col) = group.next_column()? {
            match COLUMNS[t + l].1 {
                Kind::Text => {
                    col.typed::<ByteArrayType>()
                        .write_batch(&self.texts[t], None, None)?;
                    self.texts[t].clear();
                    t += 1;
                }
                Kind::Long => {
                    col.typed::<Int64Type>()
                        .write_batch(&self.longs[l], None, None)?;
                    self.longs[l].clear();
                    l += 1;
                }
            }
            col.close()?;
        }
        group.close()?;
        self.rows = 0;
        Ok(())
    }
}

impl<W: Write + Send> Sink<W> {
    fn new(format: Format, out: W) -> Result<Self, ExportError> {
        Ok(match format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(COLUMNS.iter().map(|c| c.0))?;
                Sink::Csv(Box::new(w))
            }
            Format::Parquet => Sink::Parquet(Box::new(ParquetSink::new(out)?)),
        })
    }

    fn write(&mut self, rows: &[call::Model]) -> Result<(), ExportError> {
        match self {
            Sink::Csv(w) => {
                for c in rows {
                    w.write_record(cells(c).iter().map(|cell| match cell {
                        Cell::Text(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
                        Cell::Long(n) => std::borrow::Cow::Owned(n.to_string().into_bytes()),
                    }))?;
                }
                Ok(())
            }
            Sink::Parquet(p) => {
                for c in rows {
                    p.push(c)?;
                }
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<W, ExportError> {
        match self {
            Sink::Csv(w) => w.into_inner().map_err(|e| ExportError::Io(e.into_error())),
            Sink::Parquet(mut p) => {
                p.flush()?;
                // Writes the footer.
                Ok(p.writer.into_inner()?)
            }
        }
    }
}

/// One export under way: call [`Export::step`] until it answers `false`, then
/// [`Export::finish`].
pub struct Export<W: Write + Send> {
    instance: String,
    from_ms: i64,
    to_ms: i64,
    after: Option<(i64, String)>,
    done: u64,
    total: u64,
    sink: Sink<W>,
}

impl<W: Write + Send> std::fmt::Debug for Export<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export")
            .field("instance", &self.instance)
            .field("from_ms", &self.from_ms)
            .field("to_ms", &self.to_ms)
            .field("done", &self.done)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send> Export<W> {
    /// Counts the calls of `instance` started in `[from_ms, to_ms)` and starts writing them
    /// as `format` to `out` (CSV: the header line).
    ///
    /// Errors: storage; writing `out`.
    pub async fn start<C: ConnectionTrait>(
        db: &C,
        instance: &str,
        from_ms: i64,
        to_ms: i64,
        format: Format,
        out: W,
    ) -> Result<Self, ExportError> {
        let total = count(db, instance, from_ms, to_ms).await?;
        Ok(Export {
            instance: instance.to_string(),
            from_ms,
            to_ms,
            after: None,
            done: 0,
            total,
            sink: Sink::new(format, out)?,
        })
    }

    /// Reads and writes the next page; `false` when there was none (the export is complete).
    ///
    /// Errors: storage; writing.
    pub async fn step<C: ConnectionTrait>(&mut self, db: &C) -> Result<bool, ExportError> {
        let after = self.after.as_ref().map(|(s, c)| (*s, c.as_str()));
        let rows = page(db, &self.instance, self.from_ms, self.to_ms, after, PAGE).await?;
        let Some(last) = rows.last() else {
            return Ok(false);
        };
        self.after = Some((last.start_ms, last.contact_id.clone()));
        self.sink.write(&rows)?;
        self.done += rows.len() as u64;
        self.total = self.total.max(self.done);
        Ok((rows.len() as u64) == PAGE)
    }

    /// Rows written so far.
    pub fn rows_done(&self) -> u64 {
        self.done
    }

    /// Rows counted at the start (or written, if more).
    pub fn rows_total(&self) -> u64 {
        self.total
    }

    /// Percent of the rows written, 0-100 (100 for an empty range).
    pub fn percent_done(&self) -> u8 {
        percent(self.done, self.total)
    }

    /// Completes the file (Parquet: the last row group and the footer) and hands `out` back;
    /// answers it with the rows written.
    ///
    /// Errors: writing.
    pub fn finish(self) -> Result<(W, u64), ExportError> {
        let done = self.done;
        Ok((self.sink.finish()?, done))
    }
}

/// `done` of `total` in percent, 0-100, rounded down (100 when `total` is 0).
pub fn percent(done: u64, total: u64) -> u8 {
    if total == 0 {
        return 100;
    }
    (done.min(total) * 100 / total) as u8
}

/// Exports in one go (the calls of `instance` started in `[from_ms, to_ms)` as `format` to
/// `out`), calling `progress(done, total)` after each page; answers `out` and the rows
/// written. Used by `ccgate reports export`.
///
/// Errors: storage; writing.
pub async fn export_all<C: ConnectionTrait, W: Write + Send>(
    db: &C,
    instance: &str,
    from_ms: i64,
    to_ms: i64,
    format: Format,
    out: W,
    mut progress: impl FnMut(u64, u64),
) -> Result<(W, u64), ExportError> {
    let mut export = Export::start(db, instance, from_ms, to_ms, format, out).await?;
    progress(0, export.rows_total());
    while export.step(db).await? {
        progress(export.rows_done(), export.rows_total());
    }
    progress(export.rows_done(), export.rows_total());
    export.finish()
}
