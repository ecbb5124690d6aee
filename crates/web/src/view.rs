//! Request parsing and view models shared by the UI and the API: list queries from URL
//! parameters, display cells of values, form inputs.

use otkeep_core::kind::{Field, FieldType, KindDef};
use otkeep_core::sl::FOUNDATIONAL_REQUIREMENTS;
use otkeep_core::value::{DIRECTIONS, TRANSPORTS, parse_text};
use otkeep_core::{FieldError, Record, Value};
use otkeep_store::{ListQuery, RefTitles, SortOrder};
use std::collections::BTreeMap;

/// Parses list parameters (`q`, `sort`, `order`, `page`, `per_page` and one per filterable
/// field). Unknown parameters are an error when `strict` (the API), ignored otherwise (the UI).
pub fn list_query(
    kind: &'static KindDef,
    params: &[(String, String)],
    strict: bool,
) -> Result<ListQuery, FieldError> {
    let mut q = ListQuery::default();
    for (key, value) in params {
        let value = value.trim();
        match key.as_str() {
            "q" => q.text = Some(value.to_string()).filter(|v| !v.is_empty()),
            "sort" if value.is_empty() => {}
            "sort" => match kind.field(value).filter(|f| f.sortable) {
                Some(f) => q.sort = Some(f.name),
                None if strict => {
                    return Err(FieldError::new("sort", format!("cannot sort by '{value}'")));
                }
                None => {}
            },
            "order" => {
                q.order = if value == "desc" {
                    SortOrder::Desc
                } else {
                    SortOrder::Asc
                }
            }
            "page" | "per_page" if value.is_empty() => {}
            "page" | "per_page" => {
                let n: u32 = match value.parse() {
                    Ok(n) if n >= 1 => n,
                    _ if strict => {
                        return Err(FieldError::new(key, "must be a whole number from 1"));
                    }
                    _ => 1,
                };
                if key == "page" {
                    q.page = n;
                } else {
                    q.per_page = n.min(otkeep_store::read::MAX_PER_PAGE);
                }
            }
            _ => match kind.field(key).filter(|f| f.filterable) {
                Some(_) if value.is_empty() => {}
                Some(field) => match parse_text(field, value) {
                    Ok(v) => {
                        q.filters.insert(field.name, v);
                    }
                    Err(message) => return Err(FieldError::new(field.name, message)),
                },
                None if strict => {
                    return Err(FieldError::new(
                        key,
                        format!(
                            "'{key}' is not a filter of {}",
                            kind.label_plural.to_lowercase()
                        ),
                    ));
                }
                None => {}
            },
        }
    }
    Ok(q)
}

/// One level of an SL vector as displayed.
#[derive(Debug, Clone)]
pub struct SlCell {
    pub fr: &'static str,
    pub title: &'static str,
    pub level: u8,
}

/// One channel as displayed.
#[derive(Debug, Clone)]
pub struct ChannelCell {
    pub protocol: String,
    pub endpoint: String,
    pub direction: &'static str,
}

/// A value as displayed: plain text, a link, a badge, an SL vector or channels.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    /// CSS modifier for a coloured badge (`crit-high`, `life-operational`, `yes`).
    pub badge: Option<String>,
    pub sl: Vec<SlCell>,
    pub channels: Vec<ChannelCell>,
    /// Links to the records of a reference list: (href, title).
    pub links: Vec<(String, String)>,
    pub multiline: bool,
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.sl.is_empty() && self.channels.is_empty()
    }
}

/// The title of a referenced record, or `#id` when it is not known.
fn ref_title(titles: &RefTitles, target: &'static str, id: i64) -> String {
    titles
        .get(&(target, id))
        .cloned()
        .unwrap_or_else(|| format!("#{id}"))
}

pub fn sl_cells(levels: [u8; 7]) -> Vec<SlCell> {
    FOUNDATIONAL_REQUIREMENTS
        .iter()
        .zip(levels)
        .map(|((fr, title), level)| SlCell { fr, title, level })
        .collect()
}

