//! The action spec files, `plugins/<plugin>/api/<Action>.<version>.toml` (format:
//! `plugins/README.md`), loaded and checked.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use serde::Deserialize;

/// One action's contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub action: String,
    pub version: String,
    pub dialect: String,
    pub plugin: String,
    pub auth: Vec<String>,
    pub summary: String,
    pub instance: Option<String>,
    pub envelope: Vec<String>,
    /// `false` for a spec inside a plugin crate that has no handler yet.
    pub implemented: Option<bool>,
    pub source: Source,
    pub http: Option<Http>,
    #[serde(default)]
    pub param: Vec<Param>,
    #[serde(default)]
    pub response: Vec<Field>,
    #[serde(default)]
    pub error: Vec<ErrorDoc>,
    /// Repository-relative path of the file (set by the loader).
    #[serde(skip)]
    pub file: String,
    /// Whether the plugin folder is a crate (set by the loader).
    #[serde(skip)]
    pub plugin_has_crate: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub seed: String,
    pub section: String,
    pub lines: Vec<u32>,
    pub overview_only: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    pub method: String,
    pub path: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub item_type: Option<String>,
    pub required: bool,
    pub location: String,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub max_length: Option<u64>,
    #[serde(rename = "enum")]
    pub enumeration: Option<Vec<EnumValue>>,
    pub default: Option<toml::Value>,
    /// Repeat lists: most items accepted (`Parameter.Maximum` beyond).
    pub max_items: Option<u64>,
    /// Optional parameters: sending it empty means "clear", distinct from leaving it out
    /// ("keep"); the field is `Option<Option<T>>` (`Option<Vec<T>>` for a repeat list).
    pub empty_clears: Option<bool>,
    pub description: Option<String>,
    pub example: Option<toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub value: toml::Value,
    pub meaning: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub path: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub description: Option<String>,
    /// Rendered as JSON `null` when the handler has no value.
    pub nullable: Option<bool>,
    /// Left out of the reply when the handler has no value (e.g. `DraftId` of a flow without a
    /// draft).
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDoc {
    pub status: u16,
    pub code: Option<String>,
    pub message: String,
}

impl Spec {
    /// The Rust module name: the action in snake case, `_v2020` for 2020-07-01
    /// (`list_phone_numbers_v2020`, `query_ivr_flow_list`).
    pub fn module(&self) -> String {
        let base = self.action.to_snake_case();
        if self.version == "2020-07-01" {
            format!("{base}_v2020")
        } else {
            base
        }
    }

    /// Whether a handler serves it: plugin crates implement their specs unless marked
    /// `implemented = false`; spec-only plugin folders implement nothing.
    pub fn implemented(&self) -> bool {
        self.plugin_has_crate && self.implemented.unwrap_or(true)
    }

    /// Whether this is an Alibaba RPC action.
    pub fn is_rpc(&self) -> bool {
        self.dialect == "aliyun-rpc"
    }

    /// Parameters the request parser reads (headers belong to the dialect and auth layers).
    pub fn parsed_params(&self) -> impl Iterator<Item = &Param> {
        self.param.iter().filter(|p| p.location != "header")
    }
}

impl Param {
    /// The Rust field name.
    pub fn field(&self) -> String {
        rust_ident(&self.name.to_snake_case())
    }

    /// The type of each value: the item type of a repeat list, else the type.
    pub fn value_type(&self) -> &str {
        if self.ty == "repeat-list" {
            self.item_type.as_deref().unwrap_or("string")
        } else {
            &self.ty
        }
    }

    /// The Rust enum generated for a string enumeration whose values are all identifiers.
    pub fn enum_type(&self) -> Option<String> {
        let values = self.enumeration.as_ref()?;
        let idents = values.iter().all(|v| {
            v.value.as_str().is_some_and(|s| {
                !s.is_empty()
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && s.starts_with(|c: char| c.is_ascii_alphabetic())
            })
        });
        (self.value_type() == "string" && idents).then(|| self.name.to_upper_camel_case())
    }
}

/// `name` usable as a Rust identifier (keywords get a trailing underscore).
pub fn rust_ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
        "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "gen",
    ];
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if KEYWORDS.contains(&cleaned.as_str()) {
        format!("{cleaned}_")
    } else {
        cleaned
    }
}

