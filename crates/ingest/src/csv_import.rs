//! CSV import of records of any kind, all rows or nothing.
//!
//! # The file
//!
//! - UTF-8, with or without a byte order mark. The separator is `;` when the header line holds
//!   more `;` than `,` (what Excel writes in most European locales), else `,`. Cells may be
//!   quoted (`"a, b"`, `"say ""hi"""`, line breaks inside quotes); cells are trimmed, and
//!   lines whose cells are all empty are skipped.
//! - The first row names the columns, matched case-insensitively to a field's name
//!   (`site_id`) or label (`Site`); a reference column may also be named after the kind it
//!   refers to (`Zone`), unless two fields refer to that kind. `ID`, `Created`, `Updated` and
//!   `Version` are ignored, so a file written by `otkeep_report::write_csv` imports back.
//!   An unknown or repeated column, or a missing required one, rejects the file.
//! - References hold titles, not ids: the site column holds the site code (any case), other
//!   references the referenced record's title (a zone's name) within the row's site. `#12`
//!   refers to the record with id 12.
//! - The site of every row can also be given by the caller (the CLI's `--site CODE`); a site
//!   column then may only repeat that site.
//!
//! - An XLSX workbook imports the same way ([`xlsx_as_csv`]): the sheet named after the kind
//!   (its plural, e.g. `patches`; else the first sheet), dates as `YYYY-MM-DD`, and line
//!   numbers that are the sheet's row numbers.
//!
//! # The import
//!
//! Every row is checked: parsed with [`values_from_text`], references resolved, and created in
//! one write transaction (reason `import <file>`), where the store checks what needs the
//! database (names unique within the site, also against earlier rows of the same file;
//! references within the site). If any row has a problem, the transaction is rolled back and
//! [`ImportError::Rejected`] lists every problem with its line and field; otherwise it is
//! committed, with one audit event per created record.

use otkeep_core::kind::{Field, FieldType, KindDef};
use otkeep_core::kinds::SITE_KIND;
use otkeep_core::value::{parse_text, values_from_text};
use otkeep_core::{Value, Values};
use otkeep_store::{Store, StoreError, WriteTx};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufRead, BufReader, Cursor, Read};

/// The sheet of an XLSX workbook holding records of `kind` (named after its plural or label,
/// else the first sheet), as CSV text that [`import_csv`] reads with the same line numbers.
pub fn xlsx_as_csv(bytes: &[u8], file: &str, kind: &KindDef) -> Result<Vec<u8>, ImportError> {
    let rows =
        crate::assessment_sheet::read_xlsx_rows(bytes, file, &[kind.plural, kind.label_plural])?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut line = 1u64;
    for (row, cells) in rows {
        // Empty lines keep the row numbers; the reader skips them.
        while line < row {
            out.write_record([""])
                .map_err(|e| unreadable(file, e.to_string()))?;
            line += 1;
        }
        out.write_record(&cells)
            .map_err(|e| unreadable(file, e.to_string()))?;
        line += 1;
    }
    out.into_inner()
        .map_err(|e| unreadable(file, e.to_string()))
}

fn unreadable(file: &str, message: String) -> ImportError {
    ImportError::Unreadable {
        file: file.to_string(),
        message,
    }
}

/// The UTF-8 byte order mark that Excel writes at the start of "CSV UTF-8" files.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Header cells (lower-case) that are accepted and ignored: the record id and bookkeeping
/// columns of exports.
const IGNORED_COLUMNS: &[&str] = &[
    "id",
    "created",
    "updated",
    "version",
    "created_at",
    "updated_at",
];

/// How many problems the `Display` of [`ImportError::Rejected`] lists before "… and N more".
const ERRORS_SHOWN: usize = 20;

