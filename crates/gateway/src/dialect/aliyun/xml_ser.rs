//! A serde [`Serializer`](serde::Serializer) that writes XML the way [`super::xml::render`]
//! does, straight from a typed value: one pass, element by element, no intermediate JSON tree.
//!
//! The output is byte for byte `xml::render(root, serde_json::to_value(v).as_object())`, for
//! every value; the rules are serde_json's `to_value` followed by `render`'s:
//! - structs and maps: one child element per field or entry, in order (skipped fields are not
//!   written); map keys as serde_json turns them into strings (strings, chars, integers,
//!   bools, finite floats, unit variants);
//! - sequences, tuples and bytes: the parent key's element once per item; a sequence directly
//!   inside a sequence is flattened the same way (`render` repeats the key for nested arrays);
//! - `None`, `()`, unit structs, non-finite floats: an empty element `<K/>`;
//! - `Some(x)` and newtype structs: `x`;
//! - unit variants: their name as text; newtype, tuple and struct variants: an element named
//!   after the variant inside the key's element (`{"Variant": ...}` in JSON);
//! - strings and chars: escaped, with the characters XML 1.0 cannot carry replaced by U+FFFD
//!   ([`super::xml::xml_text`]); numbers and bools: their JSON text.
//!
//! What `to_value` rejects or cannot reproduce in one pass is an [`Error`], on which the caller
//! falls back to the JSON tree: a map key that is not a string (or a number, bool, char, unit
//! variant), a non-finite float key, an integer out of the `i64`/`u64` range, a key that occurs
//! twice in one object (`to_value` keeps the first place and the last value), a top-level body
//! that is not an object, serde_json's raw values.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::Display;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::{Number, Value};

use super::xml::xml_text;

/// Why a value could not be written in one pass; the caller renders it through
/// `serde_json::to_value` and [`super::xml::render`] instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self(e.to_string())
    }
}

fn err(msg: &str) -> Error {
    Error(msg.to_string())
}

/// Struct names serde_json gives special meaning (`RawValue`, arbitrary-precision numbers).
const SERDE_JSON_TOKENS: [&str; 2] = [
    "$serde_json::private::RawValue",
    "$serde_json::private::Number",
];

/// Renders, under a root element `root`, the `leading` fields (the envelope: `RequestId`,
/// `Success`, `Code`, ...) and then the fields of `body`, which must serialize as a struct or
/// map.
///
/// Byte for byte what [`super::xml::render`] gives for the JSON object made of `leading`
/// followed by `serde_json::to_value(body)`'s fields. When that object could not be written
/// in one pass (see the module docs; in particular a body field named like a leading field),
/// the answer is an [`Error`] and nothing is lost but the attempt.
pub fn render_typed<T: Serialize + ?Sized>(
    root: &str,
    leading: &[(&str, Value)],
    body: &T,
) -> Result<String, Error> {
    let mut w = Writer::new(Vec::with_capacity(1024));
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Start(BytesStart::new(root)))?;
    let mut seen = Seen::default();
    for (k, v) in leading {
        seen.check(k)?;
        v.serialize(Element { w: &mut w, name: k })?;
        seen.push(Cow::Borrowed(k));
    }
    body.serialize(Root { w: &mut w, seen })?;
    w.write_event(Event::End(BytesEnd::new(root)))?;
    String::from_utf8(w.into_inner()).map_err(|e| Error(e.to_string()))
}

type Xml = Writer<Vec<u8>>;

fn start(w: &mut Xml, name: &str) -> Result<(), Error> {
    Ok(w.write_event(Event::Start(BytesStart::new(name)))?)
}

fn end(w: &mut Xml, name: &str) -> Result<(), Error> {
    Ok(w.write_event(Event::End(BytesEnd::new(name)))?)
}

fn empty(w: &mut Xml, name: &str) -> Result<(), Error> {
    Ok(w.write_event(Event::Empty(BytesStart::new(name)))?)
}

fn text(w: &mut Xml, name: &str, s: &str) -> Result<(), Error> {
    start(w, name)?;
    w.write_event(Event::Text(BytesText::new(&xml_text(s))))?;
    end(w, name)
}

