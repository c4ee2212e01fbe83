//! The two tables' columns: one definition for the record batches, the
//! Parquet files and every reader of them.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The time zone of the timestamp columns: PST times are UTC.
pub const TIME_ZONE: &str = "UTC";

/// The timestamp type of `sent` and `received`: microseconds, UTC (what
/// Spark, DuckDB and pandas all read as an instant).
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(TIME_ZONE.into()))
}

/// The element field of the recipient lists (named as Arrow's list
/// builder names it, so that batches and schema agree).
pub fn address_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// The messages table: one row per item of every folder.
pub fn messages_schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("nid", DataType::Int64, false),
        Field::new("folder", DataType::Utf8, false),
        Field::new("message_class", DataType::Utf8, false),
        text("subject"),
        text("sender_name"),
        text("sender_address"),
        Field::new("to", address_list_type(), false),
        Field::new("cc", address_list_type(), false),
        Field::new("bcc", address_list_type(), false),
        Field::new("sent", timestamp_type(), true),
        Field::new("received", timestamp_type(), true),
        text("internet_message_id"),
        text("in_reply_to"),
        text("conversation_topic"),
        Field::new("importance", DataType::Int32, true),
        Field::new("read", DataType::Boolean, false),
        Field::new("size", DataType::Int64, true),
        Field::new("attachment_count", DataType::Int32, false),
        text("body_text"),
        text("body_html"),
        text("transport_headers"),
    ]))
}

/// The attachments table: one row per attachment of a folder's item and
/// of the messages embedded in it (`path` says where); `data` only when
/// asked for.
pub fn attachments_schema(with_data: bool) -> SchemaRef {
    let mut fields = vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("nid", DataType::Int64, false),
        Field::new("index", DataType::Int32, false),
        Field::new("filename", DataType::Utf8, true),
        Field::new("mime_type", DataType::Utf8, false),
        Field::new("size", DataType::Int64, true),
        Field::new("sha256", DataType::Utf8, true),
        Field::new("content_id", DataType::Utf8, true),
        Field::new("is_embedded_message", DataType::Boolean, false),
        Field::new("path", DataType::Utf8, false),
    ];
    if with_data {
        fields.push(Field::new("data", DataType::Binary, true));
    }
    Arc::new(Schema::new(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_the_documented_ones_in_order() {
        let names =
            |s: SchemaRef| -> Vec<String> { s.fields().iter().map(|f| f.name().clone()).collect() };
        assert_eq!(
            names(messages_schema()).join(","),
            "source,nid,folder,message_class,subject,sender_name,sender_address,to,cc,bcc,\
             sent,received,internet_message_id,in_reply_to,conversation_topic,importance,\
             read,size,attachment_count,body_text,body_html,transport_headers"
        );
        assert_eq!(
            names(attachments_schema(false)).join(","),
            "source,nid,index,filename,mime_type,size,sha256,content_id,is_embedded_message,path"
        );
        let with = attachments_schema(true);
        assert_eq!(with.fields().last().unwrap().name(), "data");
        assert_eq!(with.fields().len(), 11);
    }
}