/// One problem found in the file: the line it starts on (the header is line 1; 0 when the
/// problem concerns the import as a whole, such as an unknown `--site`), the field (a field
/// name such as `owner`, a column name as written in the header, or empty when the problem is
/// the row as a whole) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl RowError {
    fn new(line: u64, field: impl Into<String>, message: impl Into<String>) -> RowError {
        RowError {
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// `line 7, owner: Owner is required`; the line is left out when 0, the field when empty.
impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.field.is_empty()) {
            (0, true) => write!(f, "{}", self.message),
            (0, false) => write!(f, "{}: {}", self.field, self.message),
            (line, true) => write!(f, "line {line}: {}", self.message),
            (line, false) => write!(f, "line {line}, {}: {}", self.field, self.message),
        }
    }
}

/// The outcome of a successful import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Records created (one audit event each).
    pub created: usize,
    /// Data rows read (empty lines not counted).
    pub rows: usize,
}

/// Why an import did not happen. In every case nothing was imported.
#[derive(thiserror::Error, Debug)]
pub enum ImportError {
    /// Nothing was imported; every problem is listed (all rows are checked, not just up to the
    /// first error), sorted by line.
    #[error("{}", rejected_message(.file, .errors))]
    Rejected { file: String, errors: Vec<RowError> },
    /// The file could not be read as CSV at all (names the file and line).
    #[error("{file} cannot be read as CSV: {message}")]
    Unreadable { file: String, message: String },
    /// The database failed (not a problem of the file).
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn rejected_message(file: &str, errors: &[RowError]) -> String {
    let n = errors.len();
    let mut out = format!(
        "{file}: nothing was imported; {n} problem{} found",
        if n == 1 { "" } else { "s" }
    );
    for e in errors.iter().take(ERRORS_SHOWN) {
        out.push_str("\n  ");
        out.push_str(&e.to_string());
    }
    if n > ERRORS_SHOWN {
        out.push_str(&format!("\n  … and {} more", n - ERRORS_SHOWN));
    }
    out
}

/// Imports records of `kind` from the CSV text `reader` (named `file` in messages and in the
/// audit trail's reason, `import <file>`) on behalf of `actor`.
///
/// `site_code`, when given, is the site of every row (the CLI's `--site`). `progress` is
/// called after each data row was handled (written, or found faulty) with the number of rows
/// handled so far.
///
/// Either every row is imported in one transaction, or nothing is and the error lists every
/// problem found: see the [module documentation](self) for the file format and the checks.
pub async fn import_csv<R: Read>(
    store: &Store,
    kind: &'static KindDef,
    reader: R,
    file: &str,
    site_code: Option<&str>,
    actor: &str,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let mut rows = CsvRows::open(reader, file, kind)?;
    let resolver = Resolver {
        store,
        cache: HashMap::new(),
    };
    let mut importer = Importer::start(kind, &rows, site_code, resolver, file).await?;
    let mut tx: Option<WriteTx<'_>> = None;
    let mut report = ImportReport::default();
    while let Some((line, cells)) = rows.next_row()? {
        report.rows += 1;
        if let Some(values) = importer.check_row(line, &cells).await? {
            if tx.is_none() {
                let reason = format!("import {file}");
                tx = Some(store.begin_write(actor, Some(&reason)).await?);
            }
            if let Some(tx) = tx.as_mut() {
                match tx.create(kind, values).await {
                    Ok(_) => report.created += 1,
                    Err(StoreError::Invalid(problems)) => importer.errors.extend(
                        problems
                            .into_iter()
                            .map(|e| RowError::new(line, e.field, e.message)),
                    ),
                    Err(other) => return Err(other.into()),
                }
            }
        }
        progress(report.rows as u64);
    }

    if !importer.errors.is_empty() {
        // Dropping the transaction rolls back every row created so far.
        drop(tx);
        return Err(rejected(file, importer.errors));
    }
    if let Some(tx) = tx {
        tx.commit().await?;
    }
    Ok(report)
}

/// Reads and checks the CSV text of records of `kind` as [`import_csv`] does, without a
/// database: the same file format, header and row checks and errors, except that references
/// are not looked up (every site code, title and `#id` is taken to exist and gets a made-up
/// id) and what only the database checks (unique names, same-site references) is not checked.
/// Returns each good row's line and values, or every problem found. Total: never panics.
pub fn check_csv<R: Read>(
    kind: &'static KindDef,
    reader: R,
    file: &str,
    site_code: Option<&str>,
) -> Result<Vec<(u64, Values)>, ImportError> {
    let mut rows = CsvRows::open(reader, file, kind)?;
    let lookup = MadeUpIds::default();
    let mut importer = at_once(Importer::start(kind, &rows, site_code, lookup, file))?;
    let mut good = Vec::new();
    while let Some((line, cells)) = rows.next_row()? {
        if let Some(values) = at_once(importer.check_row(line, &cells))? {
            good.push((line, values));
        }
    }
    if !importer.errors.is_empty() {
        return Err(rejected(file, importer.errors));
    }
    Ok(good)
}

/// Runs a future that never waits (one of [`MadeUpIds`]) to its end.
fn at_once<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Every problem found, sorted by line, as the error of the whole file.
fn rejected(file: &str, mut errors: Vec<RowError>) -> ImportError {
    errors.sort_by_key(|e| e.line);
    ImportError::Rejected {
        file: file.to_string(),
        errors,
    }
}

/// The input of the CSV reader: the header line read ahead, then the rest, CRLF as LF.
type CsvInput<R> = CrlfToLf<std::io::Chain<Cursor<Vec<u8>>, BufReader<R>>>;

/// The rows of a CSV file: the separator chosen from the header line, a byte order mark
/// dropped, CRLF read as LF, cells trimmed and checked to be UTF-8, empty lines skipped.
struct CsvRows<R: Read> {
    csv: csv::Reader<CsvInput<R>>,
    record: csv::ByteRecord,
    file: String,
    /// The header's cells and line.
    names: Vec<String>,
    header_line: u64,
}

impl<R: Read> CsvRows<R> {
    /// Reads the file up to its header row; a file without one is rejected.
    fn open(reader: R, file: &str, kind: &KindDef) -> Result<CsvRows<R>, ImportError> {
        // The separator is chosen from the header line, read ahead of the CSV reader and then
        // handed to it in front of the rest of the input.
        // Lines before the header that hold no text (only separators or spaces) are skipped.
        let mut input = BufReader::new(reader);
        let mut first = Vec::new();
        let mut line = 0u64;
        let header_start = loop {
            let start = first.len();
            line += 1;
            let n = input
                .read_until(b'\n', &mut first)
                .map_err(|e| unreadable(file, format!("line {line}: {e}")))?;
            if start == 0 && first.starts_with(UTF8_BOM) {
                first.drain(..UTF8_BOM.len());
            }
            let text = first.get(start..).unwrap_or_default();
            if n == 0
                || !text
                    .iter()
                    .all(|b| b.is_ascii_whitespace() || *b == b';' || *b == b',')
            {
                break start;
            }
        };
        let delimiter = detect_delimiter(first.get(header_start..).unwrap_or_default());
        // CRLF line ends become LF: the csv crate reports the start line of a record one too
        // low after a CRLF, and line numbers are what users look for in their file.
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(CrlfToLf::new(Cursor::new(first).chain(input)));
        let mut rows = CsvRows {
            csv,
            record: csv::ByteRecord::new(),
            file: file.to_string(),
            names: Vec::new(),
            header_line: 0,
        };
        let mut has_header = false;
        while read_record(&mut rows.csv, &mut rows.record).map_err(|m| unreadable(file, m))? {
            if rows.record.iter().any(|cell| !cell.trim_ascii().is_empty()) {
                has_header = true;
                break;
            }
        }
        if !has_header {
            return Err(rejected(
                file,
                vec![RowError::new(
                    1,
                    "",
                    format!(
                        "the file is empty: expected a header row naming the columns ({})",
                        accepted_columns(kind)
                    ),
                )],
            ));
        }
        rows.header_line = line_of(&rows.record);
        rows.names = text_cells(&rows.record, &[], rows.header_line)
            .map_err(|m| unreadable(file, m))?
            .into_iter()
            .map(str::to_string)
            .collect();
        Ok(rows)
    }

