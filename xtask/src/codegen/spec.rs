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
    /// Roles that may call it (`admin`, `skill-group-leader`, `agent`); administrators only
    /// when absent.
    pub roles: Option<Vec<String>>,
    /// `[access]`: the parameters naming skill groups and users the caller must be allowed to
    /// touch, and `self_only` for agent-desk actions.
    pub access: Option<Access>,
    /// `serve`: replies are kept in the plugin's list cache; `invalidate`: a write that empties
    /// the instance's cached lists when it ends.
    pub list_cache: Option<String>,
    /// `true` for the example action `cargo xtask new-plugin` scaffolds (`<Camel>Ping`): not an
    /// Alibaba or Huawei action, so it has no `[source]` and is not in
    /// `shared/reference/actions.md`.
    pub example: Option<bool>,
    /// Where the seeds document it; absent only for `example = true`.
    pub source: Option<Source>,
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
    /// The official SDK whose models define the action when no seed documents it (e.g.
    /// `alibabacloud-ccc20200701`); `seed`/`section` then name the closest documented
    /// counterpart.
    pub sdk: Option<String>,
}

/// The `[access]` table of a spec (`plugins/README.md`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// Parameters naming skill groups.
    #[serde(default)]
    pub skill_groups: Vec<String>,
    /// Parameters naming users (UserId, RamId, login name, `<login>@<instance>`).
    #[serde(default)]
    pub users: Vec<String>,
    /// Agent-desk action: a non-admin acts only for themselves.
    #[serde(default)]
    pub self_only: bool,
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
    /// An object (or array of objects) whose fields are the shared shape of this name,
    /// declared once in `plugins/<plugin>/api/shapes/<Name>.toml`; its fields are not listed
    /// in the action spec.
    pub shape: Option<String>,
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

/// A response shape shared by several actions of one plugin:
/// `plugins/<plugin>/api/shapes/<Name>.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// The Rust type name, `UpperCamelCase`, = the file stem.
    pub name: String,
    /// What it is, and where the seeds document it.
    pub description: String,
    /// Its fields, with paths relative to the shape (`ContactFlowId`, `SkillGroup[].Name`).
    #[serde(default)]
    pub field: Vec<Field>,
    /// Repository-relative path of the file (set by the loader).
    #[serde(skip)]
    pub file: String,
}

/// The shapes of every plugin: plugin name → shapes sorted by name.
pub fn load_shapes(root: &Path) -> anyhow::Result<std::collections::BTreeMap<String, Vec<Shape>>> {
    let mut all = std::collections::BTreeMap::new();
    for plugin in std::fs::read_dir(root.join("plugins"))? {
        let plugin = plugin?.path();
        let dir = plugin.join("api/shapes");
        if !dir.is_dir() {
            continue;
        }
        let name = plugin
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut shapes: Vec<Shape> = Vec::new();
        for f in std::fs::read_dir(&dir)? {
            let f = f?.path();
            if f.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let rel = f
                .strip_prefix(root)
                .unwrap_or(&f)
                .to_string_lossy()
                .replace('\\', "/");
            let mut shape: Shape = toml::from_str(&std::fs::read_to_string(&f)?)
                .with_context(|| format!("{rel}: not a valid shape"))?;
            if f.file_stem().is_none_or(|s| *s != *shape.name) {
                bail!("{rel}: must be named {}.toml", shape.name);
            }
            for field in &shape.field {
                if !FIELD_TYPES.contains(&field.ty.as_str()) {
                    bail!("{rel}: field {} has unknown type {}", field.path, field.ty);
                }
            }
            shape.file = rel;
            shapes.push(shape);
        }
        shapes.sort_by(|a, b| a.name.cmp(&b.name));
        all.insert(name, shapes);
    }
    Ok(all)
}

