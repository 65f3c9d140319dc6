//! Values between a Python hook and the server. Parameters go as text and
//! the server parses them for the type it infers, exactly as values typed
//! into psql would be; results come back decoded from the driver's binary
//! form into JSON (numbers, booleans, strings, arrays, JSON itself; numeric,
//! dates and times as their text, turned into Python objects by the runner).

use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::types::{to_sql_checked, Format, FromSql, IsNull, Kind, ToSql, Type};
use serde_json::Value;

use crate::clock::civil_from_days;

type Boxed = Box<dyn StdError + Sync + Send>;

/// A parameter as text, bound by the server (`None` is NULL).
#[derive(Debug)]
pub struct TextParam(pub Option<String>);

impl ToSql for TextParam {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Boxed> {
        match &self.0 {
            None => Ok(IsNull::Yes),
            Some(text) => {
                out.extend_from_slice(text.as_bytes());
                Ok(IsNull::No)
            }
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// One result value as the JSON sent to the hook.
pub struct Cell(pub Value);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Cell, Boxed> {
        decode(ty, raw).map(Cell)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

fn be<const N: usize>(raw: &[u8], at: usize) -> Result<[u8; N], Boxed> {
    raw.get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| "value too short".into())
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(f.to_string()))
}

fn text(raw: &[u8]) -> Result<Value, Boxed> {
    Ok(Value::String(std::str::from_utf8(raw)?.to_string()))
}

fn decode(ty: &Type, raw: &[u8]) -> Result<Value, Boxed> {
    match ty.kind() {
        Kind::Enum(_) => return text(raw),
        Kind::Domain(inner) => return decode(inner, raw),
        Kind::Array(_) => {
            let items = Vec::<Option<Cell>>::from_sql(ty, raw)?;
            return Ok(Value::Array(
                items
                    .into_iter()
                    .map(|c| c.map_or(Value::Null, |c| c.0))
                    .collect(),
            ));
        }
        _ => {}
    }
    Ok(match ty.name() {
        "bool" => Value::Bool(be::<1>(raw, 0)?[0] != 0),
        "int2" => i16::from_be_bytes(be(raw, 0)?).into(),
        "int4" => i32::from_be_bytes(be(raw, 0)?).into(),
        "int8" => i64::from_be_bytes(be(raw, 0)?).into(),
        "oid" | "xid" | "regclass" | "regtype" | "regproc" => {
            u32::from_be_bytes(be(raw, 0)?).into()
        }
        "float4" => float(f32::from_be_bytes(be(raw, 0)?) as f64),
        "float8" => float(f64::from_be_bytes(be(raw, 0)?)),
        "text" | "varchar" | "bpchar" | "name" | "unknown" | "char" | "citext" | "xml" => {
            text(raw)?
        }
        "json" => serde_json::from_slice(raw)?,
        "jsonb" => serde_json::from_slice(raw.get(1..).unwrap_or_default())?,
        "numeric" => Value::String(numeric(raw)?),
        "date" => Value::String(date(i32::from_be_bytes(be(raw, 0)?))),
        "timestamp" => Value::String(timestamp(i64::from_be_bytes(be(raw, 0)?))),
        "timestamptz" => Value::String(format!(
            "{}+00:00",
            timestamp(i64::from_be_bytes(be(raw, 0)?))
        )),
        "time" => Value::String(clock(i64::from_be_bytes(be(raw, 0)?))),
        "uuid" => Value::String(uuid(raw)?),
        "bytea" => Value::String(raw.iter().map(|b| format!("{b:02x}")).collect()),
        other => {
            return Err(format!(
                "type {other} cannot be sent to a Python hook; cast the column to text in the query"
            )
            .into())
        }
    })
}

/// PostgreSQL's binary numeric (base-10000 digits) as its decimal text.
fn numeric(raw: &[u8]) -> Result<String, Boxed> {
    let word = |at: usize| be::<2>(raw, at).map(i16::from_be_bytes);
    let count = word(0)?.max(0) as usize;
    let weight = word(2)? as i64;
    let sign = word(4)? as u16;
    let scale = word(6)?.max(0) as usize;
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        _ => {}
    }
    let digit = |k: i64| -> Result<i16, Boxed> {
        if k < 0 || k as usize >= count {
            return Ok(0);
        }
        word(8 + 2 * k as usize)
    };
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    }
    for k in 0..=weight {
        let d = digit(k)?;
        out.push_str(&if k == 0 {
            d.to_string()
        } else {
            format!("{d:04}")
        });
    }
    if scale > 0 {
        let mut frac = String::new();
        let mut k = weight + 1;
        while frac.len() < scale {
            frac.push_str(&format!("{:04}", digit(k)?));
            k += 1;
        }
        frac.truncate(scale);
        out.push('.');
        out.push_str(&frac);
    }
    Ok(out)
}

/// Days between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_DAYS: i64 = 10_957;
const DAY_MICROS: i64 = 86_400_000_000;

fn date(days: i32) -> String {
    match days {
        i32::MAX => "infinity".into(),
        i32::MIN => "-infinity".into(),
        d => {
            let (y, m, d) = civil_from_days(d as i64 + PG_EPOCH_DAYS);
            format!("{y:04}-{m:02}-{d:02}")
        }
    }
}

fn clock(micros: i64) -> String {
    let secs = micros / 1_000_000;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        micros % 1_000_000
    )
}

fn timestamp(micros: i64) -> String {
    match micros {
        i64::MAX => "infinity".into(),
        i64::MIN => "-infinity".into(),
        m => {
            let (y, mo, d) = civil_from_days(m.div_euclid(DAY_MICROS) + PG_EPOCH_DAYS);
            format!("{y:04}-{mo:02}-{d:02}T{}", clock(m.rem_euclid(DAY_MICROS)))
        }
    }
}

fn uuid(raw: &[u8]) -> Result<String, Boxed> {
    let b: [u8; 16] = be(raw, 0)?;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_text() {
        // 12345.678: weight 1, digits [1, 2345, 6780], scale 3.
        let mut raw = Vec::new();
        for w in [3i16, 1, 0, 3, 1, 2345, 6780] {
            raw.extend_from_slice(&w.to_be_bytes());
        }
        assert_eq!(numeric(&raw).unwrap(), "12345.678");
        // -0.05: weight -1, digits [500], scale 2.
        let mut raw = Vec::new();
        for w in [1i16, -1, 0x4000u16 as i16, 2, 500] {
            raw.extend_from_slice(&w.to_be_bytes());
        }
        assert_eq!(numeric(&raw).unwrap(), "-0.05");
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(date(0), "2000-01-01");
        assert_eq!(date(-1), "1999-12-31");
        assert_eq!(date(60), "2000-03-01");
        assert_eq!(
            timestamp(DAY_MICROS + 3_723_000_001),
            "2000-01-02T01:02:03.000001"
        );
    }
}
