//! JSON tree → XML, the way Alibaba renders `Format=XML`: object keys become elements,
//! arrays repeat their key's element once per item, `null` becomes an empty element.
//!
//! Text is escaped (`<`, `>`, `&`, quotes), and every character XML 1.0 cannot carry at all —
//! C0 controls other than tab, line feed and carriage return (U+0000-U+0008, U+000B, U+000C,
//! U+000E-U+001F) and the non-characters U+FFFE and U+FFFF (XML 1.0 §2.2 `Char`; not even a
//! character reference may name them) — is replaced by U+FFFD, so a stored value holding one
//! cannot make a listing malformed. JSON answers carry such values unchanged (escaped as
//! `\u0001`).

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::Value;

/// Renders `fields` under a root element `root` (e.g. `ListContactFlowsResponse`, `Error`).
pub fn render(root: &str, fields: &serde_json::Map<String, Value>) -> String {
    let mut w = Writer::new(Vec::new());
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let _ = w.write_event(Event::Start(BytesStart::new(root)));
    for (k, v) in fields {
        write_value(&mut w, k, v);
    }
    let _ = w.write_event(Event::End(BytesEnd::new(root)));
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

fn write_value(w: &mut Writer<Vec<u8>>, name: &str, v: &Value) {
    match v {
        Value::Array(items) => {
            for item in items {
                write_value(w, name, item);
            }
        }
        Value::Object(map) => {
            let _ = w.write_event(Event::Start(BytesStart::new(name)));
            for (k, v) in map {
                write_value(w, k, v);
            }
            let _ = w.write_event(Event::End(BytesEnd::new(name)));
        }
        Value::Null => {
            let _ = w.write_event(Event::Empty(BytesStart::new(name)));
        }
        Value::String(s) => text(w, name, s),
        other => text(w, name, &other.to_string()),
    }
}

/// Whether XML 1.0 can carry `c` (§2.2 `Char`; Rust strings hold no surrogates).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{fffd}' | '\u{10000}'..)
}

/// `s` with every character XML 1.0 cannot carry replaced by U+FFFD (borrowed when clean).
pub fn xml_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().all(xml_char) {
        std::borrow::Cow::Borrowed(s)
    } else {
        s.chars()
            .map(|c| if xml_char(c) { c } else { '\u{fffd}' })
            .collect::<String>()
            .into()
    }
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, s: &str) {
    let _ = w.write_event(Event::Start(BytesStart::new(name)));
    let _ = w.write_event(Event::Text(BytesText::new(&xml_text(s))));
    let _ = w.write_event(Event::End(BytesEnd::new(name)));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn lists_repeat_and_text_is_escaped() {
        let v = json!({"RequestId": "R", "ContactFlows": {"ContactFlow": [{"Name": "a<b"}, {"Name": "c"}]}, "Empty": null, "N": 3, "B": true});
        let xml = super::render("ListContactFlowsResponse", v.as_object().unwrap());
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListContactFlowsResponse><RequestId>R</RequestId>\
             <ContactFlows><ContactFlow><Name>a&lt;b</Name></ContactFlow><ContactFlow><Name>c</Name></ContactFlow></ContactFlows>\
             <Empty/><N>3</N><B>true</B></ListContactFlowsResponse>"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        let v = json!({"Name": "a\u{0}b\u{1b}[31m\u{fffe}\u{ffff}c\td\ne", "Ok": "默认流程 😀"});
        let xml = super::render("R", v.as_object().unwrap());
        assert!(
            xml.contains("<Name>a\u{fffd}b\u{fffd}[31m\u{fffd}\u{fffd}c\td\ne</Name>"),
            "{xml}"
        );
        assert!(xml.contains("<Ok>默认流程 😀</Ok>"), "{xml}");
        // What comes out parses as XML again.
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed: {e}: {xml}"),
            }
        }
    }
}
