//! The little of CSV pum needs itself: the header's column names, how they
//! map onto a table's columns, and counting records in a stream (a quoted
//! field may hold line breaks, so lines are not records).

use std::collections::HashSet;

/// The names in a CSV header line (PostgreSQL's CSV: `"` quotes, `""` is a
/// quote inside quotes).
pub fn header_names(line: &str) -> Vec<String> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut names = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => names.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    names.push(field);
    names
}

/// The column list for `COPY table (…) FROM STDIN`, in the file's order:
/// every header name must be a column of the table (columns the file
/// lacks keep their defaults). The error says what is wrong; the caller
/// adds the file and table.
pub fn column_list(
    header: &[String],
    columns: &[String],
) -> std::result::Result<Vec<String>, String> {
    let known: HashSet<&str> = columns.iter().map(String::as_str).collect();
    let mut seen = HashSet::new();
    for name in header {
        if !known.contains(name.as_str()) {
            return Err(format!(
                "the header's column {name:?} is not a column of the table (its columns: {})",
                columns.join(", ")
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(format!("the header names column {name:?} twice"));
        }
    }
    Ok(header.to_vec())
}

/// Counts the records of a CSV stream fed in pieces.
#[derive(Debug, Default)]
pub struct RecordCounter {
    records: u64,
    quoted: bool,
}

impl RecordCounter {
    pub fn feed(&mut self, chunk: &[u8]) {
        // Most exports hold no quotes at all: count line ends at full speed.
        if !self.quoted && !chunk.contains(&b'"') {
            self.records += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            return;
        }
        for &b in chunk {
            match b {
                // A doubled quote toggles twice: still inside.
                b'"' => self.quoted = !self.quoted,
                b'\n' if !self.quoted => self.records += 1,
                _ => {}
            }
        }
    }

    /// Records seen, the header included.
    pub fn records(&self) -> u64 {
        self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_unquote() {
        assert_eq!(header_names("id,name\n"), vec!["id", "name"]);
        assert_eq!(
            header_names("\"Odd, Name\",\"say \"\"hi\"\"\"\r\n"),
            vec!["Odd, Name", "say \"hi\""]
        );
    }

    #[test]
    fn columns_follow_the_file_and_unknown_ones_are_errors() {
        let cols: Vec<String> = ["id", "name", "price"].map(String::from).to_vec();
        let header: Vec<String> = ["price", "id"].map(String::from).to_vec();
        assert_eq!(column_list(&header, &cols).unwrap(), header);
        let bad: Vec<String> = ["id", "colour"].map(String::from).to_vec();
        let err = column_list(&bad, &cols).unwrap_err();
        assert!(
            err.contains("colour") && err.contains("id, name, price"),
            "{err}"
        );
        let twice: Vec<String> = ["id", "id"].map(String::from).to_vec();
        assert!(column_list(&twice, &cols).unwrap_err().contains("twice"));
    }

    #[test]
    fn records_are_counted_across_quoted_line_breaks_and_chunks() {
        let mut c = RecordCounter::default();
        c.feed(b"id,note\n1,\"two\nlines\"\n2,pl");
        c.feed(b"ain\n3,\"a \"\"q\"\"");
        c.feed(b"\nb\"\n");
        assert_eq!(c.records(), 4);
    }
}
