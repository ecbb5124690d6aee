//! Generic reads: one record, filtered/sorted/paginated lists, reference titles, counts.

use crate::columns::{Param, bind, decode_field, select_list};
use crate::{Store, StoreError};
use otkeep_core::access::Scope;
use otkeep_core::kind::{FieldType, KindDef};
use otkeep_core::{Channel, Record, Value};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use std::collections::{BTreeMap, HashMap};

/// Largest page a list returns.
pub const MAX_PER_PAGE: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// A list request: equality filters on filterable fields, free text, site scope, order, page.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Field name → value, already parsed (see `otkeep_core::value::parse_text`).
    pub filters: BTreeMap<&'static str, Value>,
    /// Free text matched (case-insensitively, as a substring) against searchable fields.
    pub text: Option<String>,
    /// The records the reader may see (authorization scope).
    pub scope: Scope,
    /// Sortable field name; the kind's default when `None`.
    pub sort: Option<&'static str>,
    pub order: SortOrder,
    /// 1-based page number.
    pub page: u32,
    pub per_page: u32,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            filters: BTreeMap::new(),
            text: None,
            scope: Scope::All,
            sort: None,
            order: SortOrder::Asc,
            page: 1,
            per_page: 50,
        }
    }
}

/// One page of a list and the total number of matching records.
#[derive(Debug)]
pub struct Page {
    pub records: Vec<Record>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl Page {
    pub fn pages(&self) -> u32 {
        let per = i64::from(self.per_page.max(1));
        u32::try_from((self.total + per - 1) / per)
            .unwrap_or(u32::MAX)
            .max(1)
    }
}

/// Titles of referenced records, keyed by (kind name, id).
pub type RefTitles = HashMap<(&'static str, i64), String>;

/// Builds `WHERE` clauses with `$n` parameters (understood by both backends).
struct Where {
    clauses: Vec<String>,
    params: Vec<Param>,
}

impl Where {
    fn push_param(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn list_where(kind: &KindDef, q: &ListQuery) -> Where {
    let mut w = Where {
        clauses: Vec::new(),
        params: Vec::new(),
    };
    for (name, value) in &q.filters {
        let Some(field) = kind.field(name).filter(|f| f.filterable) else {
            continue;
        };
        if let FieldType::Refs(_) = field.ty {
            // Records whose list names the given record (the first id when given several).
            let Some(id) = value.ids().first() else {
                continue;
            };
            let p = w.push_param(Param::Int(Some(*id)));
            w.clauses.push(format!(
                "EXISTS (SELECT 1 FROM {}_{} c WHERE c.owner_id = t.id AND c.ref_id = {p})",
                kind.table, field.name
            ));
            continue;
        }
        let param = match (field.ty, value) {
            (FieldType::Bool, v) => Param::Int(Some(i64::from(v.as_bool()))),
            (_, Value::Int(i)) => Param::Int(Some(*i)),
            (_, Value::Null) => {
                w.clauses.push(format!("t.{} IS NULL", field.name));
                continue;
            }
            (_, v) => Param::Text(Some(v.to_text())),
        };
        let p = w.push_param(param);
        w.clauses.push(format!("t.{} = {p}", field.name));
    }
    if let Scope::Limited { sites, records } = &q.scope {
        // Ids are integers from our own grants, so they are spelled inline.
        let list = |ids: &[i64]| {
            ids.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut ors = Vec::new();
        if !sites.is_empty() {
            let column = kind.site_field.unwrap_or("id");
            ors.push(format!("t.{column} IN ({})", list(sites)));
        }
        if !records.is_empty() {
            ors.push(format!("t.id IN ({})", list(records)));
        }
        if ors.is_empty() {
            w.clauses.push("1 = 0".into());
        } else {
            w.clauses.push(format!("({})", ors.join(" OR ")));
        }
    }
    if let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let searchable: Vec<&str> = kind
            .fields
            .iter()
            .filter(|f| f.searchable)
            .map(|f| f.name)
            .collect();
        if !searchable.is_empty() {
            let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
            let p = w.push_param(Param::Text(Some(pattern)));
            let ors: Vec<String> = searchable
                .iter()
                .map(|c| format!("LOWER(t.{c}) LIKE {p} ESCAPE '\\'"))
                .collect();
            w.clauses.push(format!("({})", ors.join(" OR ")));
        }
    }
    w
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    params: &[Param],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for p in params {
        query = bind(query, p);
    }
    query
}

pub(crate) fn decode(kind: &'static KindDef, row: &AnyRow) -> Result<Record, sqlx::Error> {
    let mut values = otkeep_core::Values::new();
    for field in kind.fields {
        values.insert(field.name, decode_field(row, field)?);
    }
    Ok(Record {
        kind,
        id: row.try_get("id")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        values,
    })
}

/// ` AND <column> IN (…)` limiting a query to the sites of `scope` (empty for all sites; a
/// clause matching nothing for no site). Ids come from grants, so they are spelled inline.
pub(crate) fn site_filter(scope: &Scope, column: &str) -> String {
    match scope {
        Scope::All => String::new(),
        Scope::Limited { sites, .. } if sites.is_empty() => " AND 1 = 0".to_string(),
        Scope::Limited { sites, .. } => format!(
            " AND {column} IN ({})",
            sites
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The records matching a [`ListQuery`], in its order: `FROM`, `WHERE` and `ORDER BY` parts.
/// Ties on the sort field are broken by id, so the order is total and pages never overlap.
struct Ordered {
    /// `table t` and, when sorting by a reference, the join to the referenced table (`s`).
    from: String,
    filter: Where,
    order_by: String,
}

impl Ordered {
    fn new(kind: &'static KindDef, q: &ListQuery) -> Result<Ordered, StoreError> {
        let sort_field = q
            .sort
            .and_then(|s| kind.field(s))
            .filter(|f| f.sortable && f.ty.is_column() && f.ty != FieldType::SlVector)
            .or_else(|| kind.field(kind.default_sort))
            .ok_or_else(|| StoreError::Corrupt(format!("{} has no sort field", kind.name)))?;
        let dir = match q.order {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        };
        // Sorting by a reference sorts by the referenced record's title.
        let (join, sort_expr) = match sort_field.ty {
            FieldType::Ref(target) => {
                let target = otkeep_core::kind(target)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown kind {target}")))?;
                (
                    format!(
                        " LEFT JOIN {} s ON s.id = t.{}",
                        target.table, sort_field.name
                    ),
                    format!("s.{}", target.title_field),
                )
            }
            _ => (String::new(), format!("t.{}", sort_field.name)),
        };
        Ok(Ordered {
            from: format!("{} t{join}", kind.table),
            filter: list_where(kind, q),
            order_by: format!("{sort_expr} {dir}, t.id {dir}"),
        })
    }

    /// Every matching record.
    fn all(&self, kind: &KindDef) -> String {
        format!(
            "SELECT {} FROM {}{} ORDER BY {}",
            select_list(kind, "t"),
            self.from,
            self.filter.sql(),
            self.order_by
        )
    }

    /// One page. The page's ids are found first and only their rows are read: with the records
    /// themselves, PostgreSQL reads every skipped row from the table (page 10,000 of 500,000
    /// assets took 1.4 s); the ids alone come from an index.
    fn page(&self, kind: &KindDef, limit: u32, offset: i64) -> String {
        format!(
            "SELECT {} FROM {from} JOIN (SELECT t.id AS page_id FROM {from}{} ORDER BY {order} LIMIT {limit} OFFSET {offset}) p ON p.page_id = t.id ORDER BY {order}",
            select_list(kind, "t"),
            self.filter.sql(),
            from = self.from,
            order = self.order_by,
        )
    }
}

impl Store {
    /// Every record matching `q`, in the list's order; for reports, exports and checks that
    /// need the whole set.
    ///
    /// One streamed query rather than page after page: `OFFSET` paging re-reads every skipped
    /// row (quadratic: the daily KPI snapshot over 500,000 assets took minutes) and, between
    /// pages, a concurrent write could shift a record past the cursor or show it twice.
    pub async fn list_all(
        &self,
        kind: &'static KindDef,
        q: &ListQuery,
    ) -> Result<Vec<Record>, StoreError> {
        use futures_util::TryStreamExt;
        let ordered = Ordered::new(kind, q)?;
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::new();
        {
            let mut rows = bind_all(
                sqlx::query(AssertSqlSafe(ordered.all(kind))),
                &ordered.filter.params,
            )
            .fetch(&mut *conn);
            while let Some(row) = rows.try_next().await? {
                out.push(decode(kind, &row)?);
            }
        }
        // Children by owner id lists of bounded length (one `IN (…)` per chunk and field).
        for chunk in out.chunks_mut(MAX_PER_PAGE as usize) {
            load_children(&mut conn, kind, chunk).await?;
        }
        Ok(out)
    }

    /// One record by id.
    pub async fn get(&self, kind: &'static KindDef, id: i64) -> Result<Option<Record>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(get_in(&mut conn, kind, id).await?)
    }

    /// A page of records matching `q`, with the total count.
    pub async fn list(&self, kind: &'static KindDef, q: &ListQuery) -> Result<Page, StoreError> {
        let per_page = q.per_page.clamp(1, MAX_PER_PAGE);
        let page = q.page.max(1);
        let ordered = Ordered::new(kind, q)?;
        let offset = i64::from(page - 1) * i64::from(per_page);
        let sql = ordered.page(kind, per_page, offset);
        let w = &ordered.filter;
        let mut conn = self.pool.acquire().await?;
        let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), &w.params)
            .fetch_all(&mut *conn)
            .await?;
        let mut records = rows
            .iter()
            .map(|r| decode(kind, r))
            .collect::<Result<Vec<_>, _>>()?;
        load_children(&mut conn, kind, &mut records).await?;
        let count_sql = format!("SELECT COUNT(*) FROM {} t{}", kind.table, w.sql());
        let total: i64 = bind_all(sqlx::query(AssertSqlSafe(count_sql)), &w.params)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        Ok(Page {
            records,
            total,
            page,
            per_page,
        })
    }

    /// Titles of records of `kind` by id (for showing references), in one query.
    pub async fn titles(
        &self,
        kind: &'static KindDef,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<HashMap<i64, String>, StoreError> {
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        let sql = format!(
            "SELECT id, {} FROM {} WHERE id IN ({})",
            kind.title_field,
            kind.table,
            list.join(", ")
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)))
            .collect()
    }

    /// Titles of every record that `records` refer to, keyed by (kind name, id): one query per
    /// reference field.
    pub async fn ref_titles(
        &self,
        kind: &'static KindDef,
        records: &[Record],
    ) -> Result<RefTitles, StoreError> {
        let mut out = RefTitles::new();
        for field in kind.fields {
            let Some(target) = field.ref_kind().and_then(otkeep_core::kind) else {
                continue;
            };
            let ids = records
                .iter()
                .flat_map(|r| r.get(field.name).ids().iter().copied());
            for (id, title) in self.titles(target, ids).await? {
                out.insert((target.name, id), title);
            }
        }
        Ok(out)
    }

    /// The id of the record of `kind` whose `field` equals `value` (within `site`, for
    /// site-scoped kinds). Used to resolve references given by name in imports.
    pub async fn find_id(
        &self,
        kind: &'static KindDef,
        field: &str,
        value: &str,
        site: Option<i64>,
    ) -> Result<Option<i64>, StoreError> {
        let field = kind
            .field(field)
            .ok_or_else(|| StoreError::Corrupt(format!("{} has no field {field}", kind.name)))?;
        let (sql, site) = match (kind.site_field, site) {
            (Some(sf), Some(site)) => (
                format!(
                    "SELECT id FROM {} WHERE {} = $1 AND {sf} = $2 ORDER BY id LIMIT 1",
                    kind.table, field.name
                ),
                Some(site),
            ),
            _ => (
                format!(
                    "SELECT id FROM {} WHERE {} = $1 ORDER BY id LIMIT 1",
                    kind.table, field.name
                ),
                None,
            ),
        };
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(value.to_string());
        if let Some(site) = site {
            query = query.bind(site);
        }
        let row = query.fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
    }

    /// Number of records of `kind` per site id.
    pub async fn count_by_site(
        &self,
        kind: &'static KindDef,
    ) -> Result<HashMap<i64, i64>, StoreError> {
        let Some(sf) = kind.site_field else {
            return Ok(HashMap::new());
        };
        let sql = format!("SELECT {sf}, COUNT(*) FROM {} GROUP BY {sf}", kind.table);
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?)))
            .collect()
    }