    /// The next row holding any text: its line and its cells.
    fn next_row(&mut self) -> Result<Option<(u64, Vec<&str>)>, ImportError> {
        // A cell is empty when it is text that trims to nothing (text that is not UTF-8 is
        // reported by `text_cells`).
        let empty = |cell: &[u8]| {
            std::str::from_utf8(cell)
                .is_ok_and(|t| otkeep_core::value::formula_unguarded(t.trim()).is_empty())
        };
        loop {
            let more = read_record(&mut self.csv, &mut self.record)
                .map_err(|m| unreadable(&self.file, m))?;
            if !more {
                return Ok(None);
            }
            if !self.record.iter().all(empty) {
                break;
            }
        }
        let line = line_of(&self.record);
        let cells =
            text_cells(&self.record, &self.names, line).map_err(|m| unreadable(&self.file, m))?;
        Ok(Some((line, cells)))
    }
}

/// `;` when the header line holds more semicolons than commas, else `,`.
pub(crate) fn detect_delimiter(first_line: &[u8]) -> u8 {
    let header = first_line
        .split(|b| *b == b'\r' || *b == b'\n')
        .next()
        .unwrap_or_default();
    let count = |c: u8| header.iter().filter(|b| **b == c).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// A reader that turns each CRLF of the text it reads into LF (a lone CR is kept).
pub(crate) struct CrlfToLf<R> {
    inner: R,
    /// A CR ended the previous chunk; whether it is kept depends on the next byte.
    pending_cr: bool,
}

impl<R: BufRead> CrlfToLf<R> {
    pub(crate) fn new(inner: R) -> Self {
        CrlfToLf {
            inner,
            pending_cr: false,
        }
    }
}

impl<R: BufRead> Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let buf = self.inner.fill_buf()?;
            let mut n = 0;
            if buf.is_empty() {
                if std::mem::take(&mut self.pending_cr) {
                    out[0] = b'\r';
                    n = 1;
                }
                return Ok(n);
            }
            if std::mem::take(&mut self.pending_cr) && buf[0] != b'\n' {
                out[0] = b'\r';
                n = 1;
            }
            let mut i = 0;
            while i < buf.len() && n < out.len() {
                let b = buf[i];
                i += 1;
                if b == b'\r' {
                    match buf.get(i) {
                        Some(b'\n') => continue,
                        Some(_) => {}
                        None => {
                            self.pending_cr = true;
                            continue;
                        }
                    }
                }
                out[n] = b;
                n += 1;
            }
            self.inner.consume(i);
            if n > 0 {
                return Ok(n);
            }
        }
    }
}