/// How `value` of `field` is shown, with references resolved through `titles`.
pub fn cell(field: &Field, value: &Value, titles: &RefTitles) -> Cell {
    match (field.ty, value) {
        (_, Value::Null) => Cell::default(),
        (FieldType::Ref(target), Value::Int(id)) => {
            let plural = otkeep_core::kind(target).map_or(target, |k| k.plural);
            Cell {
                text: ref_title(titles, target, *id),
                href: Some(format!("/{plural}/{id}")),
                ..Cell::default()
            }
        }
        (FieldType::Refs(target), Value::Ids(ids)) => {
            let plural = otkeep_core::kind(target).map_or(target, |k| k.plural);
            let links: Vec<(String, String)> = ids
                .iter()
                .map(|id| (format!("/{plural}/{id}"), ref_title(titles, target, *id)))
                .collect();
            Cell {
                text: links
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                links,
                ..Cell::default()
            }
        }
        (FieldType::Choice(_), Value::Text(key)) => Cell {
            text: field.choice_label(key).unwrap_or(key).to_string(),
            badge: Some(format!("{}-{key}", field.name)),
            ..Cell::default()
        },
        (FieldType::Bool, v) => Cell {
            text: if v.as_bool() { "Yes" } else { "No" }.to_string(),
            badge: v.as_bool().then(|| "yes".to_string()),
            ..Cell::default()
        },
        (_, Value::Sl(v)) => Cell {
            text: v.to_string(),
            sl: sl_cells(v.levels()),
            ..Cell::default()
        },
        (_, Value::Channels(list)) => Cell {
            text: value.to_text(),
            channels: list
                .iter()
                .map(|c| ChannelCell {
                    protocol: c.protocol.clone(),
                    endpoint: match c.port {
                        Some(p) => format!("{p}/{}", c.transport),
                        None => c.transport.clone(),
                    },
                    direction: DIRECTIONS
                        .iter()
                        .find(|(k, _)| *k == c.direction)
                        .map_or("", |(_, l)| l),
                })
                .collect(),
            ..Cell::default()
        },
        (FieldType::LongText | FieldType::Checklist, v) => Cell {
            text: v.to_text(),
            multiline: true,
            ..Cell::default()
        },
        (_, v) => Cell {
            text: v.to_text(),
            ..Cell::default()
        },
    }
}

/// An option of a select input.
#[derive(Debug, Clone)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
    /// Options with a group label are shown in an `<optgroup>` (zones by site).
    pub group: String,
}

/// One row of the channel editor.
#[derive(Debug, Clone, Default)]
pub struct ChannelRow {
    pub protocol: String,
    pub port: String,
    pub transport: String,
    pub direction: String,
}

/// One category row of a consequence-ratings input.
#[derive(Debug, Clone)]
pub struct ImpactRow {
    pub key: String,
    pub label: String,
    /// The chosen step (`""` for not rated).
    pub value: String,
}

/// One input of a record form.
#[derive(Debug, Clone)]
pub struct FormInput {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub required: bool,
    pub error: Option<String>,
    /// `text`, `textarea`, `select`, `checklist` (several references), `checkbox`, `sl` or
    /// `channels`.
    pub input: &'static str,
    pub value: String,
    pub max: usize,
    pub options: Vec<SelectOption>,
    pub sl: Vec<(&'static str, &'static str, String)>,
    pub channels: Vec<ChannelRow>,
    /// Consequence ratings: a row per category of the risk method, and its impact steps.
    pub impacts: Vec<ImpactRow>,
    pub impact_steps: Vec<(String, String)>,
    /// Checklist items and whether each is done.
    pub items: Vec<(String, bool)>,
}