/// Every spec under `root/plugins/*/api/`, sorted by plugin, then file name.
pub fn load_all(root: &Path) -> anyhow::Result<Vec<Spec>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for plugin in std::fs::read_dir(root.join("plugins"))? {
        let api = plugin?.path().join("api");
        if api.is_dir() {
            for f in std::fs::read_dir(&api)? {
                let f = f?.path();
                if f.extension().is_some_and(|e| e == "toml") {
                    files.push(f);
                }
            }
        }
    }
    files.sort();
    let mut specs = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)?;
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let mut spec: Spec =
            toml::from_str(&text).with_context(|| format!("{rel}: not a valid action spec"))?;
        let folder = path
            .parent()
            .and_then(Path::parent)
            .expect("plugins/<p>/api/<f>");
        spec.plugin_has_crate = folder.join("Cargo.toml").is_file();
        spec.file = rel;
        check(&spec)?;
        apply_default_limits(&mut spec);
        specs.push(spec);
    }
    Ok(specs)
}

/// Longest `string` (or repeat-list item) a spec without `max_length` accepts, in characters.
pub const DEFAULT_MAX_LENGTH: u64 = 256;
/// Longest `json-string` a spec without `max_length` accepts, in characters.
pub const DEFAULT_JSON_MAX_LENGTH: u64 = 65_536;
/// Most items of a repeat list a spec without `max_items` accepts.
pub const DEFAULT_MAX_ITEMS: u64 = 100;

/// Every parameter gets a bound (issue 9: one request's work must not grow with unbounded
/// input): strings without `max_length` get [`DEFAULT_MAX_LENGTH`] (json-strings
/// [`DEFAULT_JSON_MAX_LENGTH`]), repeat lists without `max_items` get [`DEFAULT_MAX_ITEMS`].
/// Enumerations need none. The generated parsers, the OpenAPI document and the API reference
/// all show the effective bound.
fn apply_default_limits(spec: &mut Spec) {
    for p in &mut spec.param {
        if p.ty == "repeat-list" && p.max_items.is_none() {
            p.max_items = Some(DEFAULT_MAX_ITEMS);
        }
        if p.enumeration.is_none() && p.max_length.is_none() {
            p.max_length = match p.value_type() {
                "string" => Some(DEFAULT_MAX_LENGTH),
                "json-string" => Some(DEFAULT_JSON_MAX_LENGTH),
                _ => None,
            };
        }
    }
}

const TYPES: &[&str] = &[
    "string",
    "integer",
    "long",
    "boolean",
    "repeat-list",
    "json-string",
    "object",
];
const FIELD_TYPES: &[&str] = &[
    "string", "integer", "long", "boolean", "float", "object", "array",
];

/// The rules the generators rely on.
fn check(spec: &Spec) -> anyhow::Result<()> {
    let f = &spec.file;
    let expected = format!("{}.{}.toml", spec.action, spec.version);
    if !f.ends_with(&format!("/api/{expected}"))
        || !f.starts_with(&format!("plugins/{}/", spec.plugin))
    {
        bail!("{f}: must be plugins/{}/api/{expected}", spec.plugin);
    }
    for p in &spec.param {
        if !TYPES.contains(&p.ty.as_str()) {
            bail!("{f}: parameter {} has unknown type {}", p.name, p.ty);
        }
        if p.ty == "repeat-list" && p.item_type.is_none() {
            bail!("{f}: repeat list {} needs item_type", p.name);
        }
        if p.max_items.is_some() && p.ty != "repeat-list" {
            bail!("{f}: max_items applies to repeat lists only ({})", p.name);
        }
        if p.empty_clears == Some(true) && (p.required || p.default.is_some()) {
            bail!(
                "{f}: empty_clears applies to optional parameters without a default ({})",
                p.name
            );
        }
        if let Some(values) = &p.enumeration {
            for v in values {
                let ok = match p.value_type() {
                    "integer" | "long" => v.value.as_integer().is_some(),
                    _ => v.value.as_str().is_some(),
                };
                if !ok {
                    bail!(
                        "{f}: enum value {} of {} does not have the parameter's type",
                        v.value,
                        p.name
                    );
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for r in &spec.response {
        if !FIELD_TYPES.contains(&r.ty.as_str()) {
            bail!("{f}: response field {} has unknown type {}", r.path, r.ty);
        }
        if !seen.insert(r.path.as_str()) {
            bail!("{f}: response field {} listed twice", r.path);
        }
    }
    if spec.plugin_has_crate && spec.implemented() {
        if !matches!(
            spec.dialect.as_str(),
            "aliyun-rpc" | "huawei-cc-management" | "huawei-isales"
        ) {
            bail!(
                "{f}: dialect {} has no handler support in the gateway",
                spec.dialect
            );
        }
        // Path parameters reach `Params` like query ones (the gateway's route templates);
        // objects arrive as compact JSON text and in `Params::json_body`, with no parser yet.
        if spec.param.iter().any(|p| p.ty == "object") {
            bail!("{f}: object parameters have no generated parser yet");
        }
    }
    Ok(())
}