    /// Number of records of `kind` per (site id, value of `field`), in one query (dashboards).
    pub async fn count_by_site_and_field(
        &self,
        kind: &'static KindDef,
        field: &str,
    ) -> Result<HashMap<(i64, String), i64>, StoreError> {
        let (Some(sf), Some(field)) = (kind.site_field, kind.field(field)) else {
            return Ok(HashMap::new());
        };
        let sql = format!(
            "SELECT {sf}, {f}, COUNT(*) FROM {} GROUP BY {sf}, {f}",
            kind.table,
            f = field.name
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    (
                        r.try_get::<i64, _>(0)?,
                        r.try_get::<Option<String>, _>(1)?.unwrap_or_default(),
                    ),
                    r.try_get::<i64, _>(2)?,
                ))
            })
            .collect()
    }
}

/// Fills the child-table fields (channels, reference lists) of `records` with one query per
/// field.
pub(crate) async fn load_children(
    conn: &mut sqlx::AnyConnection,
    kind: &KindDef,
    records: &mut [Record],
) -> Result<(), sqlx::Error> {
    if records.is_empty() {
        return Ok(());
    }
    let owners: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();
    for field in kind.fields.iter().filter(|f| !f.ty.is_column()) {
        let columns = match field.ty {
            FieldType::Refs(_) => "ref_id",
            _ => "protocol, port, transport, direction",
        };
        let sql = format!(
            "SELECT owner_id, {columns} FROM {}_{} WHERE owner_id IN ({}) ORDER BY owner_id, position",
            kind.table,
            field.name,
            owners.join(", ")
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?;
        let mut by_owner: HashMap<i64, Vec<&AnyRow>> = HashMap::new();
        for row in &rows {
            by_owner.entry(row.try_get(0)?).or_default().push(row);
        }
        for r in records.iter_mut() {
            let rows = by_owner.remove(&r.id).unwrap_or_default();
            let value = match field.ty {
                FieldType::Refs(_) => Value::Ids(
                    rows.iter()
                        .map(|row| row.try_get(1))
                        .collect::<Result<_, _>>()?,
                ),
                _ => Value::Channels(
                    rows.iter()
                        .map(|row| {
                            let port: Option<i64> = row.try_get(2)?;
                            Ok(Channel {
                                protocol: row.try_get(1)?,
                                port: port.and_then(|p| u16::try_from(p).ok()),
                                transport: row.try_get(3)?,
                                direction: row.try_get(4)?,
                            })
                        })
                        .collect::<Result<_, sqlx::Error>>()?,
                ),
            };
            r.values.insert(field.name, value);
        }
    }
    Ok(())
}

/// One record by id, read through `conn` (a pooled connection or a transaction).
pub(crate) async fn get_in(
    conn: &mut sqlx::AnyConnection,
    kind: &'static KindDef,
    id: i64,
) -> Result<Option<Record>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM {} t WHERE t.id = $1",
        select_list(kind, "t"),
        kind.table
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut records = vec![decode(kind, &row)?];
    load_children(conn, kind, &mut records).await?;
    Ok(records.pop())
}
