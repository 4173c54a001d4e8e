//! `Format=XML` rendering (`dialect::aliyun::xml::render`).
//!
//! Input: a JSON object (used as the response fields when the input parses as one), or any
//! bytes, from which a tree of objects, arrays, strings, numbers, booleans and nulls is built.
//! Object keys become element names: the gateway takes them from its response structs, never
//! from a caller, so they are made valid XML names here (`xml_name`); the values are free.
//!
//! Properties (the output must be well-formed XML 1.0 that gives back what was rendered):
//! * it starts with the `<?xml version="1.0" encoding="UTF-8"?>` declaration;
//! * it contains no character XML 1.0 forbids (controls other than tab, LF, CR; U+FFFE;
//!   U+FFFF), neither literally nor as a character reference;
//! * quick-xml reads it to the end without error: one root element, matching end tags, only
//!   the five predefined entities or character references;
//! * the elements and texts read back are exactly those of the JSON tree (arrays repeat their
//!   key's element, `null` is an empty element, numbers and booleans are their JSON text),
//!   except that a character XML 1.0 cannot carry comes back as U+FFFD, the replacement
//!   `xml.rs` documents (a renderer that writes it unescaped fails the check above first).
#![no_main]

use ccgate_fuzz::{Bytes, xml10_forbidden};
use ccgate_gateway::dialect::aliyun::xml::render;
use libfuzzer_sys::fuzz_target;
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use serde_json::{Map, Value};

const NAMES: [&str; 12] = [
    "RequestId",
    "Code",
    "Message",
    "ContactFlows",
    "ContactFlow",
    "Name",
    "Description",
    "Definition",
    "PhoneNumbers",
    "Number",
    "TotalCount",
    "Data",
];
const ROOTS: [&str; 4] = [
    "ListContactFlowsResponse",
    "Error",
    "ListPhoneNumbersResponse",
    "CreateContactFlowResponse",
];

#[derive(Debug, PartialEq)]
enum Ev {
    Start(String),
    End(String),
    Empty(String),
    Text(String),
}

/// A valid XML 1.0 name (ASCII subset) made from `s`.
fn xml_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(40)
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, 'E');
    }
    out
}

fn sanitize(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (xml_name(&k), sanitize(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(sanitize).collect()),
        other => other,
    }
}

fn key(b: &mut Bytes) -> String {
    let sel = b.byte();
    if sel & 1 == 0 {
        NAMES[(sel as usize >> 1) % NAMES.len()].to_owned()
    } else {
        xml_name(&b.string())
    }
}

fn build(b: &mut Bytes, depth: u32) -> Value {
    let tag = if depth >= 6 { 0 } else { b.byte() % 7 };
    match tag {
        0 | 6 => Value::String(b.string()),
        1 => Value::Null,
        2 => Value::from(i64::from(b.byte() as i8) * i64::from(b.byte())),
        3 => Value::Bool(b.byte() & 1 == 1),
        4 => {
            let n = b.byte() % 4;
            Value::Array((0..n).map(|_| build(b, depth + 1)).collect())
        }
        _ => {
            let n = b.byte() % 4;
            let mut m = Map::new();
            for _ in 0..n {
                let k = key(b);
                m.insert(k, build(b, depth + 1));
            }
            Value::Object(m)
        }
    }
}

fn expect(out: &mut Vec<Ev>, name: &str, v: &Value) {
    match v {
        Value::Array(items) => items.iter().for_each(|item| expect(out, name, item)),
        Value::Object(m) => {
            out.push(Ev::Start(name.to_owned()));
            m.iter().for_each(|(k, v)| expect(out, k, v));
            out.push(Ev::End(name.to_owned()));
        }
        Value::Null => out.push(Ev::Empty(name.to_owned())),
        other => {
            let text: String = match other {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            // xml.rs documents that what XML 1.0 cannot carry is written as U+FFFD.
            let text: String = text
                .chars()
                .map(|c| if xml10_forbidden(c) { '\u{FFFD}' } else { c })
                .collect();
            out.push(Ev::Start(name.to_owned()));
            if !text.is_empty() {
                out.push(Ev::Text(text));
            }
            out.push(Ev::End(name.to_owned()));
        }
    }
}

fn push_text(out: &mut Vec<Ev>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Ev::Text(t)) = out.last_mut() {
        t.push_str(s);
    } else {
        out.push(Ev::Text(s.to_owned()));
    }
}

/// Reads `xml` back; panics (the finding) when it is not well-formed.
fn read_back(xml: &str) -> Vec<Ev> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let ev = reader.read_event().unwrap_or_else(|e| {
            panic!(
                "not well-formed at {}: {e}\n{xml:?}",
                reader.error_position()
            )
        });
        let in_root = depth > 0;
        match ev {
            Event::Eof => break,
            Event::Decl(_) => assert!(out.is_empty() && roots == 0, "misplaced declaration"),
            Event::Start(e) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
                out.push(Ev::Start(
                    String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                ));
            }
            Event::End(e) => {
                depth -= 1;
                out.push(Ev::End(
                    String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                ));
            }
            Event::Empty(e) => {
                if depth == 0 {
                    roots += 1;
                }
                out.push(Ev::Empty(
                    String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                ));
            }
            Event::Text(t) => {
                let s = t.decode().expect("UTF-8 text");
                assert!(in_root, "text outside the root element: {s:?}");
                push_text(&mut out, &s);
            }
            Event::GeneralRef(r) => {
                assert!(in_root, "reference outside the root element");
                let name = r.decode().expect("UTF-8 reference").into_owned();
                match r.resolve_char_ref() {
                    Ok(Some(c)) => {
                        assert!(
                            !xml10_forbidden(c),
                            "&{name}; is a character XML 1.0 forbids"
                        );
                        push_text(&mut out, c.encode_utf8(&mut [0; 4]));
                    }
                    Ok(None) => {
                        let s = resolve_predefined_entity(&name)
                            .unwrap_or_else(|| panic!("undeclared entity &{name};"));
                        push_text(&mut out, s);
                    }
                    Err(e) => panic!("bad character reference &{name};: {e}"),
                }
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    assert_eq!(roots, 1, "exactly one root element");
    out
}

fuzz_target!(|data: &[u8]| {
    let (root, fields) = match serde_json::from_slice::<Value>(data) {
        Ok(Value::Object(m)) => (ROOTS[0], sanitize(Value::Object(m))),
        _ => {
            let mut b = Bytes::new(data);
            let root = ROOTS[b.byte() as usize % ROOTS.len()];
            let mut m = Map::new();
            while !b.is_empty() && m.len() < 32 {
                let k = key(&mut b);
                m.insert(k, build(&mut b, 0));
            }
            (root, Value::Object(m))
        }
    };
    let Value::Object(fields) = fields else {
        unreachable!()
    };

    let xml = render(root, &fields);
    assert_eq!(xml, render(root, &fields), "deterministic");
    let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    assert!(xml.starts_with(decl), "{xml:?}");
    if let Some((i, c)) = xml.char_indices().find(|&(_, c)| xml10_forbidden(c)) {
        panic!(
            "XML 1.0 forbids U+{:04X}, written at byte {i} of {xml:?}",
            c as u32
        );
    }

    let mut want = Vec::new();
    expect(&mut want, root, &Value::Object(fields));
    assert_eq!(
        read_back(&xml),
        want,
        "read back differs from what was rendered: {xml:?}"
    );
});