/// Reads the next record; `Ok(false)` at the end of the input.
fn read_record<R: Read>(
    csv: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
) -> Result<bool, String> {
    csv.read_byte_record(record).map_err(|e| {
        let line = e
            .position()
            .map_or_else(|| csv.position().line(), |p| p.line());
        match e.kind() {
            csv::ErrorKind::Io(io) => format!("line {line}: {io}"),
            _ => format!("line {line}: {e}"),
        }
    })
}

/// The line a record starts on (1-based; quoted cells may span several lines).
fn line_of(record: &csv::ByteRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

/// The record's cells as trimmed text, or a message naming the line and column of the first
/// cell that is not UTF-8.
fn text_cells<'r>(
    record: &'r csv::ByteRecord,
    names: &[String],
    line: u64,
) -> Result<Vec<&'r str>, String> {
    record
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            std::str::from_utf8(bytes)
                .map(|t| otkeep_core::value::formula_unguarded(t.trim()))
                .map_err(|_| {
                let column = match names.get(i).filter(|n| !n.is_empty()) {
                    Some(name) => format!("column '{name}'"),
                    None => format!("column {}", i + 1),
                };
                format!(
                    "line {line}, {column}: the text is not UTF-8; save the file as \"CSV UTF-8\""
                )
            })
        })
        .collect()
}

/// What a column of the file holds.
enum Column {
    /// A field of the kind; `target` is the referenced kind for references.
    Field {
        field: &'static Field,
        target: Option<&'static KindDef>,
    },
    /// A known column that is not imported (`ID`, `Version`, …).
    Ignored,
    /// A column with an empty header; any value in it is an error.
    Unnamed,
}