/// `<name>n</name>`, `n` as serde_json prints it (digits, sign, `.`, `e`: nothing to escape).
fn number(w: &mut Xml, name: &str, n: &Number) -> Result<(), Error> {
    start(w, name)?;
    serde_json::to_writer(w.get_mut(), n).map_err(|e| Error(e.to_string()))?;
    end(w, name)
}

/// The keys of one object written so far: a key written twice is an [`Error`].
enum Seen<'n> {
    Few(Vec<Cow<'n, str>>),
    Many(HashSet<Cow<'n, str>>),
}

impl Default for Seen<'_> {
    fn default() -> Self {
        Self::Few(Vec::new())
    }
}

impl<'n> Seen<'n> {
    /// Past this many keys, look them up by hash.
    const FEW: usize = 32;

    fn with_capacity(len: usize) -> Self {
        Self::Few(Vec::with_capacity(len.min(Self::FEW)))
    }

    fn check(&self, key: &str) -> Result<(), Error> {
        let dup = match self {
            Self::Few(v) => v.iter().any(|k| k == key),
            Self::Many(s) => s.contains(key),
        };
        if dup {
            Err(Error(format!("duplicate key {key}")))
        } else {
            Ok(())
        }
    }

    fn push(&mut self, key: Cow<'n, str>) {
        match self {
            Self::Few(v) if v.len() < Self::FEW => v.push(key),
            Self::Few(v) => {
                let mut set: HashSet<_> = v.drain(..).collect();
                set.insert(key);
                *self = Self::Many(set);
            }
            Self::Many(s) => {
                s.insert(key);
            }
        }
    }
}

/// The top-level body: only an object (struct, map, or an enum variant holding something,
/// which JSON writes as `{"Variant": ...}`); its fields go straight under the root element.
struct Root<'w, 'n> {
    w: &'w mut Xml,
    seen: Seen<'n>,
}

fn not_an_object() -> Error {
    err("the body does not serialize as an object")
}

