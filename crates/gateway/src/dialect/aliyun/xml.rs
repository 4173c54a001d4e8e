//! JSON tree → XML, the way Alibaba renders `Format=XML`: object keys become elements,
//! arrays repeat their key's element once per item, `null` becomes an empty element.

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

fn text(w: &mut Writer<Vec<u8>>, name: &str, s: &str) {
    let _ = w.write_event(Event::Start(BytesStart::new(name)));
    let _ = w.write_event(Event::Text(BytesText::new(s)));
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
}
