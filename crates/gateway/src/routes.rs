//! Route templates of the path-routed dialects (Huawei cc-management, Huawei CC-iSales): a
//! table that matches a request's `(method, path)` against every template such as
//! `/rest/isales/v1/openapi/campaigns/{vdnId}` and hands back the template's value and the
//! raw text of its path parameters.
//!
//! Templates (the specs' `[http] path`, `plugins/README.md`):
//! - start with `/`; segments are separated by `/`, none empty (no `//`, no trailing `/`);
//! - a segment is either literal text without `{`/`}`, or one whole parameter `{name}` (`name`
//!   of ASCII letters, digits and `_`, unique within the template);
//! - at most [`MAX_PARAMS`] parameters.
//!
//! Matching compares raw (still percent-encoded) segments, one path segment per template
//! segment; a parameter matches any non-empty segment. Two templates of one method that match
//! exactly the same paths (same literals at the same places, parameters at the same places,
//! whatever their names) are a [`TemplateError::Conflict`]. Every other overlap is resolved,
//! segment by segment from the left, by **literal beats parameter**: `/a/b` wins over `/a/{x}`
//! for `/a/b`, and `/a/{x}/c` still serves `/a/b/c` when `/a/b/...` has no `c`. So each path
//! has at most one route, whatever the order the templates were added in.
//!
//! Cost: one walk of a per-method segment tree, trying the literal child (a hash lookup with
//! the segment's `&str`) before the parameter child; each tree node is visited at most once.
//! A match allocates nothing: parameter values are slices of the request path.

use std::collections::HashMap;

/// Most path parameters one template may have.
pub const MAX_PARAMS: usize = 8;

/// Why a template cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The template is not well formed (see the module docs).
    #[error("route template {method} {template:?} is not valid: {why}")]
    Invalid {
        /// The HTTP method.
        method: String,
        /// The template as declared.
        template: String,
        /// What is wrong.
        why: String,
    },
    /// Another template of the same method matches exactly the same paths.
    #[error(
        "route template {method} {template:?} matches the same paths as {existing:?}; rename or remove one"
    )]
    Conflict {
        /// The HTTP method.
        method: String,
        /// The template being added.
        template: String,
        /// The template already in the table.
        existing: String,
    },
}

/// The raw text of a match's path parameters, in template order: slices of the request path,
/// still percent-encoded.
#[derive(Debug, Clone, Copy)]
pub struct RawParams<'p> {
    values: [&'p str; MAX_PARAMS],
    len: usize,
}

impl<'p> RawParams<'p> {
    fn empty() -> Self {
        Self {
            values: [""; MAX_PARAMS],
            len: 0,
        }
    }

    /// The values, in the order of the template's parameters.
    pub fn values(&self) -> &[&'p str] {
        &self.values[..self.len]
    }
}

/// One template of the table and its value.
#[derive(Debug)]
pub struct Leaf<T> {
    /// The HTTP method, upper case (`GET`, `POST`).
    pub method: &'static str,
    /// The template as declared (`/rest/isales/v1/openapi/campaigns/{vdnId}`).
    pub template: &'static str,
    /// The parameter names, in template order.
    pub params: Vec<&'static str>,
    /// What the template routes to.
    pub value: T,
}

/// A successful match: the template and its parameters.
#[derive(Debug)]
pub struct Match<'t, 'p, T> {
    /// The template matched.
    pub leaf: &'t Leaf<T>,
    raw: RawParams<'p>,
}

impl<'t, 'p, T> Match<'t, 'p, T> {
    /// `(name, raw value)` of each path parameter, in template order; values are slices of the
    /// request path, still percent-encoded.
    pub fn params(&self) -> impl Iterator<Item = (&'static str, &'p str)> + '_ {
        self.leaf
            .params
            .iter()
            .copied()
            .zip(self.raw.values().iter().copied())
    }
}

