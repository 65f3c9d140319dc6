//! Byte offsets, as PostgreSQL's parser reports them, turned into the
//! `line:column` an editor shows: lines counted from 1 at each `\n`,
//! columns in characters from 1 (the same counting as delta errors).

/// Where each line of one text starts, computed once per file.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// The 1-based line and column of byte `offset` (clamped to the text;
    /// an offset inside a character counts as that character).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = self.text[start..]
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .count();
        (line, column + 1)
    }

    /// The 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.line_col(offset).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines_and_character_columns() {
        let text = "SELECT 1;\n\nCREATE INDEX é ON t (a);\r\nx";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(8), (1, 9));
        // The line end belongs to its line; the blank line is line 2.
        assert_eq!(idx.line_col(9), (1, 10));
        assert_eq!(idx.line_col(10), (2, 1));
        assert_eq!(idx.line_col(11), (3, 1));
        // `é` is two bytes and one column.
        let on = text.find(" ON").unwrap();
        assert_eq!(idx.line_col(on), (3, 15));
        assert_eq!(idx.line_col(text.len() - 1), (4, 1));
        assert_eq!(idx.line_col(text.len() + 10), (4, 2));
    }

    #[test]
    fn agrees_with_the_delta_error_positions() {
        let text = "-- c\nALTER TABLE ü\n  ADD COLUMN x int;\n";
        let idx = LineIndex::new(text);
        for offset in 0..=text.len() {
            if text.is_char_boundary(offset) {
                assert_eq!(
                    idx.line_col(offset),
                    crate::deltas::sql_lexer::line_col(text, offset),
                    "offset {offset}"
                );
            }
        }
    }
}
