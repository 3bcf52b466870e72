//! Fuzz the reader: any bytes (decoded as UTF-8, invalid sequences replaced, as
//! svconf does when it loads a file) must parse without panicking, and the
//! syntax tree must give the text back exactly, line by line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svconf::diag::Diagnostics;
use svconf::source::FileId;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut diags = Diagnostics::new();
    let parsed = svconf::syntax::parse(FileId(0), &text, &mut diags);

    assert_eq!(
        parsed.cst.reprint(&text),
        text,
        "the syntax tree is not lossless"
    );

    let mut at = 0;
    for line in &parsed.cst.lines {
        assert_eq!(line.start, at, "lines do not tile the input");
        assert!(line.start <= line.end && line.end <= line.next && line.next <= text.len());
        assert!(
            text.is_char_boundary(line.end),
            "line end inside a character"
        );
        at = line.next;
    }
    assert_eq!(at, text.len(), "lines stop before the end of the input");

    for block in &parsed.blocks {
        let spans = std::iter::once(block.header).chain(
            block
                .entries
                .iter()
                .flat_map(|e| [e.key_span, e.value_span]),
        );
        for span in spans {
            let (start, end) = (span.start as usize, span.end as usize);
            assert!(
                text.get(start..end).is_some(),
                "span {start}..{end} is out of bounds or not on char boundaries"
            );
        }
    }
});