/// The answer of [`PathTable::lookup`].
#[derive(Debug)]
pub enum Lookup<'t, 'p, T> {
    /// A template of the request's method matches.
    Found(Match<'t, 'p, T>),
    /// No template of the request's method matches, but one of another method does (the
    /// first such in method order): 405.
    WrongMethod(&'t Leaf<T>),
    /// Nothing matches: 404.
    NotFound,
}

#[derive(Debug)]
struct Node<T> {
    literals: HashMap<Box<str>, Node<T>>,
    param: Option<Box<Node<T>>>,
    leaf: Option<Leaf<T>>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Self {
            literals: HashMap::new(),
            param: None,
            leaf: None,
        }
    }
}

impl<T> Node<T> {
    /// Finds the leaf for the segments in `rest` (the path after a `/`), literal children
    /// first; records parameter values in `raw`.
    fn find<'t, 'p>(&'t self, rest: &'p str, raw: &mut RawParams<'p>) -> Option<&'t Leaf<T>> {
        let (segment, tail) = match rest.split_once('/') {
            Some((s, t)) => (s, Some(t)),
            None => (rest, None),
        };
        let next = |node: &'t Node<T>, raw: &mut RawParams<'p>| match tail {
            None => node.leaf.as_ref(),
            Some(t) => node.find(t, raw),
        };
        if let Some(child) = self.literals.get(segment)
            && let Some(leaf) = next(child, raw)
        {
            return Some(leaf);
        }
        let child = self.param.as_deref()?;
        if segment.is_empty() || raw.len == MAX_PARAMS {
            return None;
        }
        let len = raw.len;
        raw.values[len] = segment;
        raw.len += 1;
        let found = next(child, raw);
        if found.is_none() {
            raw.len = len;
        }
        found
    }

    fn leaves(&self) -> Box<dyn Iterator<Item = &Leaf<T>> + '_> {
        Box::new(
            self.leaf
                .iter()
                .chain(self.literals.values().flat_map(|n| n.leaves()))
                .chain(self.param.iter().flat_map(|n| n.leaves())),
        )
    }
}

/// Route templates per HTTP method.
#[derive(Debug)]
pub struct PathTable<T> {
    /// Method → segment tree; few methods, so a list.
    methods: Vec<(&'static str, Node<T>)>,
    len: usize,
}

impl<T> Default for PathTable<T> {
    fn default() -> Self {
        Self {
            methods: Vec::new(),
            len: 0,
        }
    }
}

/// A parsed template segment.
enum Segment<'a> {
    Literal(&'a str),
    Param(&'a str),
}

fn parse<'a>(method: &str, template: &'a str) -> Result<Vec<Segment<'a>>, TemplateError> {
    let invalid = |why: &str| TemplateError::Invalid {
        method: method.to_string(),
        template: template.to_string(),
        why: why.to_string(),
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid("the method must be an upper-case HTTP method"));
    }
    let rest = template
        .strip_prefix('/')
        .ok_or_else(|| invalid("it must start with '/'"))?;
    let mut out = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for seg in rest.split('/') {
        if seg.is_empty() {
            return Err(invalid("it has an empty segment ('//' or a trailing '/')"));
        }
        let param = seg
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .filter(|name| !name.contains(['{', '}']));
        if let Some(name) = param {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(invalid(
                    "a parameter name must be ASCII letters, digits or '_'",
                ));
            }
            if names.contains(&name) {
                return Err(invalid(&format!("parameter {{{name}}} appears twice")));
            }
            names.push(name);
            out.push(Segment::Param(name));
        } else if seg.contains(['{', '}']) {
            return Err(invalid(
                "a parameter must be a whole segment ('/{name}/'), and a literal segment cannot hold '{' or '}'",
            ));
        } else {
            out.push(Segment::Literal(seg));
        }
    }
    if names.len() > MAX_PARAMS {
        return Err(invalid(&format!(
            "it has more than {MAX_PARAMS} parameters"
        )));
    }
    Ok(out)
}