/// Builds the inputs of a form from the submitted (or stored) text of each field.
/// `ref_options` gives the choices of reference fields; `method` the categories and scale of
/// consequence ratings.
pub fn form_inputs(
    kind: &KindDef,
    text: &BTreeMap<String, String>,
    errors: &[FieldError],
    ref_options: &BTreeMap<&'static str, Vec<SelectOption>>,
    method: &otkeep_core::risk::RiskMethod,
) -> Vec<FormInput> {
    kind.fields
        .iter()
        .map(|f| {
            let value = text.get(f.name).cloned().unwrap_or_default();
            let error = errors
                .iter()
                .filter(|e| e.field == f.name)
                .map(|e| e.message.clone())
                .collect::<Vec<_>>();
            let mut input = FormInput {
                name: f.name,
                label: f.label,
                help: f.help,
                required: f.required,
                error: (!error.is_empty()).then(|| error.join("; ")),
                input: "text",
                value: value.clone(),
                max: 0,
                options: Vec::new(),
                sl: Vec::new(),
                channels: Vec::new(),
                impacts: Vec::new(),
                impact_steps: Vec::new(),
                items: Vec::new(),
            };
            match f.ty {
                FieldType::Text { max } | FieldType::Code { max } => input.max = max,
                FieldType::LongText => input.input = "textarea",
                FieldType::Date => input.input = "date",
                FieldType::DateTime => input.input = "datetime-local",
                FieldType::Bool => input.input = "checkbox",
                FieldType::Choice(choices) => {
                    input.input = "select";
                    input.options = choices
                        .iter()
                        .map(|c| SelectOption {
                            value: c.key.to_string(),
                            label: c.label.to_string(),
                            selected: c.key == value,
                            group: String::new(),
                        })
                        .collect();
                }
                FieldType::Ref(_) | FieldType::Refs(_) => {
                    // One id for a reference (a select), several for a list (checkboxes).
                    let chosen: Vec<&str> = value
                        .split([',', ';', ' '])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect();
                    input.input = if f.ty.is_column() {
                        "select"
                    } else {
                        "checklist"
                    };
                    input.options = ref_options
                        .get(f.name)
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|mut o| {
                            o.selected = chosen.contains(&o.value.as_str());
                            o
                        })
                        .collect();
                }
                FieldType::SlVector => {
                    input.input = "sl";
                    let levels: Vec<String> = otkeep_core::SlVector::parse(&value)
                        .map(|v| v.levels().iter().map(|l| l.to_string()).collect())
                        .unwrap_or_else(|_| vec![String::new(); 7]);
                    input.sl = FOUNDATIONAL_REQUIREMENTS
                        .iter()
                        .zip(levels)
                        .map(|((fr, title), l)| (*fr, *title, l))
                        .collect();
                }
                FieldType::Channels => {
                    input.input = "channels";
                    input.channels = channel_rows(&value);
                }
                FieldType::Checklist => {
                    input.items = otkeep_core::value::checklist_items(&value)
                        .into_iter()
                        .map(|(done, item)| (item, done))
                        .collect();
                    input.input = if input.items.is_empty() {
                        "textarea"
                    } else {
                        "items"
                    };
                }
                FieldType::Impacts => {
                    // Text that does not parse, or rates a category this method does not have,
                    // stays a text input, so nothing typed or stored is lost.
                    let known = |r: &otkeep_core::risk::Impacts| {
                        r.keys()
                            .all(|k| method.categories.iter().any(|c| &c.key == k))
                    };
                    if let Ok(rated) = otkeep_core::risk::parse_impacts(&value)
                        && known(&rated)
                    {
                        input.input = "impacts";
                        input.impacts = method
                            .categories
                            .iter()
                            .map(|c| ImpactRow {
                                key: c.key.clone(),
                                label: c.label.clone(),
                                value: rated.get(&c.key).map_or(String::new(), u8::to_string),
                            })
                            .collect();
                        input.impact_steps = method
                            .impact
                            .iter()
                            .enumerate()
                            .map(|(i, s)| ((i + 1).to_string(), format!("{} {}", i + 1, s.label)))
                            .collect();
                    }
                }
                FieldType::Int { .. }
                | FieldType::TimeZone
                | FieldType::IpList
                | FieldType::SubnetList
                | FieldType::MacList => {}
            }
            input
        })
        .collect()
}

/// Rows of the channel editor: the channels in `text` (as far as they parse) plus three blank rows.
fn channel_rows(text: &str) -> Vec<ChannelRow> {
    let mut rows: Vec<ChannelRow> = text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match otkeep_core::Channel::parse(s) {
            Ok(c) => ChannelRow {
                protocol: c.protocol,
                port: c.port.map(|p| p.to_string()).unwrap_or_default(),
                transport: c.transport,
                direction: c.direction,
            },
            Err(_) => ChannelRow {
                protocol: s.to_string(),
                ..ChannelRow::default()
            },
        })
        .collect();
    rows.extend((0..3).map(|_| ChannelRow::default()));
    rows
}

/// Transports and directions offered by the channel editor.
pub fn channel_choices() -> (Vec<&'static str>, Vec<(&'static str, &'static str)>) {
    (TRANSPORTS.to_vec(), DIRECTIONS.to_vec())
}

