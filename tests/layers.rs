//! The house's two structural rules, read from `src/` as text (test code left out):
//! - the top-level modules are layers in the order `src/lib.rs` lists them, and no module uses one
//!   listed after it;
//! - only the adapters tree (`src/adapters/`) imports an AWS SDK crate.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const SDK_CRATES: [&str; 5] = [
    "aws_sdk_",
    "aws_config",
    "aws_smithy",
    "aws_credential_types",
    "aws_types",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layers, bottom up, from lib.rs's `// layers:` line.
fn layers() -> Vec<String> {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let line = lib
        .lines()
        .find_map(|l| l.strip_prefix("// layers:"))
        .expect("lib.rs names its layers");
    line.split_whitespace().map(str::to_string).collect()
}

/// Every source file with the text that is compiled outside tests: a file a parent declares under
/// `#[cfg(test)]` is left out, and so is everything after a file's own `#[cfg(test)] mod`.
fn production_sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut pending = vec![src()];
    let mut test_only: BTreeSet<PathBuf> = BTreeSet::new();
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<PathBuf> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            let module_dir = match path.file_name().and_then(|n| n.to_str()) {
                Some("mod.rs" | "lib.rs") => dir.clone(),
                _ => dir.join(path.file_stem().unwrap()),
            };
            let lines: Vec<&str> = text.lines().collect();
            for pair in lines.windows(2) {
                let declared = pair[1].trim().trim_start_matches("pub ").strip_prefix("mod ");
                let Some(name) = declared.and_then(|d| d.strip_suffix(';')) else {
                    continue;
                };
                if pair[0].trim() == "#[cfg(test)]" {
                    test_only.insert(module_dir.join(format!("{name}.rs")));
                    test_only.insert(module_dir.join(name).join("mod.rs"));
                }
            }
            let compiled = match text.find("#[cfg(test)]\nmod tests {") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            out.push((path, compiled));
        }
    }
    out.retain(|(path, _)| !test_only.contains(path));
    out
}

/// The top-level module a file belongs to (`None` for lib.rs and the binaries).
fn layer_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src()).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "bin" => None,
        name => Some(name.trim_end_matches(".rs").to_string()),
    }
}

/// The top-level modules a text names through `crate::`, in `use` lines and in paths.
fn crate_references(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        if text[..at].ends_with('$') {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // use crate::{a::b, c};
            let inner = &group[..group.find("};").unwrap_or(group.len())];
            for part in inner.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let layers = layers();
    let rank = |name: &str| layers.iter().position(|l| l == name);
    let mut declared: Vec<String> = fs::read_to_string(src().join("lib.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.strip_prefix("pub mod ")
                .and_then(|l| l.strip_suffix(';'))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        declared, layers,
        "lib.rs declares its modules in the order of its layers line"
    );
    declared.sort();
    let mut upward = Vec::new();
    for (path, text) in production_sources() {
        let Some(layer) = layer_of(&path) else { continue };
        let own = rank(&layer).unwrap_or_else(|| panic!("{} is in no layer of lib.rs", path.display()));
        for used in crate_references(&text) {
            if used == layer || used == "with_ports" {
                continue;
            }
            match rank(&used) {
                Some(theirs) if theirs > own => upward.push(format!("{} ({layer}) uses {used}", path.display())),
                Some(_) => {}
                None => upward.push(format!("{} uses crate::{used}, which is no layer", path.display())),
            }
        }
    }
    assert!(
        upward.is_empty(),
        "uses of a layer above, against lib.rs's order:\n{}",
        upward.join("\n")
    );
}

#[test]
fn only_the_adapters_tree_imports_an_aws_sdk_crate() {
    let adapters = src().join("adapters");
    let outside: Vec<String> = production_sources()
        .into_iter()
        .chain(test_files_of_src())
        .filter(|(path, _)| !path.starts_with(&adapters))
        .filter_map(|(path, text)| {
            let named: Vec<&str> = SDK_CRATES.iter().copied().filter(|name| text.contains(name)).collect();
            (!named.is_empty()).then(|| format!("{}: {}", path.display(), named.join(", ")))
        })
        .collect();
    assert!(
        outside.is_empty(),
        "SDK crates named outside src/adapters:\n{}",
        outside.join("\n")
    );
}

/// The test code under src/ too: a unit test reaches AWS only through an adapter as well.
fn test_files_of_src() -> Vec<(PathBuf, String)> {
    let kept: BTreeSet<PathBuf> = production_sources().into_iter().map(|(p, _)| p).collect();
    let mut out = Vec::new();
    let mut pending = vec![src()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !kept.contains(&path) {
                out.push((path.clone(), fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

#[test]
fn the_reference_reader_sees_grouped_and_plain_paths() {
    let text = "use crate::facts::{Fact, ports::Readers};\nuse crate::{model::TaskArn, settings};\nlet x = crate::engine::judge;";
    let found: Vec<String> = crate_references(text).into_iter().collect();
    assert_eq!(found, ["engine", "facts", "model", "settings"]);
}

/// The operation table lists what the doctor calls, nothing more: each operation is named by the
/// adapters (which make every call) or by the ports' declaration, so the policy tests that read the
/// table check the calls the code makes.
#[test]
fn every_declared_operation_is_one_the_code_calls() {
    let table = fs::read_to_string(src().join("model/operation.rs")).unwrap();
    let declared: Vec<&str> = table
        .lines()
        .filter_map(|l| l.trim().split_once(" = \""))
        .map(|(variant, _)| variant)
        .filter(|v| v.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect();
    assert!(declared.len() > 30, "the table was read: {declared:?}");
    let callers: String = production_sources()
        .into_iter()
        .filter(|(path, _)| path.starts_with(src().join("adapters")) || path.ends_with("facts/ports.rs"))
        .chain([(
            PathBuf::new(),
            fs::read_to_string(src().join("model/calls.rs")).unwrap(),
        )])
        .map(|(_, text)| text)
        .collect();
    let uncalled: Vec<&&str> = declared
        .iter()
        .filter(|v| !callers.contains(&format!("Operation::{v}")))
        .collect();
    assert!(uncalled.is_empty(), "declared but never called: {uncalled:?}");
}