fn normalised(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Whether the header cell `key` (normalised) names `field` of `kind`.
fn names_field(kind: &KindDef, field: &Field, key: &str) -> bool {
    if normalised(field.name) == key || normalised(field.label) == key {
        return true;
    }
    // A reference may be named after its target kind, when no other field refers to it.
    let Some(target) = field.ref_kind() else {
        return false;
    };
    let unique = kind
        .fields
        .iter()
        .filter(|f| f.ref_kind() == Some(target))
        .count()
        == 1;
    unique
        && (normalised(target) == key
            || otkeep_core::kind(target).is_some_and(|t| normalised(t.label) == key))
}

fn accepted_columns(kind: &KindDef) -> String {
    kind.fields
        .iter()
        .map(|f| format!("{} ({})", f.label, f.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Maps header cells to columns; unknown and repeated columns and missing required fields are
/// errors on the header line.
fn map_header(kind: &'static KindDef, names: &[String], line: u64) -> (Vec<Column>, Vec<RowError>) {
    let mut columns = Vec::with_capacity(names.len());
    let mut errors = Vec::new();
    let mut seen: HashMap<&'static str, &str> = HashMap::new();
    for name in names {
        let key = normalised(name);
        if key.is_empty() {
            columns.push(Column::Unnamed);
            continue;
        }
        if let Some(field) = kind.fields.iter().find(|f| names_field(kind, f, &key)) {
            if let Some(first) = seen.insert(field.name, name) {
                errors.push(RowError::new(
                    line,
                    name.as_str(),
                    format!(
                        "column '{name}' repeats column '{first}' (both are {}); keep one",
                        field.label
                    ),
                ));
            }
            let target = match field.ref_kind() {
                Some(target_name) => match otkeep_core::kind(target_name) {
                    Some(target) => Some(target),
                    None => {
                        errors.push(RowError::new(
                            line,
                            name.as_str(),
                            format!("refers to unknown kind '{target_name}'"),
                        ));
                        None
                    }
                },
                None => None,
            };
            columns.push(Column::Field { field, target });
        } else if IGNORED_COLUMNS.contains(&key.as_str()) {
            columns.push(Column::Ignored);
        } else {
            errors.push(RowError::new(
                line,
                name.as_str(),
                format!(
                    "unknown column '{name}'; the columns of {} are: {} (ID, Created, Updated and Version are ignored)",
                    kind.label_plural.to_lowercase(),
                    accepted_columns(kind)
                ),
            ));
            columns.push(Column::Ignored);
        }
    }
    for field in kind.fields {
        let needed = field.required
            && Some(field.name) != kind.site_field
            && matches!(parse_text(field, ""), Ok(Value::Null));
        if needed && !seen.contains_key(field.name) {
            errors.push(RowError::new(
                line,
                field.name,
                format!("the file has no {} column, which is required", field.label),
            ));
        }
    }
    (columns, errors)
}

/// A resolved reference: the record id and its title (for messages).
type Resolved = Option<(i64, String)>;

/// Finds the record of `target` that a cell names: `#id`, or its title field's value (within
/// `site` for site-scoped kinds).
trait Lookup {
    async fn resolve(
        &mut self,
        target: &'static KindDef,
        site: Option<i64>,
        cell: &str,
    ) -> Result<Resolved, StoreError>;
}

/// The title `cell` stands for, normalised as the title field is stored (site codes are
/// upper-case).
fn title_of(target: &KindDef, cell: &str) -> String {
    target
        .field(target.title_field)
        .and_then(|f| parse_text(f, cell).ok())
        .and_then(|v| v.as_text().map(str::to_string))
        .unwrap_or_else(|| cell.to_string())
}

/// `12` for the cell `#12`.
fn id_cell(cell: &str) -> Option<i64> {
    cell.strip_prefix('#')
        .and_then(|n| n.trim().parse::<i64>().ok())
}

/// Resolves references given by title (or `#id`) in the store, remembering every answer:
/// imports can have 100k rows naming the same few zones.
struct Resolver<'s> {
    store: &'s Store,
    cache: HashMap<(&'static str, Option<i64>, String), Resolved>,
}

impl Lookup for Resolver<'_> {
    async fn resolve(
        &mut self,
        target: &'static KindDef,
        site: Option<i64>,
        cell: &str,
    ) -> Result<Resolved, StoreError> {
        let cell = cell.trim();
        if let Some(id) = id_cell(cell) {
            let key = (target.name, None, format!("#{id}"));
            if let Some(hit) = self.cache.get(&key) {
                return Ok(hit.clone());
            }
            let found = self
                .store
                .titles(target, [id])
                .await?
                .remove(&id)
                .map(|title| (id, title));
            self.cache.insert(key, found.clone());
            return Ok(found);
        }
        let title = title_of(target, cell);
        let site = if target.is_site_scoped() { site } else { None };
        let key = (target.name, site, title);
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit.clone());
        }
        let found = self
            .store
            .find_id(target, target.title_field, &key.2, site)
            .await?
            .map(|id| (id, key.2.clone()));
        self.cache.insert(key, found.clone());
        Ok(found)
    }
}

/// [`check_csv`]'s lookup without a database: every record named exists; each distinct
/// title of a kind gets its own id.
#[derive(Default)]
struct MadeUpIds {
    ids: HashMap<(&'static str, String), i64>,
}

impl Lookup for MadeUpIds {
    async fn resolve(
        &mut self,
        target: &'static KindDef,
        _site: Option<i64>,
        cell: &str,
    ) -> Result<Resolved, StoreError> {
        let cell = cell.trim();
        if let Some(id) = id_cell(cell) {
            return Ok(Some((id, format!("#{id}"))));
        }
        let title = title_of(target, cell);
        let next = self.ids.len() as i64 + 1;
        let id = *self.ids.entry((target.name, title.clone())).or_insert(next);
        Ok(Some((id, title)))
    }
}

/// The per-file state of an import: the columns, the site, the lookups and the problems.
struct Importer<L> {
    kind: &'static KindDef,
    columns: Vec<Column>,
    site_field: Option<&'static Field>,
    site_column: Option<usize>,
    /// The site given by the caller (`--site`): id and code.
    fixed_site: Resolved,
    resolver: L,
    errors: Vec<RowError>,
}

impl<L: Lookup> Importer<L> {
    /// Maps the header of `rows` to the kind's fields and settles where the rows' site comes
    /// from (`site_code`, or a site column); problems with either reject the file.
    async fn start<R: Read>(
        kind: &'static KindDef,
        rows: &CsvRows<R>,
        site_code: Option<&str>,
        mut resolver: L,
        file: &str,
    ) -> Result<Importer<L>, ImportError> {
        let header_line = rows.header_line;
        let (columns, mut errors) = map_header(kind, &rows.names, header_line);
        let site_field = kind.site_field.and_then(|name| kind.field(name));
        let site_column = site_field.and_then(|sf| {
            columns
                .iter()
                .position(|c| matches!(c, Column::Field { field, .. } if field.name == sf.name))
        });
        let mut fixed_site = None;
        match (site_field, site_code) {
            (None, Some(_)) => errors.push(RowError::new(
                0,
                "",
                format!(
                    "{} do not belong to a site; import them without --site",
                    kind.label_plural
                ),
            )),
            (Some(sf), Some(code)) => match resolver.resolve(&SITE_KIND, None, code).await? {
                Some(site) => fixed_site = Some(site),
                None => errors.push(RowError::new(
                    0,
                    sf.name,
                    format!("no site with code '{}' (given with --site)", code.trim()),
                )),
            },
            (Some(sf), None) if site_column.is_none() => errors.push(RowError::new(
                header_line,
                sf.name,
                format!(
                    "the file has no {} column: add one holding each row's site code, or pass --site CODE to import every row into one site",
                    sf.label
                ),
            )),
            _ => {}
        }
        if !errors.is_empty() {
            return Err(rejected(file, errors));
        }
        Ok(Importer {
            kind,
            columns,
            site_field,
            site_column,
            fixed_site,
            resolver,
            errors,
        })
    }

    /// Checks one row: its cells, its references and its values. Returns the values when the
    /// row is fine; else records its problems.
    async fn check_row(&mut self, line: u64, cells: &[&str]) -> Result<Option<Values>, StoreError> {
        let kind = self.kind;
        let mut errors: Vec<RowError> = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            match self.columns.get(i) {
                None => {
                    errors.push(RowError::new(
                        line,
                        "",
                        format!(
                            "the row has a value in column {}, but the header names only {} columns",
                            i + 1,
                            self.columns.len()
                        ),
                    ));
                    break;
                }
                Some(Column::Unnamed) => errors.push(RowError::new(
                    line,
                    "",
                    format!(
                        "the row has a value in column {}, which has no header",
                        i + 1
                    ),
                )),
                Some(_) => {}
            }
        }

        let mut input = BTreeMap::new();
        let mut site = self.fixed_site.clone();
        if let Some(sf) = self.site_field {
            let cell = self
                .site_column
                .and_then(|i| cells.get(i).copied())
                .unwrap_or("");
            if !cell.is_empty() {
                match self.resolver.resolve(&SITE_KIND, None, cell).await? {
                    Some((id, code)) => match &self.fixed_site {
                        Some((fixed, fixed_code)) if *fixed != id => {
                            errors.push(RowError::new(
                                line,
                                sf.name,
                                format!(
                                    "this row is for site {code}, but the import is for site {fixed_code} (--site)"
                                ),
                            ));
                            site = None;
                        }
                        _ => site = Some((id, code)),
                    },
                    None => {
                        errors.push(RowError::new(
                            line,
                            sf.name,
                            not_found(&SITE_KIND, cell, None),
                        ));
                        site = None;
                    }
                }
            }
            if let Some((id, _)) = &site {
                input.insert(sf.name.to_string(), id.to_string());
            }
        }

        for (i, column) in self.columns.iter().enumerate() {
            let Column::Field { field, target } = column else {
                continue;
            };
            if self.site_field.is_some_and(|sf| sf.name == field.name) {
                continue;
            }
            let cell = cells.get(i).copied().unwrap_or("");
            let Some(target) = target else {
                input.insert(field.name.to_string(), cell.to_string());
                continue;
            };
            // Without a site, references within the site cannot be resolved; the site's own
            // problem (unknown, or missing and required) is reported instead.
            if cell.is_empty()
                || (target.is_site_scoped() && self.site_field.is_some() && site.is_none())
            {
                continue;
            }
            let site_id = site.as_ref().map(|(id, _)| *id);
            // A reference list names its records separated by `;` (titles may hold commas).
            let names: Vec<&str> = match field.ty {
                FieldType::Refs(_) => cell
                    .split([';', '\n'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect(),
                _ => vec![cell],
            };
            let mut ids = Vec::with_capacity(names.len());
            for name in names {
                match self.resolver.resolve(target, site_id, name).await? {
                    Some((id, _)) => ids.push(id.to_string()),
                    None => {
                        let site_code = site.as_ref().map(|(_, code)| code.as_str());
                        errors.push(RowError::new(
                            line,
                            field.name,
                            not_found(target, name, site_code),
                        ));
                    }
                }
            }
            input.insert(field.name.to_string(), ids.join(", "));
        }

        match values_from_text(kind, &input) {
            Ok(values) if errors.is_empty() => return Ok(Some(values)),
            Ok(_) => {}
            Err(problems) => {
                for p in problems {
                    // A reference already reported as unresolved is not "required" as well.
                    if !errors.iter().any(|e| e.field == p.field) {
                        errors.push(RowError::new(line, p.field, p.message));
                    }
                }
            }
        }
        self.errors.append(&mut errors);
        Ok(None)
    }
}

/// "no zone named 'X' in site FRA1", "no site with code 'XYZ'", "no zone with id 12".
fn not_found(target: &KindDef, cell: &str, site: Option<&str>) -> String {
    let what = target.label.to_lowercase();
    if let Some(id) = id_cell(cell) {
        return format!("no {what} with id {id}");
    }
    let by = match target.field(target.title_field) {
        Some(f) if f.name == "name" => "named".to_string(),
        Some(f) => format!("with {}", f.label.to_lowercase()),
        None => "named".to_string(),
    };
    match site {
        Some(site) if target.is_site_scoped() => format!("no {what} {by} '{cell}' in site {site}"),
        _ => format!("no {what} {by} '{cell}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otkeep_core::kinds::{ASSET_KIND, CONDUIT_KIND};

    fn header(kind: &'static KindDef, cells: &[&str]) -> (Vec<Column>, Vec<RowError>) {
        let names: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
        map_header(kind, &names, 1)
    }

    #[test]
    fn the_separator_follows_the_header_line() {
        assert_eq!(detect_delimiter(b"Site;Name;Owner, Team\r\nx,y,z,w"), b';');
        assert_eq!(detect_delimiter(b"Site,Name;x,Owner\n"), b',');
        assert_eq!(detect_delimiter(b""), b',');
    }

    #[test]
    fn headers_match_names_labels_and_target_kinds() {
        let (columns, errors) = header(
            &ASSET_KIND,
            &[
                " site ",
                "ZONE",
                "name",
                "Type",
                "Criticality",
                "owner",
                "Lifecycle state",
                "id",
                "Version",
                "",
            ],
        );
        assert!(errors.is_empty(), "{errors:?}");
        let fields: Vec<&str> = columns
            .iter()
            .filter_map(|c| match c {
                Column::Field { field, .. } => Some(field.name),
                _ => None,
            })
            .collect();
        assert_eq!(
            fields,
            [
                "site_id",
                "zone_id",
                "name",
                "asset_type",
                "criticality",
                "owner",
                "lifecycle"
            ]
        );
        assert!(matches!(columns[9], Column::Unnamed));
    }

    #[test]
    fn a_kind_named_by_two_references_is_ambiguous() {
        let (_, errors) = header(&CONDUIT_KIND, &["Site", "Name", "Zone", "Zone B", "Owner"]);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].field, "Zone");
        assert!(errors[0].message.contains("Zone A (zone_a_id)"));
        assert_eq!(errors[1].field, "zone_a_id");
    }

    #[test]
    fn repeated_and_missing_columns_are_named() {
        let (_, errors) = header(
            &ASSET_KIND,
            &[
                "Site",
                "site_id",
                "Name",
                "Type",
                "Criticality",
                "Lifecycle state",
            ],
        );
        let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].starts_with("line 1, site_id: column 'site_id' repeats column 'Site'"));
        assert_eq!(
            shown[1],
            "line 1, owner: the file has no Owner column, which is required"
        );
    }

    #[test]
    fn crlf_becomes_lf_across_chunk_boundaries() {
        for capacity in [1, 2, 3, 64] {
            let inner = BufReader::with_capacity(capacity, &b"a\r\nb\rc\r\r\n\r"[..]);
            let mut out = Vec::new();
            CrlfToLf::new(inner).read_to_end(&mut out).unwrap();
            assert_eq!(out, b"a\nb\rc\r\n\r", "capacity {capacity}");
        }
    }

    #[test]
    fn bad_utf8_names_line_and_column() {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&b"Name,Owner\nok,M\xFCller\n"[..]);
        let mut record = csv::ByteRecord::new();
        assert!(read_record(&mut reader, &mut record).unwrap());
        assert!(read_record(&mut reader, &mut record).unwrap());
        let names = vec!["Name".to_string(), "Owner".to_string()];
        let message = text_cells(&record, &names, line_of(&record)).unwrap_err();
        assert!(message.starts_with("line 2, column 'Owner': "), "{message}");
    }

    #[test]
    fn row_errors_read_as_line_field_message() {
        assert_eq!(
            RowError::new(7, "owner", "Owner is required").to_string(),
            "line 7, owner: Owner is required"
        );
        assert_eq!(
            RowError::new(3, "", "too many").to_string(),
            "line 3: too many"
        );
        assert_eq!(RowError::new(0, "site_id", "x").to_string(), "site_id: x");
    }
}
