//! Batch scoring over the default world: exactly one output row per input
//! line, in order, in every output format, whatever the lines hold.
#![no_main]

use bphscore::batch::{self, BatchOptions, OutputFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let detector = bphscore_fuzz::world();
    let lines = bphscore_fuzz::count_lines(data);
    // Small chunks so that rows cross chunk boundaries.
    let chunk = 1 + data.first().map_or(0, |b| usize::from(b % 8));

    // JSON lines: one object per row, numbered 1, 2, 3, ...
    let mut out = Vec::new();
    let options = BatchOptions::default()
        .format(OutputFormat::Jsonl)
        .chunk_lines(chunk)
        .explain(true);
    let summary = batch::score_lines(detector, data, &mut out, options)
        .expect("writing to memory cannot fail");
    assert_eq!(summary.rows, lines);
    assert!(summary.errors <= summary.rows);
    let text = std::str::from_utf8(&out).expect("JSON lines output is UTF-8");
    let mut rows = 0u64;
    let mut json_rows = Vec::new();
    for row in text.lines() {
        rows += 1;
        let v: serde_json::Value =
            serde_json::from_str(row).expect("each output line is one JSON object");
        json_rows.push(v.clone());
        assert_eq!(
            v["line"].as_u64(),
            Some(rows),
            "row {rows} out of order: {row}"
        );
    }
    assert_eq!(
        rows, lines,
        "JSON lines: {rows} rows for {lines} input lines"
    );

    // CSV: a header and one record per row.
    let mut out = Vec::new();
    let options = BatchOptions::default()
        .format(OutputFormat::Csv)
        .chunk_lines(chunk);
    let summary = batch::score_lines(detector, data, &mut out, options)
        .expect("writing to memory cannot fail");
    assert_eq!(summary.rows, lines);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&out[..]);
    let mut rows = 0u64;
    for record in reader.records() {
        let record = record.expect("the CSV output parses");
        rows += 1;
        assert_eq!(record.len(), 11, "row {rows}: {record:?}");
        assert_eq!(
            record.get(0),
            Some(rows.to_string().as_str()),
            "row {rows} out of order"
        );
        // CSV rows of addresses take a path of their own (their parts made
        // once per range and shared); JSON rows are scored one by one. Both
        // say the same.
        let json = &json_rows[rows as usize - 1];
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        assert_eq!(
            record.get(3),
            Some(text(&json["class"]).as_str()),
            "row {rows}"
        );
        if record.get(3) == Some("error") {
            continue;
        }
        for (field, key) in [(1, "input"), (5, "prefix"), (7, "as_name"), (8, "country")] {
            assert_eq!(
                record.get(field),
                Some(text(&json[key]).as_str()),
                "row {rows}: {key}"
            );
        }
        let asn = json["asn"]
            .as_u64()
            .map(|a| a.to_string())
            .unwrap_or_default();
        assert_eq!(record.get(6), Some(asn.as_str()), "row {rows}");
        let p: f64 = record
            .get(4)
            .and_then(|p| p.parse().ok())
            .expect("a probability");
        let q = json["probability"].as_f64().expect("a probability");
        assert!((p - q).abs() <= 1.000_001e-4, "row {rows}: {p} vs {q}");
    }
    assert_eq!(rows, lines, "CSV: {rows} rows for {lines} input lines");

    // Table: a header line and one line per row.
    let mut out = Vec::new();
    let options = BatchOptions::default()
        .format(OutputFormat::Table)
        .chunk_lines(chunk);
    let summary = batch::score_lines(detector, data, &mut out, options)
        .expect("writing to memory cannot fail");
    assert_eq!(summary.rows, lines);
    let printed = out.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(
        printed,
        lines + 1,
        "table: {printed} lines for {lines} input lines and a header"
    );
});
