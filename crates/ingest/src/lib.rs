//! Parsers and importers of otkeep: outside data in, through the store's one write path.
//!
//! Importers are total: any input, however malformed, ends in either a complete import or an
//! error naming the file, the line and the field, never in a panic or a partial import.
//!
//! - [`csv_import`]: CSV import of any kind of record (the CLI uses it for asset inventories).
//!   It reads what spreadsheet programs write (BOM, `;` or `,` separators, headers by label
//!   or field name), resolves references given by title (site code, zone name), checks every
//!   row and imports all rows in one audited transaction, or nothing.
//! - [`assessment_sheet`]: a site's filled-in IEC 62443 assessment sheet back into assessments.
//! - [`catalog`]: the text (and corrected levels) of IEC 62443-3-3 from a customer's licensed
//!   copy.

pub mod assessment_sheet;
pub mod catalog;
pub mod certificate;
pub mod csaf;
pub mod csv_import;
pub mod firewall;
pub mod observe;
pub mod sbom;

pub use assessment_sheet::{
    SheetReport, import_assessment_sheet, read_csv_sheet, read_xlsx_rows, read_xlsx_sheet,
};
pub use catalog::parse_catalog_csv;
pub use certificate::{CertificateError, read_certificate};
pub use csaf::{CsafError, CsafReport, csaf_files, import_csaf_files, parse_csaf};
pub use csv_import::{ImportError, ImportReport, RowError, check_csv, import_csv, xlsx_as_csv};
pub use sbom::{SbomError, parse_sbom};
