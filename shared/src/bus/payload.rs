//! An event's payload: the value itself while the event stays in this process, JSON text once it
//! leaves it.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A payload published in this process ([`Payload::value`]) travels as the published value: the
/// in-process bus hands it to the consumer, which takes a copy of it ([`Payload::read`]) — no
/// encoding on the scan path, no parsing in the analytics writer's consumer. It is encoded to its
/// JSON text once, when the event leaves the process (Redis, the overflow file) or something asks
/// for the text. A payload read from Redis or a file is that text (a `RawValue`, not a
/// `serde_json::Value` tree: the redirect bench's peak memory with a full queue went from 332 to
/// 273 MB when the tree went), decoded straight into the consumer's type.
#[derive(Clone)]
pub struct Payload {
    value: Option<Arc<dyn Published>>,
    text: OnceLock<Box<RawValue>>,
}

/// A published value, kept with what it takes to encode it later.
trait Published: Send + Sync {
    fn encode(&self) -> Box<RawValue>;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Serialize + Send + Sync + 'static> Published for T {
    fn encode(&self) -> Box<RawValue> {
        encoded(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `payload` as JSON text; `null` for the one kind of value JSON cannot hold (a map with
/// non-string keys), which no topic's payload is.
fn encoded(payload: &impl Serialize) -> Box<RawValue> {
    serde_json::value::to_raw_value(payload).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

impl Payload {
    /// `payload` encoded now.
    pub fn of(payload: &impl Serialize) -> Self {
        Self::text(encoded(payload))
    }

    /// `value` itself, encoded only if it leaves the process.
    pub fn value<T: Serialize + Send + Sync + 'static>(value: T) -> Self {
        Self {
            value: Some(Arc::new(value)),
            text: OnceLock::new(),
        }
    }

    fn text(text: Box<RawValue>) -> Self {
        Self {
            value: None,
            text: OnceLock::from(text),
        }
    }

    fn raw(&self) -> &RawValue {
        self.text.get_or_init(|| {
            self.value
                .as_ref()
                .map_or_else(|| RawValue::NULL.to_owned(), |value| value.encode())
        })
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.raw().get()
    }

    /// A copy of the published value when it was published here as a `T`, else the text decoded.
    pub fn read<T: DeserializeOwned + Clone + 'static>(&self) -> Result<T, serde_json::Error> {
        match self.published::<T>() {
            Some(value) => Ok(value.clone()),
            None => self.decode(),
        }
    }

    /// The published value, when it was published in this process as a `T`.
    pub fn published<T: 'static>(&self) -> Option<&T> {
        self.value.as_ref()?.as_any().downcast_ref()
    }

    /// The text decoded (into any type that reads it, not only the published one).
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.get())
    }

    /// The payload as a JSON tree, for tools and tests that read it by field name (`Null` if
    /// the text is not JSON, which `of` never makes).
    pub fn to_value(&self) -> serde_json::Value {
        self.decode().unwrap_or_default()
    }
}

/// Equal when the texts are: the bus never re-encodes a payload, so one event's copies compare
/// equal.
impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Self::text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Scan {
        code: String,
        at: i64,
    }

    fn scan() -> Scan {
        Scan {
            code: "abc".into(),
            at: 7,
        }
    }

    #[test]
    fn a_published_value_is_read_without_its_text() {
        let payload = Payload::value(scan());
        assert_eq!(payload.published::<Scan>(), Some(&scan()));
        assert!(payload.text.get().is_none(), "encoded before anyone asked");
        assert_eq!(payload.read::<Scan>().unwrap(), scan());
        assert!(payload.text.get().is_none(), "read encoded the value");
        assert!(
            payload.published::<String>().is_none(),
            "another type read as the published one"
        );
    }

    #[test]
    fn leaving_the_process_encodes_once_and_reads_back_the_same() {
        let payload = Payload::value(scan());
        let wire = serde_json::to_string(&payload).unwrap();
        assert_eq!(wire, r#"{"code":"abc","at":7}"#);
        let back: Payload = serde_json::from_str(&wire).unwrap();
        assert!(back.published::<Scan>().is_none());
        assert_eq!(back.read::<Scan>().unwrap(), scan());
        assert_eq!(back, payload);
        assert_eq!(Payload::of(&scan()), payload);
    }

    #[test]
    fn a_payload_of_another_shape_is_an_error_not_a_value() {
        let payload = Payload::of(&"text");
        assert!(payload.read::<Scan>().is_err());
        assert_eq!(payload.to_value(), serde_json::json!("text"));
    }
}
