//! docs/CONTRACT.md held to the module: its status-code table is the
//! module's `CODES`, row for row, and its export table names every export
//! of the built module and nothing else; and the module builds quietly
//! (`wasm/build.sh contract` prints the module's path and nothing else).

use std::collections::BTreeSet;
use std::process::Command;

use bulkhead_wasm::contract::CODES;
use bulkhead_wasm_host::workspace_root;

/// The text of `## heading`'s section of docs/CONTRACT.md.
fn section(heading: &str) -> String {
    let doc = std::fs::read_to_string(workspace_root().join("docs/CONTRACT.md")).unwrap();
    let start = doc
        .find(&format!("\n## {heading}\n"))
        .unwrap_or_else(|| panic!("docs/CONTRACT.md has no section {heading:?}"));
    let rest = &doc[start + heading.len() + 5..];
    rest[..rest.find("\n## ").unwrap_or(rest.len())].to_owned()
}

/// The cells of each table row of `text` (header and rule lines skipped).
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|line| line.starts_with('|') && !line.starts_with("|-"))
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_owned())
                .collect::<Vec<_>>()
        })
        .skip(1) // the header
        .collect()
}

#[test]
fn the_documented_codes_are_the_modules() {
    let documented: Vec<(i32, String, String)> = rows(&section("Status codes"))
        .into_iter()
        .map(|cells| {
            let value = cells[0]
                .parse()
                .unwrap_or_else(|_| panic!("not a code: {cells:?}"));
            (value, cells[1].clone(), cells[2].clone())
        })
        .collect();
    let module: Vec<(i32, String, String)> = CODES
        .iter()
        .map(|c| (c.value, c.name.to_owned(), c.returned_by.to_owned()))
        .collect();
    assert_eq!(documented, module, "docs/CONTRACT.md's table against CODES");
    // The negative codes the issue named, by value.
    assert!(documented.contains(&(-1, "NOT_INITIALISED".into(), "verify".into())));
    assert!(documented.contains(&(-6, "DIGEST_MISMATCH".into(), "init".into())));
}

#[test]
fn the_module_builds_quietly_and_exports_what_is_documented() {
    let root = workspace_root();
    let output = Command::new("bash")
        .arg(root.join("wasm/build.sh"))
        .arg("contract")
        .current_dir(&root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stderr, "",
        "wasm/build.sh contract prints nothing but the path"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "one line, the path: {stdout}");
    let module = std::fs::read(root.join(stdout.trim())).unwrap();

    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, &module[..]).unwrap();
    let exported: BTreeSet<String> = module.exports().map(|e| e.name().to_owned()).collect();
    let documented: BTreeSet<String> = rows(&section("Exports"))
        .into_iter()
        .map(|cells| cells[0].clone())
        .collect();
    assert_eq!(
        exported, documented,
        "the module's exports against the doc's"
    );
}