impl<T> PathTable<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `template` for `method` (both `'static`: they come from action specs).
    ///
    /// Errors: [`TemplateError::Invalid`] for a malformed template or method,
    /// [`TemplateError::Conflict`] when a template of `method` already matches exactly the same
    /// paths (the same template included).
    pub fn insert(
        &mut self,
        method: &'static str,
        template: &'static str,
        value: T,
    ) -> Result<(), TemplateError> {
        let segments = parse(method, template)?;
        let root = match self.methods.iter().position(|(m, _)| *m == method) {
            Some(i) => &mut self.methods[i].1,
            None => {
                self.methods.push((method, Node::default()));
                self.methods.sort_by_key(|(m, _)| *m);
                let i = self
                    .methods
                    .iter()
                    .position(|(m, _)| *m == method)
                    .expect("just added");
                &mut self.methods[i].1
            }
        };
        let mut node = root;
        let mut params = Vec::new();
        for seg in segments {
            node = match seg {
                Segment::Literal(s) => node.literals.entry(s.into()).or_default(),
                Segment::Param(name) => {
                    params.push(name);
                    node.param.get_or_insert_with(Default::default)
                }
            };
        }
        if let Some(existing) = &node.leaf {
            return Err(TemplateError::Conflict {
                method: method.to_string(),
                template: template.to_string(),
                existing: existing.template.to_string(),
            });
        }
        node.leaf = Some(Leaf {
            method,
            template,
            params,
            value,
        });
        self.len += 1;
        Ok(())
    }

    /// Matches `path` (the raw request path, without the query) for `method`.
    ///
    /// Output: [`Lookup::Found`] with the template and its parameters; else
    /// [`Lookup::WrongMethod`] when another method's template matches; else
    /// [`Lookup::NotFound`]. No allocation.
    pub fn lookup<'t, 'p>(&'t self, method: &str, path: &'p str) -> Lookup<'t, 'p, T> {
        let Some(rest) = path.strip_prefix('/') else {
            return Lookup::NotFound;
        };
        if let Some((_, root)) = self.methods.iter().find(|(m, _)| *m == method) {
            let mut raw = RawParams::empty();
            if let Some(leaf) = root.find(rest, &mut raw) {
                return Lookup::Found(Match { leaf, raw });
            }
        }
        for (m, root) in &self.methods {
            if *m != method
                && let Some(leaf) = root.find(rest, &mut RawParams::empty())
            {
                return Lookup::WrongMethod(leaf);
            }
        }
        Lookup::NotFound
    }

    /// The template declared exactly as `template` for `method`, if any (not a match of a
    /// request path: `{x}` only finds a parameter segment named `x`).
    pub fn get(&self, method: &str, template: &str) -> Option<&Leaf<T>> {
        match self.lookup(method, template) {
            Lookup::Found(m) if m.leaf.template == template => Some(m.leaf),
            _ => None,
        }
    }

    /// Every template, by method, then in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Leaf<T>> {
        self.methods.iter().flat_map(|(_, root)| root.leaves())
    }

    /// How many templates the table holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the table holds no template.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(templates: &[(&'static str, &'static str)]) -> PathTable<usize> {
        let mut t = PathTable::new();
        for (i, (m, p)) in templates.iter().enumerate() {
            t.insert(m, p, i).unwrap();
        }
        t
    }

    fn found(t: &PathTable<usize>, method: &str, path: &str) -> Option<(usize, Vec<String>)> {
        match t.lookup(method, path) {
            Lookup::Found(m) => Some((
                m.leaf.value,
                m.params().map(|(k, v)| format!("{k}={v}")).collect(),
            )),
            _ => None,
        }
    }

    #[test]
    fn parameters_match_one_segment() {
        let t = table(&[
            ("GET", "/rest/isales/v1/openapi/campaigns/{vdnId}"),
            (
                "PUT",
                "/rest/isales/v1/openapi/campaigns/{vdnId}/{campaignId}/pause",
            ),
        ]);
        assert_eq!(
            found(&t, "GET", "/rest/isales/v1/openapi/campaigns/12"),
            Some((0, vec!["vdnId=12".into()]))
        );
        assert_eq!(
            found(&t, "PUT", "/rest/isales/v1/openapi/campaigns/7/3/pause"),
            Some((1, vec!["vdnId=7".into(), "campaignId=3".into()]))
        );
        // Raw text: percent escapes are left to the caller.
        assert_eq!(
            found(&t, "GET", "/rest/isales/v1/openapi/campaigns/a%2Fb"),
            Some((0, vec!["vdnId=a%2Fb".into()]))
        );
        for miss in [
            "/rest/isales/v1/openapi/campaigns/",
            "/rest/isales/v1/openapi/campaigns",
            "/rest/isales/v1/openapi/campaigns/1/",
            "/rest/isales/v1/openapi/campaigns/1/2",
            "/rest/isales/v1/openapi//1",
            "rest/isales/v1/openapi/campaigns/1",
            "",
        ] {
            assert!(found(&t, "GET", miss).is_none(), "{miss}");
        }
        assert!(matches!(
            t.lookup("POST", "/rest/isales/v1/openapi/campaigns/12"),
            Lookup::WrongMethod(l) if l.method == "GET"
        ));
        assert!(matches!(t.lookup("GET", "/nope"), Lookup::NotFound));
        assert_eq!(t.len(), 2);
        assert_eq!(t.iter().count(), 2);
        assert!(
            t.get("GET", "/rest/isales/v1/openapi/campaigns/{vdnId}")
                .is_some()
        );
        assert!(
            t.get("GET", "/rest/isales/v1/openapi/campaigns/{other}")
                .is_none()
        );
    }

    #[test]
    fn literal_segments_beat_parameters_in_any_insertion_order() {
        let templates = [
            ("GET", "/a/{x}"),
            ("GET", "/a/b"),
            ("GET", "/a/{x}/c"),
            ("GET", "/a/b/d"),
        ];
        for reversed in [false, true] {
            let mut list = templates.to_vec();
            if reversed {
                list.reverse();
            }
            let t = table(&list);
            let idx = |p: &str| list.iter().position(|(_, t)| *t == p).unwrap();
            assert_eq!(found(&t, "GET", "/a/b").unwrap().0, idx("/a/b"));
            assert_eq!(found(&t, "GET", "/a/z").unwrap().0, idx("/a/{x}"));
            assert_eq!(found(&t, "GET", "/a/b/d").unwrap().0, idx("/a/b/d"));
            // `/a/b/...` has no `c`: the parameter branch serves it, with x = b.
            assert_eq!(
                found(&t, "GET", "/a/b/c"),
                Some((idx("/a/{x}/c"), vec!["x=b".into()]))
            );
            assert!(found(&t, "GET", "/a/z/d").is_none());
        }
    }

    #[test]
    fn templates_matching_the_same_paths_conflict() {
        let mut t = PathTable::new();
        t.insert("GET", "/v/{a}/x", 0).unwrap();
        let e = t.insert("GET", "/v/{b}/x", 1).unwrap_err();
        assert!(
            matches!(&e, TemplateError::Conflict { existing, .. } if existing == "/v/{a}/x"),
            "{e}"
        );
        assert!(t.insert("GET", "/v/{a}/x", 2).is_err(), "the same template");
        // Another method, or a literal in place of the parameter: no conflict.
        t.insert("POST", "/v/{b}/x", 3).unwrap();
        t.insert("GET", "/v/lit/x", 4).unwrap();
    }

    #[test]
    fn malformed_templates_are_refused() {
        let mut t = PathTable::new();
        for bad in [
            "",
            "no-slash",
            "/a//b",
            "/a/",
            "/a/{}",
            "/a/{x-y}",
            "/a/x{y}",
            "/a/{x}{y}",
            "/a/{x}/{x}",
            "/a/}",
            "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}",
        ] {
            assert!(
                matches!(t.insert("GET", bad, 0), Err(TemplateError::Invalid { .. })),
                "{bad:?}"
            );
        }
        assert!(t.insert("get", "/a", 0).is_err());
        assert!(t.is_empty());
    }
}