/// `fields` with every shape reference followed by the shape's fields (paths prefixed, shapes
/// inside shapes expanded too), so the documents and checks see every field.
///
/// Errors: an unknown shape, or shapes that contain themselves.
pub fn expand_shapes(file: &str, fields: &[Field], shapes: &[Shape]) -> anyhow::Result<Vec<Field>> {
    fn go(
        file: &str,
        prefix: &str,
        fields: &[Field],
        shapes: &[Shape],
        depth: usize,
        out: &mut Vec<Field>,
    ) -> anyhow::Result<()> {
        if depth > 8 {
            bail!("{file}: shapes nested more than 8 deep (a shape containing itself?)");
        }
        for f in fields {
            let mut f = f.clone();
            f.path = format!("{prefix}{}", f.path);
            let shape = f.shape.clone();
            out.push(f.clone());
            if let Some(name) = shape {
                let Some(s) = shapes.iter().find(|s| s.name == name) else {
                    bail!(
                        "{file}: response field {} names unknown shape {name}",
                        f.path
                    );
                };
                go(
                    file,
                    &format!("{}.", f.path),
                    &s.field,
                    shapes,
                    depth + 1,
                    out,
                )?;
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(file, "", fields, shapes, 0, &mut out)?;
    Ok(out)
}

/// Every spec under `root/plugins/*/api/`, sorted by plugin, then file name, with shape
/// references expanded ([`expand_shapes`]).
pub fn load_all(root: &Path) -> anyhow::Result<Vec<Spec>> {
    let shapes = load_shapes(root)?;
    let mut specs = load_unexpanded(root)?;
    for spec in &mut specs {
        let own = shapes
            .get(&spec.plugin)
            .map(Vec::as_slice)
            .unwrap_or_default();
        spec.response = expand_shapes(&spec.file, &spec.response, own)?;
    }
    Ok(specs)
}

/// Every spec as written (shape references not expanded).
pub fn load_unexpanded(root: &Path) -> anyhow::Result<Vec<Spec>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for plugin in std::fs::read_dir(root.join("plugins"))? {
        let api = plugin?.path().join("api");
        if api.is_dir() {
            for f in std::fs::read_dir(&api)? {
                let f = f?.path();
                // `uses.toml` lists the queries the plugin calls (see `load_queries`).
                if f.extension().is_some_and(|e| e == "toml")
                    && f.file_name().is_some_and(|n| n != "uses.toml")
                {
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
        document_role_refusal(&mut spec);
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

/// Every role a spec may name.
pub const ROLES: &[&str] = &["admin", "skill-group-leader", "agent"];

impl Spec {
    /// The roles that may call it, in [`ROLES`] order (`["admin"]` when the spec names none).
    pub fn roles(&self) -> Vec<&'static str> {
        let named = self.roles.clone().unwrap_or_else(|| vec!["admin".into()]);
        ROLES
            .iter()
            .copied()
            .filter(|r| named.iter().any(|n| n == r))
            .collect()
    }
}

/// Actions that some roles may not call list the gateway's refusal, 403 `NoPermission`, so the
/// OpenAPI document and the API reference show it.
fn document_role_refusal(spec: &mut Spec) {
    let restricted = spec.roles().len() < ROLES.len() || spec.access.is_some();
    let listed = spec
        .error
        .iter()
        .any(|e| e.code.as_deref() == Some("NoPermission"));
    if restricted && !listed && spec.plugin_has_crate {
        spec.error.push(ErrorDoc {
            status: 403,
            code: Some("NoPermission".into()),
            message: "The caller's role %s may not call %s.".into(),
        });
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
    match (spec.example, &spec.source) {
        (Some(true), _) if !spec.plugin_has_crate => {
            bail!("{f}: an example action belongs to a plugin crate")
        }
        (Some(false), _) => bail!("{f}: write `example = true` or nothing"),
        (None, None) => bail!("{f}: missing [source] (only `example = true` actions have none)"),
        _ => {}
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
    for r in spec.roles.iter().flatten() {
        if !ROLES.contains(&r.as_str()) {
            bail!("{f}: unknown role {r:?} (roles: {})", ROLES.join(", "));
        }
    }
    if let Some(a) = &spec.access {
        for name in a.skill_groups.iter().chain(&a.users) {
            if !spec.param.iter().any(|p| p.name == *name) {
                bail!("{f}: [access] names {name:?}, which is not a parameter");
            }
        }
        if a.skill_groups.is_empty() && a.users.is_empty() && !a.self_only {
            bail!("{f}: an empty [access] table; leave it out");
        }
        if spec.instance.as_deref().is_none_or(|i| i == "account") {
            bail!("{f}: [access] needs an instance parameter (the caller's scope is per instance)");
        }
    }
    if let Some(c) = &spec.list_cache
        && !matches!(c.as_str(), "serve" | "invalidate")
    {
        bail!("{f}: list_cache must be \"serve\" or \"invalidate\", not {c:?}");
    }
    if spec.list_cache.as_deref() == Some("serve")
        && spec
            .param
            .iter()
            .any(|p| p.value_type() == "json-string" || p.ty == "object")
    {
        bail!("{f}: a cached action's parameters must be comparable (no json-string or object)");
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

/// A read query a plugin offers other plugins: `plugins/<plugin>/api/queries/<name>.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    /// The query name, `snake_case`, = the file stem.
    pub name: String,
    /// What it answers.
    pub summary: String,
    /// Who calls it and why (documentation).
    pub used_by: Option<String>,
    /// The arguments, as field paths (same syntax as a response: `InstanceIds[]`).
    #[serde(default)]
    pub arg: Vec<Field>,
    /// The result, as field paths.
    #[serde(default)]
    pub result: Vec<Field>,
    /// Errors the query returns besides 500 `InternalError`.
    #[serde(default)]
    pub error: Vec<ErrorDoc>,
    /// The providing plugin (set by the loader).
    #[serde(skip)]
    pub plugin: String,
    /// Repository-relative path of the file (set by the loader).
    #[serde(skip)]
    pub file: String,
}

/// Which other plugins' queries a plugin calls: `plugins/<plugin>/api/uses.toml`,
/// `queries = ["flows.get"]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uses {
    /// `<plugin>.<query>` names.
    #[serde(default)]
    pub queries: Vec<String>,
}

/// Every plugin's queries (sorted by plugin, then name) and uses (plugin → uses).
pub fn load_queries(
    root: &Path,
) -> anyhow::Result<(Vec<Query>, std::collections::BTreeMap<String, Uses>)> {
    let mut queries = Vec::new();
    let mut uses = std::collections::BTreeMap::new();
    let mut plugins: Vec<PathBuf> = std::fs::read_dir(root.join("plugins"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    plugins.sort();
    for plugin in plugins {
        let name = plugin
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rel = |f: &Path| {
            f.strip_prefix(root)
                .unwrap_or(f)
                .to_string_lossy()
                .replace('\\', "/")
        };
        let uses_file = plugin.join("api/uses.toml");
        if uses_file.is_file() {
            let u: Uses = toml::from_str(&std::fs::read_to_string(&uses_file)?)
                .with_context(|| format!("{}: not a valid uses file", rel(&uses_file)))?;
            uses.insert(name.clone(), u);
        }
        let dir = plugin.join("api/queries");
        if !dir.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for f in files {
            let mut q: Query = toml::from_str(&std::fs::read_to_string(&f)?)
                .with_context(|| format!("{}: not a valid query spec", rel(&f)))?;
            if f.file_stem().is_none_or(|s| *s != *q.name) {
                bail!("{}: must be named {}.toml", rel(&f), q.name);
            }
            for field in q.arg.iter().chain(&q.result) {
                if !FIELD_TYPES.contains(&field.ty.as_str()) {
                    bail!(
                        "{}: field {} has unknown type {}",
                        rel(&f),
                        field.path,
                        field.ty
                    );
                }
            }
            q.plugin = name.clone();
            q.file = rel(&f);
            queries.push(q);
        }
    }
    for (consumer, u) in &uses {
        for q in &u.queries {
            let known = queries
                .iter()
                .any(|x| format!("{}.{}", x.plugin, x.name) == *q);
            if !known {
                bail!("plugins/{consumer}/api/uses.toml: no plugin offers query {q:?}");
            }
        }
    }
    Ok((queries, uses))
}
