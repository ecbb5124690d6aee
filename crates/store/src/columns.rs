//! How a kind's fields map onto table columns, and how rows decode into values.

use otkeep_core::kind::{Field, FieldType, KindDef};
use otkeep_core::{SlVector, Value};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Column names of one field: one column, seven for an SL vector, none for the child-table
/// types (channels, reference lists).
pub fn field_columns(field: &Field) -> Vec<String> {
    match field.ty {
        FieldType::SlVector => (1..=7).map(|i| format!("{}_fr{i}", field.name)).collect(),
        FieldType::Channels | FieldType::Refs(_) => Vec::new(),
        _ => vec![field.name.to_string()],
    }
}

/// All value columns of a kind, in field order.
pub fn value_columns(kind: &KindDef) -> Vec<String> {
    kind.fields.iter().flat_map(field_columns).collect()
}

/// The SELECT list of a kind: bookkeeping columns then value columns, prefixed by `alias.`.
pub fn select_list(kind: &KindDef, alias: &str) -> String {
    let mut cols = vec![
        format!("{alias}.id"),
        format!("{alias}.version"),
        format!("{alias}.created_at"),
        format!("{alias}.updated_at"),
    ];
    cols.extend(
        value_columns(kind)
            .into_iter()
            .map(|c| format!("{alias}.{c}")),
    );
    cols.join(", ")
}

/// One bound parameter.
#[derive(Debug, Clone)]
pub enum Param {
    Int(Option<i64>),
    Text(Option<String>),
}

/// The parameters that store one field's value, matching [`field_columns`].
pub fn field_params(field: &Field, value: &Value) -> Vec<Param> {
    match (field.ty, value) {
        (FieldType::SlVector, Value::Sl(v)) => v
            .levels()
            .iter()
            .map(|l| Param::Int(Some(i64::from(*l))))
            .collect(),
        (FieldType::SlVector, _) => vec![Param::Int(None); 7],
        (FieldType::Channels | FieldType::Refs(_), _) => Vec::new(),
        (FieldType::Bool, v) => vec![Param::Int(Some(i64::from(v.as_bool())))],
        (FieldType::Int { .. } | FieldType::Ref(_), v) => vec![Param::Int(v.as_int())],
        (_, Value::Null) => vec![Param::Text(None)],
        (_, v) => vec![Param::Text(Some(v.to_text()))],
    }
}

/// The INSERT of one row of `kind`: the bookkeeping columns `lead` (name and parameter) then
/// every value column, with `$n` placeholders; returns the SQL (without a RETURNING clause) and
/// the parameters in order.
pub fn insert_row<'v>(
    kind: &KindDef,
    lead: Vec<(&str, Param)>,
    value: impl Fn(&str) -> &'v Value,
) -> (String, Vec<Param>) {
    let mut columns: Vec<String> = lead.iter().map(|(c, _)| c.to_string()).collect();
    columns.extend(value_columns(kind));
    let mut params: Vec<Param> = lead.into_iter().map(|(_, p)| p).collect();
    for f in kind.fields {
        params.extend(field_params(f, value(f.name)));
    }
    let placeholders: Vec<String> = (1..=params.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        kind.table,
        columns.join(", "),
        placeholders.join(", ")
    );
    (sql, params)
}

pub fn bind<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    param: &Param,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    match param {
        Param::Int(i) => query.bind(*i),
        Param::Text(t) => query.bind(t.clone()),
    }
}

/// Decodes one field of a row selected with [`select_list`].
pub fn decode_field(row: &AnyRow, field: &Field) -> Result<Value, sqlx::Error> {
    Ok(match field.ty {
        FieldType::SlVector => {
            let mut levels = [0u8; 7];
            for (i, level) in levels.iter_mut().enumerate() {
                let col = format!("{}_fr{}", field.name, i + 1);
                match row.try_get::<Option<i64>, _>(col.as_str())? {
                    Some(l) => *level = u8::try_from(l).unwrap_or(u8::MAX),
                    None => return Ok(Value::Null),
                }
            }
            SlVector::new(levels)
                .map(Value::Sl)
                .map_err(|e| sqlx::Error::Decode(e.into()))?
        }
        FieldType::Channels => Value::Channels(Vec::new()),
        FieldType::Refs(_) => Value::Ids(Vec::new()),
        FieldType::Bool => {
            Value::Bool(row.try_get::<Option<i64>, _>(field.name)?.unwrap_or(0) != 0)
        }
        FieldType::Int { .. } | FieldType::Ref(_) => row
            .try_get::<Option<i64>, _>(field.name)?
            .map_or(Value::Null, Value::Int),
        _ => row
            .try_get::<Option<String>, _>(field.name)?
            .map_or(Value::Null, Value::Text),
    })
}