/// The text of each field of a stored record, as a form shows it.
pub fn record_text(record: &Record) -> BTreeMap<String, String> {
    record
        .kind
        .fields
        .iter()
        .map(|f| {
            let v = record.get(f.name);
            let text = match (f.ty, v) {
                (FieldType::Bool, v) => if v.as_bool() { "yes" } else { "" }.to_string(),
                (_, v) => v.to_text(),
            };
            (f.name.to_string(), text)
        })
        .collect()
}

fn form_field_value(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Turns submitted form pairs into one text per field: the seven SL selects (`sl_t.fr1` …)
/// become `a,b,c,d,e,f,g`, the channel editor rows (`channels.protocol` … repeated) become
/// `protocol port/transport direction` lines, the ticked boxes of a reference list become
/// `id, id, …`, checkboxes become yes/no.
pub fn form_text(kind: &KindDef, pairs: &[(String, String)]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in kind.fields {
        let get_all = |suffix: &str| -> Vec<String> {
            let key = format!("{}.{suffix}", f.name);
            pairs
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v.trim().to_string())
                .collect()
        };
        let text = match f.ty {
            FieldType::SlVector => {
                let levels: Vec<String> =
                    (1..=7).flat_map(|i| get_all(&format!("fr{i}"))).collect();
                if levels.iter().all(String::is_empty) {
                    String::new()
                } else {
                    // An unset FR among set ones is an error the parser names.
                    levels
                        .iter()
                        .map(|l| if l.is_empty() { "?" } else { l.as_str() })
                        .collect::<Vec<_>>()
                        .join(",")
                }
            }
            FieldType::Channels => {
                let protocols = get_all("protocol");
                let ports = get_all("port");
                let transports = get_all("transport");
                let directions = get_all("direction");
                protocols
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !p.is_empty())
                    .map(|(i, p)| {
                        let transport = transports.get(i).map_or("tcp", String::as_str);
                        let port = ports.get(i).map_or("", String::as_str);
                        let endpoint = if transport == "l2" || port.is_empty() {
                            if transport == "l2" {
                                "l2".to_string()
                            } else {
                                format!("?/{transport}")
                            }
                        } else {
                            format!("{port}/{transport}")
                        };
                        let direction = directions.get(i).map_or("a_to_b", String::as_str);
                        format!("{p} {endpoint} {direction}")
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            FieldType::Checklist => {
                // Items come back as `<field>.item` (all) and `<field>.done` (ticked indexes).
                let items = get_all("item");
                if items.is_empty() {
                    form_field_value(pairs, f.name)
                } else {
                    let done = get_all("done");
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let mark = if done.contains(&i.to_string()) {
                                "x"
                            } else {
                                " "
                            };
                            format!("[{mark}] {item}")
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            }
            FieldType::Impacts => {
                // One select per category (`impacts.safety` …), or the text input's value.
                let prefix = format!("{}.", f.name);
                let rated: Vec<String> = pairs
                    .iter()
                    .filter_map(|(k, v)| {
                        let key = k.strip_prefix(&prefix)?;
                        (!v.trim().is_empty()).then(|| format!("{key}={}", v.trim()))
                    })
                    .collect();
                if rated.is_empty() {
                    pairs
                        .iter()
                        .find(|(k, _)| k == f.name)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                } else {
                    rated.join(", ")
                }
            }
            FieldType::Refs(_) => pairs
                .iter()
                .filter(|(k, v)| k == f.name && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
                .collect::<Vec<_>>()
                .join(", "),
            _ => pairs
                .iter()
                .find(|(k, _)| k == f.name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        };
        out.insert(f.name.to_string(), text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use otkeep_core::config_kinds::COMMISSIONING_KIND;

    #[test]
    fn checklist_items_come_back_from_their_checkboxes() {
        let pairs: Vec<(String, String)> = [
            ("template_items.item", "Disable the web server"),
            ("template_items.item", "Set the protection level"),
            ("template_items.done", "1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let text = form_text(&COMMISSIONING_KIND, &pairs);
        assert_eq!(
            text["template_items"],
            "[ ] Disable the web server\n[x] Set the protection level"
        );
        let inputs = form_inputs(
            &COMMISSIONING_KIND,
            &text,
            &[],
            &BTreeMap::new(),
            &otkeep_core::risk::RiskMethod::default_method(),
        );
        let items = inputs.iter().find(|i| i.name == "template_items").unwrap();
        assert_eq!(items.input, "items");
        assert_eq!(
            items.items,
            [
                ("Disable the web server".to_string(), false),
                ("Set the protection level".to_string(), true)
            ]
        );
    }
}