impl<'w, 'n> ser::Serializer for Root<'w, 'n> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Seq<'w, 'n>;
    type SerializeMap = Fields<'w, 'n>;
    type SerializeStruct = Fields<'w, 'n>;
    type SerializeStructVariant = Fields<'w, 'n>;

    fn serialize_bool(self, _: bool) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_i8(self, _: i8) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_i16(self, _: i16) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_i32(self, _: i32) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_i64(self, _: i64) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_u8(self, _: u8) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_u16(self, _: u16) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_u32(self, _: u32) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_u64(self, _: u64) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_f32(self, _: f32) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_f64(self, _: f64) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_char(self, _: char) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_str(self, _: &str) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Error> {
        Err(not_an_object())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.seen.check(variant)?;
        value.serialize(Element {
            w: self.w,
            name: variant,
        })
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_an_object())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_an_object())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_an_object())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        self.seen.check(variant)?;
        Ok(Seq {
            w: self.w,
            name: variant,
            close: None,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Ok(Fields::new(self.w, self.seen, None, None))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        if SERDE_JSON_TOKENS.contains(&name) {
            return Err(not_an_object());
        }
        Ok(Fields::new(self.w, self.seen, None, None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        self.seen.check(variant)?;
        start(self.w, variant)?;
        Ok(Fields::new(
            self.w,
            Seen::with_capacity(len),
            Some(variant),
            None,
        ))
    }
}

/// A value written as the element(s) `name`.
struct Element<'w, 'n> {
    w: &'w mut Xml,
    name: &'n str,
}

impl<'w, 'n> ser::Serializer for Element<'w, 'n> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'w, 'n>;
    type SerializeTuple = Seq<'w, 'n>;
    type SerializeTupleStruct = Seq<'w, 'n>;
    type SerializeTupleVariant = Seq<'w, 'n>;
    type SerializeMap = Fields<'w, 'n>;
    type SerializeStruct = Fields<'w, 'n>;
    type SerializeStructVariant = Fields<'w, 'n>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        start(self.w, self.name)?;
        self.w
            .get_mut()
            .extend_from_slice(if v { b"true" } else { b"false" });
        end(self.w, self.name)
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        number(self.w, self.name, &v.into())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        if let Ok(v) = u64::try_from(v) {
            self.serialize_u64(v)
        } else if let Ok(v) = i64::try_from(v) {
            self.serialize_i64(v)
        } else {
            Err(err("number out of range"))
        }
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        number(self.w, self.name, &v.into())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        match u64::try_from(v) {
            Ok(v) => self.serialize_u64(v),
            Err(_) => Err(err("number out of range")),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        // As `to_value`: an `f32` becomes the `f64` it widens to, non-finite `null`.
        match Value::from(v) {
            Value::Number(n) => number(self.w, self.name, &n),
            _ => empty(self.w, self.name),
        }
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        match Number::from_f64(v) {
            Some(n) => number(self.w, self.name, &n),
            None => empty(self.w, self.name),
        }
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        text(self.w, self.name, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        text(self.w, self.name, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        for b in v {
            number(self.w, self.name, &(*b).into())?;
        }
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        empty(self.w, self.name)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        empty(self.w, self.name)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        empty(self.w, self.name)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        text(self.w, self.name, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        start(self.w, self.name)?;
        value.serialize(Element {
            w: &mut *self.w,
            name: variant,
        })?;
        end(self.w, self.name)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Ok(Seq {
            w: self.w,
            name: self.name,
            close: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        start(self.w, self.name)?;
        Ok(Seq {
            w: self.w,
            name: variant,
            close: Some(self.name),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        start(self.w, self.name)?;
        let seen = Seen::with_capacity(len.unwrap_or(0));
        Ok(Fields::new(self.w, seen, Some(self.name), None))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        if SERDE_JSON_TOKENS.contains(&name) {
            return Err(Error(format!("{name} is not supported")));
        }
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        start(self.w, self.name)?;
        start(self.w, variant)?;
        Ok(Fields::new(
            self.w,
            Seen::with_capacity(len),
            Some(variant),
            Some(self.name),
        ))
    }
}

/// The items of a sequence, each written as the element(s) `name`; `close` ends the element
/// a tuple variant opened.
struct Seq<'w, 'n> {
    w: &'w mut Xml,
    name: &'n str,
    close: Option<&'n str>,
}

impl Seq<'_, '_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(Element {
            w: &mut *self.w,
            name: self.name,
        })
    }

    fn finish(self) -> Result<(), Error> {
        match self.close {
            Some(name) => end(self.w, name),
            None => Ok(()),
        }
    }
}

impl ser::SerializeSeq for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// The fields of an object, each written as the element(s) named by its key; `inner` then
/// `outer` end the elements the object opened (none at the top level).
struct Fields<'w, 'n> {
    w: &'w mut Xml,
    seen: Seen<'n>,
    /// A map key waiting for its value.
    key: Option<String>,
    inner: Option<&'n str>,
    outer: Option<&'n str>,
}

impl<'w, 'n> Fields<'w, 'n> {
    fn new(w: &'w mut Xml, seen: Seen<'n>, inner: Option<&'n str>, outer: Option<&'n str>) -> Self {
        Self {
            w,
            seen,
            key: None,
            inner,
            outer,
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.seen.check(key)?;
        value.serialize(Element {
            w: &mut *self.w,
            name: key,
        })?;
        self.seen.push(Cow::Borrowed(key));
        Ok(())
    }

    fn finish(self) -> Result<(), Error> {
        for name in [self.inner, self.outer].into_iter().flatten() {
            end(self.w, name)?;
        }
        Ok(())
    }
}

impl ser::SerializeMap for Fields<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(Key)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| err("serialize_value called before serialize_key"))?;
        self.seen.check(&key)?;
        value.serialize(Element {
            w: &mut *self.w,
            name: &key,
        })?;
        self.seen.push(Cow::Owned(key));
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for Fields<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Fields<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// A map key as serde_json's `to_value` turns it into a string.
struct Key;

fn key_must_be_a_string() -> Error {
    err("key must be a string")
}

impl ser::Serializer for Key {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    fn serialize_bool(self, v: bool) -> Result<String, Error> {
        Ok(if v { "true" } else { "false" }.to_owned())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<String, Error> {
        if v.is_finite() {
            serde_json::to_string(&v).map_err(|e| Error(e.to_string()))
        } else {
            Err(err("float key must be finite"))
        }
    }
    fn serialize_f64(self, v: f64) -> Result<String, Error> {
        if v.is_finite() {
            serde_json::to_string(&v).map_err(|e| Error(e.to_string()))
        } else {
            Err(err("float key must be finite"))
        }
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<String, Error> {
        Ok(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use proptest::prelude::*;
    use serde::Serialize;
    use serde_json::{Map, Value, json};

    use super::render_typed;
    use crate::dialect::aliyun::xml::render;

    /// What the JSON tree path gives for `leading` then `body`'s fields.
    fn via_tree<T: Serialize + ?Sized>(root: &str, leading: &[(&str, Value)], body: &T) -> String {
        let mut m: Map<String, Value> = leading
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        match serde_json::to_value(body).unwrap() {
            Value::Object(fields) => m.extend(fields),
            other => panic!("not an object: {other}"),
        }
        render(root, &m)
    }

    #[track_caller]
    fn same<T: Serialize + ?Sized>(body: &T) -> String {
        let expected = via_tree("R", &[], body);
        assert_eq!(render_typed("R", &[], body).unwrap(), expected);
        let leading = [("RequestId", json!("r<1>")), ("Success", json!(true))];
        assert_eq!(
            render_typed("R", &leading, body).unwrap(),
            via_tree("R", &leading, body)
        );
        expected
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Item {
        name: String,
        id: i64,
        tags: Vec<String>,
        parent: Option<Box<Item>>,
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Id(u32);

    #[derive(Serialize)]
    struct Pair(u8, &'static str);

    #[derive(Serialize)]
    struct Nothing {}

    #[derive(Serialize)]
    enum Kind {
        Plain,
        Wrapped(i32),
        Tuple(i32, String),
        Shaped { a: bool, b: Option<u8> },
    }

    struct Bytes(&'static [u8]);
    impl Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Body {
        request: &'static str,
        items: Vec<Item>,
        empty_items: Vec<Item>,
        names: Vec<String>,
        none: Option<String>,
        some: Option<String>,
        nullable: Option<Option<i32>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<String>,
        #[serde(skip)]
        _hidden: u8,
        escaped: &'static str,
        controls: &'static str,
        unicode: &'static str,
        min: i64,
        max: u64,
        tenth: f64,
        one: f64,
        third32: f32,
        nan: f64,
        infinite: f32,
        wide: i128,
        wide_negative: i128,
        yes: bool,
        no: bool,
        letter: char,
        unit: (),
        unit_struct: Unit,
        id: Id,
        pair: Pair,
        nothing: Nothing,
        kinds: Vec<Kind>,
        nested: Vec<Vec<u8>>,
        nested_empty: Vec<Vec<u8>>,
        options: Vec<Option<u8>>,
        bytes: Bytes,
        int_keys: BTreeMap<i32, &'static str>,
        bool_keys: BTreeMap<bool, u8>,
        char_keys: BTreeMap<char, u8>,
        variant_keys: BTreeMap<Plain, u8>,
        json: Value,
        #[serde(flatten)]
        extra: BTreeMap<String, Value>,
    }

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Plain {
        Alpha,
        Beta,
    }

    fn body() -> Body {
        let leaf = |name: &str, id| Item {
            name: name.into(),
            id,
            tags: vec![],
            parent: None,
        };
        Body {
            request: "R1",
            items: vec![
                Item {
                    name: "a<b".into(),
                    id: 1,
                    tags: vec!["x".into(), "y&z".into()],
                    parent: Some(Box::new(leaf("p", -1))),
                },
                leaf("c", 2),
            ],
            empty_items: vec![],
            names: vec!["one".into(), String::new(), "three".into()],
            none: None,
            some: Some("s".into()),
            nullable: Some(None),
            skipped: None,
            _hidden: 7,
            escaped: "<>&\"' ]]>",
            controls: "a\u{1}b\u{0}c\u{1b}d\u{fffe}e\u{ffff}f\tg\nh\ri",
            unicode: "默认流程 😀 é",
            min: i64::MIN,
            max: u64::MAX,
            tenth: 0.1,
            one: 1.0,
            third32: 1.0 / 3.0,
            nan: f64::NAN,
            infinite: f32::INFINITY,
            wide: i128::from(u64::MAX),
            wide_negative: i128::from(i64::MIN),
            yes: true,
            no: false,
            letter: '<',
            unit: (),
            unit_struct: Unit,
            id: Id(42),
            pair: Pair(3, "three"),
            nothing: Nothing {},
            kinds: vec![
                Kind::Plain,
                Kind::Wrapped(-5),
                Kind::Tuple(1, "t".into()),
                Kind::Shaped { a: true, b: None },
            ],
            nested: vec![vec![1, 2], vec![], vec![3]],
            nested_empty: vec![vec![], vec![]],
            options: vec![Some(1), None, Some(3)],
            bytes: Bytes(b"\x00\xff"),
            int_keys: [(-1, "minus"), (10, "ten")].into(),
            bool_keys: [(false, 0), (true, 1)].into(),
            char_keys: [('k', 1)].into(),
            variant_keys: [(Plain::Alpha, 1), (Plain::Beta, 2)].into(),
            json: json!({"A": [1, [2, [3]], {"B": null}], "C": 1.5e300, "D": -0.0}),
            extra: [("Extra".to_string(), json!(["e", null]))].into(),
        }
    }

    #[test]
    fn typed_bodies_render_as_their_json_tree() {
        let xml = same(&body());
        // A few spot checks that the comparison means something.
        for part in [
            "<Items><Name>a&lt;b</Name><Id>1</Id><Tags>x</Tags><Tags>y&amp;z</Tags>\
             <Parent><Name>p</Name><Id>-1</Id><Parent/></Parent></Items>",
            "<Items><Name>c</Name><Id>2</Id><Parent/></Items>",
            "<Names>one</Names><Names></Names><Names>three</Names>",
            "<None/><Some>s</Some><Nullable/>",
            "<Escaped>&lt;&gt;&amp;&quot;&apos; ]]&gt;</Escaped>",
            "<Controls>a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}e\u{fffd}f\tg\nh\ri</Controls>",
            "<Unicode>默认流程 😀 é</Unicode>",
            "<Min>-9223372036854775808</Min><Max>18446744073709551615</Max>",
            "<Tenth>0.1</Tenth><One>1.0</One>",
            "<Nan/><Infinite/>",
            "<Yes>true</Yes><No>false</No><Letter>&lt;</Letter><Unit/><UnitStruct/><Id>42</Id>",
            "<Pair>3</Pair><Pair>three</Pair><Nothing></Nothing>",
            "<Kinds>Plain</Kinds><Kinds><Wrapped>-5</Wrapped></Kinds>\
             <Kinds><Tuple>1</Tuple><Tuple>t</Tuple></Kinds>\
             <Kinds><Shaped><a>true</a><b/></Shaped></Kinds>",
            "<Nested>1</Nested><Nested>2</Nested><Nested>3</Nested><Options>1</Options>",
            "<Bytes>0</Bytes><Bytes>255</Bytes>",
            "<IntKeys><-1>minus</-1><10>ten</10></IntKeys>",
            "<BoolKeys><false>0</false><true>1</true></BoolKeys>",
            "<VariantKeys><Alpha>1</Alpha><Beta>2</Beta></VariantKeys>",
            "<Extra>e</Extra><Extra/></R>",
        ] {
            assert!(xml.contains(part), "{part} not in {xml}");
        }
        assert!(!xml.contains("EmptyItems") && !xml.contains("NestedEmpty"));
        assert!(!xml.contains("Skipped") && !xml.contains("Hidden"));
    }

    #[test]
    fn scalars_and_small_bodies() {
        same(&Nothing {});
        same(&json!({}));
        same(&json!({"A": 0.1, "B": 1.0, "C": 1e-7, "D": 123456789.0, "E": f64::MAX}));
        same(&json!({"A": i64::MIN, "B": u64::MAX, "C": -0.0}));
        same(&HashMap::from([(1.5f64.to_bits(), 1)]));
        same(&BTreeMap::from([("K", 0.1f32)]));
        // Floats as keys are written as JSON writes them.
        #[derive(Serialize)]
        struct FloatKeys(#[serde(serialize_with = "float_keys")] ());
        fn float_keys<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(3))?;
            m.serialize_entry(&0.1f32, "a")?;
            m.serialize_entry(&1.0f64, "b")?;
            m.serialize_entry(&1e21f64, "c")?;
            m.end()
        }
        let xml = same(&FloatKeys(()));
        assert!(
            xml.contains("<0.1>a</0.1><1.0>b</1.0><1e+21>c</1e+21>"),
            "{xml}"
        );
        // Top-level enum variants are objects too.
        same(&Kind::Wrapped(1));
        same(&Kind::Tuple(1, "x".into()));
        same(&Kind::Shaped {
            a: false,
            b: Some(2),
        });
        same(&Some(Nothing {}));
    }

    #[test]
    fn what_one_pass_cannot_write_exactly_is_an_error() {
        // Not an object.
        assert!(render_typed("R", &[], &1).is_err());
        assert!(render_typed("R", &[], &None::<Nothing>).is_err());
        assert!(render_typed("R", &[], &[1, 2]).is_err());
        assert!(render_typed("R", &[], &Kind::Plain).is_err());
        // Keys serde_json refuses.
        let tuple_keys = BTreeMap::from([((1, 2), 3)]);
        assert!(serde_json::to_value(&tuple_keys).is_err());
        assert!(render_typed("R", &[], &BTreeMap::from([("M", tuple_keys)])).is_err());
        #[derive(Serialize)]
        struct NanKey(#[serde(serialize_with = "nan_key")] ());
        fn nan_key<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(&f64::NAN, "a")?;
            m.end()
        }
        assert!(serde_json::to_value(NanKey(())).is_err());
        assert!(render_typed("R", &[], &NanKey(())).is_err());
        #[derive(Serialize)]
        struct Wide {
            w: u128,
        }
        assert!(render_typed("R", &[], &Wide { w: u128::MAX }).is_err());
        assert!(serde_json::to_value(Wide { w: u128::MAX }).is_err());
        // Duplicate keys: JSON keeps the first place and the last value.
        #[derive(Serialize)]
        struct Dup {
            #[serde(rename = "A")]
            a: u8,
            #[serde(flatten)]
            rest: BTreeMap<&'static str, u8>,
        }
        let dup = Dup {
            a: 1,
            rest: [("B", 2), ("A", 3)].into(),
        };
        assert_eq!(
            serde_json::to_value(&dup).unwrap().to_string(),
            r#"{"A":3,"B":2}"#
        );
        assert!(render_typed("R", &[], &dup).is_err());
        // A body field named like a leading field.
        let leading = [("RequestId", json!("r")), ("Code", json!("OK"))];
        assert!(render_typed("R", &leading, &json!({"Code": "x"})).is_err());
        assert!(render_typed("R", &leading, &json!({"Message": "x"})).is_ok());
    }

    #[test]
    fn large_objects_still_find_duplicates() {
        let many: Map<String, Value> = (0..100).map(|i| (format!("K{i}"), json!(i))).collect();
        same(&many);
        #[derive(Serialize)]
        struct Dup {
            #[serde(rename = "K5")]
            k: u8,
            #[serde(flatten)]
            rest: Map<String, Value>,
        }
        assert!(
            render_typed(
                "R",
                &[],
                &Dup {
                    k: 1,
                    rest: many.clone()
                }
            )
            .is_err()
        );
        let leading = [("K99", json!(1))];
        assert!(render_typed("R", &leading, &many).is_err());
    }

    fn text() -> impl Strategy<Value = String> {
        let special = prop::sample::select(vec![
            '<', '>', '&', '"', '\'', '\u{0}', '\u{1}', '\t', '\n', '\r', '\u{1f}', '\u{7f}',
            '\u{fffd}', '\u{fffe}', '\u{ffff}', '默', '😀', ']',
        ]);
        prop::collection::vec(prop_oneof![any::<char>(), special], 0..6).prop_map(String::from_iter)
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec!["A", "B", "Item", "Items", "RequestId2", "x"])
                .prop_map(str::to_string),
            "[A-Za-z_][A-Za-z0-9_.-]{0,6}",
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop::sample::select(vec![0.1, 1.0, -0.0, 1e21, 1e-7, 5e-324]).prop_map(Value::from),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn object() -> impl Strategy<Value = Map<String, Value>> {
        prop::collection::vec((key(), value()), 0..8).prop_map(|kv| kv.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn json_trees_render_as_render_does(body in object()) {
            prop_assume!(!["RequestId", "Success", "HttpStatusCode"].iter().any(|k| body.contains_key(*k)));
            prop_assert_eq!(render_typed("Root", &[], &body).unwrap(), render("Root", &body));
            let leading = [("RequestId", json!("r")), ("Success", json!(true)), ("HttpStatusCode", json!(200))];
            let mut all: Map<String, Value> =
                leading.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
            all.extend(body.clone());
            prop_assert_eq!(render_typed("Root", &leading, &body).unwrap(), render("Root", &all));
        }
    }
}
