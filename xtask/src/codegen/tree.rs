//! The response tree of a spec: its documented field paths (`A.B[].C`) as nested objects and
//! array items, shared by the Rust structs and the OpenAPI schemas.

use super::spec::Field;

/// A node of the response tree built from the documented field paths.
#[derive(Debug, Default)]
pub struct Node {
    pub name: String,
    pub ty: String,
    pub description: Option<String>,
    pub nullable: bool,
    pub optional: bool,
    pub children: Vec<Node>,
    /// The element of an array (`Name[]`).
    pub items: Option<Box<Node>>,
    /// The shared shape this object is (`shape = "..."`); its children come from the shape.
    pub shape: Option<String>,
}

impl Node {
    /// The child named `name`, created (as an object) when missing.
    pub fn child(&mut self, name: &str) -> &mut Node {
        let at = match self.children.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                self.children.push(Node {
                    name: name.to_string(),
                    ty: "object".into(),
                    ..Node::default()
                });
                self.children.len() - 1
            }
        };
        &mut self.children[at]
    }
}

/// The tree of `fields` under a root object named `root`.
pub fn response_tree(root: &str, fields: &[Field]) -> Node {
    let mut root = Node {
        name: root.into(),
        ty: "object".into(),
        ..Node::default()
    };
    for f in fields {
        let mut node = &mut root;
        let segments: Vec<&str> = f.path.split('.').collect();
        for (i, seg) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            let (name, is_item) = match seg.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (*seg, false),
            };
            node = node.child(name);
            if is_item {
                if last && node.items.is_none() && node.description.is_none() {
                    node.description = f.description.clone();
                }
                node.ty = "array".into();
                let description = node
                    .description
                    .clone()
                    .map(|d| format!("One item of `{name}`: {d}"));
                node = node.items.get_or_insert_with(|| {
                    Box::new(Node {
                        name: name.to_string(),
                        ty: "object".into(),
                        description,
                        ..Node::default()
                    })
                });
            }
            if last {
                node.ty = f.ty.clone();
                node.description = f.description.clone();
                node.nullable = f.nullable.unwrap_or(false);
                node.optional = f.optional.unwrap_or(false);
                node.shape = f.shape.clone();
            }
        }
    }
    root
}
