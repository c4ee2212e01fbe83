//! `pstkit show`: every property of one item, with recipients and attachments.

use std::fmt::Write as _;
use std::path::Path;

use pstkit::ltp::{PropTag, PropValue, PropertyContext};
use pstkit::ndb::{Nid, NidType};
use pstkit::store::tagnames::tag_name;
use pstkit::store::{NameMap, Store};
use pstkit::{Message, Pst};

use serde_json::{json, Value};

/// Parses an item id as printed by `ls` (decimal) or as hex (`0x…`).
pub fn parse_id(s: &str) -> anyhow::Result<Nid> {
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16)?,
        None => s.parse()?,
    };
    Ok(Nid(v))
}

/// The name of a property: its MAPI name, the named property it stands for, or nothing.
fn prop_name(tag: PropTag, names: &NameMap) -> Option<String> {
    let id = tag.id();
    if id.is_named() {
        names.get(id).map(|n| n.to_string())
    } else {
        tag_name(id.0).map(str::to_string)
    }
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// A value as JSON: text as text, times as ISO-8601, binary as hex.
pub fn value_json(v: &PropValue, codepage: u32) -> Value {
    match v {
        PropValue::Null => Value::Null,
        PropValue::Int16(x) => json!(x),
        PropValue::Int32(x) => json!(x),
        PropValue::Int64(x) | PropValue::Currency(x) => json!(x),
        PropValue::Float32(x) => json!(x),
        PropValue::Float64(x) | PropValue::FloatingTime(x) => json!(x),
        PropValue::ErrorCode(x) => json!(format!("0x{x:08X}")),
        PropValue::Boolean(b) => json!(b),
        PropValue::Time(t) => json!(t.to_iso8601()),
        PropValue::Guid(g) => json!(pstkit::store::Guid(*g).to_string()),
        PropValue::String(s) => json!(s),
        PropValue::String8(s) => json!(s.decode(codepage)),
        PropValue::Binary(b)
        | PropValue::ServerId(b)
        | PropValue::Restriction(b)
        | PropValue::RuleAction(b) => json!(hex(b)),
        PropValue::Object { nid, size } => json!({"object": nid.0, "size": size}),
        PropValue::MultipleInt16(v) => json!(v),
        PropValue::MultipleInt32(v) => json!(v),
        PropValue::MultipleInt64(v) | PropValue::MultipleCurrency(v) => json!(v),
        PropValue::MultipleFloat32(v) => json!(v),
        PropValue::MultipleFloat64(v) | PropValue::MultipleFloatingTime(v) => json!(v),
        PropValue::MultipleTime(v) => json!(v.iter().map(|t| t.to_iso8601()).collect::<Vec<_>>()),
        PropValue::MultipleGuid(v) => json!(v
            .iter()
            .map(|g| pstkit::store::Guid(*g).to_string())
            .collect::<Vec<_>>()),
        PropValue::MultipleString(v) => json!(v),
        PropValue::MultipleString8(v) => {
            json!(v.iter().map(|s| s.decode(codepage)).collect::<Vec<_>>())
        }
        PropValue::MultipleBinary(v) => json!(v.iter().map(|b| hex(b)).collect::<Vec<_>>()),
        PropValue::Unknown { ptype, bytes } => json!({"type": ptype, "bytes": hex(bytes)}),
    }
}

/// Every property of a property context as JSON objects.
pub fn props_json(pc: &PropertyContext<'_>, names: &NameMap, codepage: u32) -> Vec<Value> {
    pc.props()
        .map(|(tag, v)| {
            let mut o = json!({
                "tag": tag.to_string(),
                "name": prop_name(tag, names),
                "type": tag.prop_type().name(),
            });
            match v {
                Ok(v) => o["value"] = value_json(&v, codepage),
                Err(e) => o["error"] = json!(e.to_string()),
            }
            o
        })
        .collect()
}

/// A message with its recipients, attachments and embedded messages.
pub fn message_json(m: &Message<'_>, names: &NameMap, depth: usize) -> Value {
    let recipients: Vec<Value> = match m.recipients() {
        Ok(r) => r
            .iter()
            .map(|r| {
                json!({"kind": r.kind.name(), "name": r.name, "email": r.email,
                       "address_type": r.address_type, "smtp": r.smtp})
            })
            .collect(),
        Err(e) => vec![json!({"error": e.to_string()})],
    };
    let mut attachments = Vec::new();
    match m.attachments() {
        Ok(iter) => {
            for a in iter {
                attachments.push(match a {
                    Ok(a) => {
                        let mut o = json!({
                            "id": a.nid().0,
                            "filename": a.filename(),
                            "mime_type": a.mime_type(),
                            "method": format!("{:?}", a.method()),
                            "size": a.data().ok().flatten().map(|d| d.len()),
                            "properties": props_json(a.properties(), names, m.codepage()),
                        });
                        if depth < 8 {
                            match a.embedded() {
                                Ok(Some(e)) => o["message"] = message_json(&e, names, depth + 1),
                                Ok(None) => {}
                                Err(e) => o["message_error"] = json!(e.to_string()),
                            }
                        }
                        o
                    }
                    Err(e) => json!({"error": e.to_string()}),
                });
            }
        }
        Err(e) => attachments.push(json!({"error": e.to_string()})),
    }
    json!({
        "id": m.nid().0,
        "class": m.class(),
        "subject": m.subject(),
        "codepage": m.codepage(),
        "properties": props_json(m.properties(), names, m.codepage()),
        "recipients": recipients,
        "attachments": attachments,
    })
}

fn print_text(v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    println!(
        "{pad}item {} ({})",
        v["id"],
        v["class"].as_str().unwrap_or("")
    );
    for p in v["properties"].as_array().into_iter().flatten() {
        let value = p
            .get("value")
            .or(p.get("error"))
            .cloned()
            .unwrap_or(Value::Null);
        let mut text = match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        if text.chars().count() > 200 {
            text = text.chars().take(200).collect::<String>() + "…";
        }
        println!(
            "{pad}  {} {:<40} {}",
            p["tag"].as_str().unwrap_or(""),
            p["name"].as_str().unwrap_or("-"),
            text.replace('\n', "\\n").replace('\r', "\\r")
        );
    }
    for r in v["recipients"].as_array().into_iter().flatten() {
        println!(
            "{pad}  recipient {}: {} <{}>",
            r["kind"].as_str().unwrap_or("?"),
            r["name"].as_str().unwrap_or(""),
            r["smtp"].as_str().or(r["email"].as_str()).unwrap_or("")
        );
    }
    for a in v["attachments"].as_array().into_iter().flatten() {
        println!(
            "{pad}  attachment {}: {} ({} bytes)",
            a["id"],
            a["filename"].as_str().unwrap_or("(no name)"),
            a["size"]
        );
        if let Some(m) = a.get("message") {
            print_text(m, indent + 4);
        }
    }
}

/// Prints one item.
pub fn run(path: &Path, id: &str, as_json: bool) -> anyhow::Result<u8> {
    let nid = parse_id(id)?;
    let pst = Pst::open(path)?;
    let v = crate::unless_changed(pst.ndb(), item_value(&pst, nid))?;
    if as_json {
        println!("{v}");
    } else {
        print_text(&v, 0);
    }
    Ok(0)
}

fn item_value(pst: &Pst, nid: Nid) -> anyhow::Result<serde_json::Value> {
    let store: Store<'_> = pst.store()?;
    Ok(match nid.kind() {
        NidType::NormalMessage | NidType::AssocMessage => {
            message_json(&store.message(nid)?, store.names(), 0)
        }
        NidType::NormalFolder | NidType::SearchFolder => {
            let f = store.folder(nid)?;
            json!({
                "id": nid.0,
                "class": "folder",
                "properties": props_json(f.properties(), store.names(), store.default_codepage()),
            })
        }
        // Any other node that holds a property context (the message store 0x21,
        // the name-to-id map 0x61, search criteria objects).
        _ => {
            let pc = PropertyContext::read(pst.ndb().node(nid)?)?;
            json!({
                "id": nid.0,
                "class": "node",
                "properties": props_json(&pc, store.names(), store.default_codepage()),
            })
        }
    })
}
