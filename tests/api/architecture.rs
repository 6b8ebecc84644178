//! The layering rule of docs/ARCHITECTURE.md ("Layers"), checked over the source: each module
//! imports only its own layer or those below, no two modules import each other (directly or
//! round a longer cycle), no two files of one module either, and the scope proofs are granted
//! only by scope rules. Reads `src/` as text: `use crate::…` lines and inline `crate::…` paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers from the bottom up; a module may use its own layer and those below.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "base",
        &[
            "config",
            "csv_export",
            "dates",
            "db",
            "error",
            "extract",
            "metrics",
            "pagination",
            "seal",
            "state",
            "vocab",
        ],
    ),
    ("accounts", &["accounts"]),
    ("services", &["audit", "auth", "authz"]),
    (
        "domains",
        &[
            "goals",
            "lessons",
            "mentoring",
            "oneroster",
            "reports",
            "retention",
            "rosters",
            "support",
            "surveys",
        ],
    ),
    (
        "app",
        &[
            "app", "health", "lib", "main", "openapi", "ops", "seed", "web",
        ],
    ),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

struct SourceFile {
    /// Path below `src/`, with `/` separators.
    path: String,
    /// The text without line comments (doc comments cite modules they do not use) and without
    /// its unit tests (by convention last in a file, after `#[cfg(test)]`).
    code: String,
}

fn sources() -> Vec<SourceFile> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        // Unit tests are not part of the architecture: they may reach anything they check.
        .filter(|p| p.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read source");
            let code = text
                .lines()
                .take_while(|line| line.trim() != "#[cfg(test)]")
                .map(|line| match line.find("//") {
                    // A `//` inside a string (a URL) is rare next to a path; good enough here.
                    Some(i) if !line[..i].contains('"') => &line[..i],
                    _ => line,
                })
                .collect::<Vec<_>>()
                .join("\n");
            let path = p
                .strip_prefix(&root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            SourceFile { path, code }
        })
        .collect()
}

/// The top-level module a file belongs to, and the file's submodule of it (None for the
/// module's own `mod.rs` or a single-file module).
fn module_of(path: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = path.split('/').collect();
    let top = parts[0].trim_end_matches(".rs").to_owned();
    let sub = match parts.len() {
        1 => None,
        _ if parts[1] == "mod.rs" => None,
        _ => Some(parts[1].trim_end_matches(".rs").to_owned()),
    };
    (top, sub)
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of every path that follows `prefix` (`crate::` or `super::`),
/// expanding `prefix{a, b::c}` groups.
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + prefix.len()..];
        rest = after;
        // `$crate::`, `foo_crate::` or `a::super::` are not paths from this crate's root.
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == ':') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        found.push(ident_at(group[start..j].trim_start()));
                        start = j + 1;
                    }
                    _ => {}
                }
                if depth == 0 {
                    found.push(ident_at(group[start..j].trim_start()));
                    break;
                }
            }
        } else {
            found.push(ident_at(after));
        }
    }
    found.retain(|s| !s.is_empty() && *s != "self");
    found
}

type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn add_edge(graph: &mut Graph, from: &str, to: &str, file: &str) {
    graph
        .entry(from.to_owned())
        .or_default()
        .entry(to.to_owned())
        .or_default()
        .insert(file.to_owned());
}

/// Module-level and (per module) file-level imports.
fn graphs() -> (Graph, BTreeMap<String, Graph>) {
    let files = sources();
    let mut submodules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        if let (top, Some(sub)) = module_of(&f.path) {
            submodules.entry(top).or_default().insert(sub);
        }
    }
    let mut modules = Graph::new();
    let mut inner: BTreeMap<String, Graph> = BTreeMap::new();
    for f in &files {
        let (top, sub) = module_of(&f.path);
        let crate_paths = paths_after(&f.code, "crate::");
        for target in &crate_paths {
            if *target != top {
                add_edge(&mut modules, &top, target, &f.path);
            }
        }
        // Between files of one module: `super::x` from a file directly in the module, and
        // `crate::<module>::x` from any.
        let Some(sub) = sub else { continue };
        let siblings = submodules.get(&top).cloned().unwrap_or_default();
        let mut targets: Vec<String> = Vec::new();
        if f.path.matches('/').count() == 1 {
            targets.extend(
                paths_after(&f.code, "super::")
                    .iter()
                    .map(|s| s.to_string()),
            );
        }
        let own = format!("crate::{top}::");
        targets.extend(paths_after(&f.code, &own).iter().map(|s| s.to_string()));
        for t in targets {
            if t != sub && siblings.contains(&t) {
                add_edge(inner.entry(top.clone()).or_default(), &sub, &t, &f.path);
            }
        }
    }
    (modules, inner)
}

/// A cycle of the graph, if it has one, as the list of its nodes.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(|e| e.keys()) {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

fn describe(graph: &Graph, cycle: &[String]) -> String {
    cycle
        .windows(2)
        .map(|w| {
            let files = &graph[&w[0]][&w[1]];
            format!("{} -> {} (in {:?})", w[0], w[1], files)
        })
        .collect::<Vec<_>>()
        .join("\n  ")
}

#[test]
fn every_module_belongs_to_a_layer() {
    let (modules, _) = graphs();
    let files = sources();
    let mut unknown: BTreeSet<String> = files.iter().map(|f| module_of(&f.path).0).collect();
    unknown.extend(modules.values().flat_map(|e| e.keys().cloned()));
    unknown.retain(|m| layer_of(m).is_none());
    assert!(
        unknown.is_empty(),
        "modules missing from LAYERS (add each to its layer, and to docs/ARCHITECTURE.md): {unknown:?}"
    );
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let (modules, _) = graphs();
    let mut upward = Vec::new();
    for (from, edges) in &modules {
        for (to, files) in edges {
            if let (Some(a), Some(b)) = (layer_of(from), layer_of(to)) {
                if b > a {
                    upward.push(format!(
                        "{from} ({}) uses {to} ({}) in {files:?}",
                        LAYERS[a].0, LAYERS[b].0
                    ));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "upward imports:\n  {}",
        upward.join("\n  ")
    );
}

#[test]
fn modules_do_not_import_each_other_in_a_cycle() {
    let (modules, _) = graphs();
    if let Some(cycle) = find_cycle(&modules) {
        panic!(
            "import cycle between modules:\n  {}",
            describe(&modules, &cycle)
        );
    }
}

#[test]
fn files_of_a_module_do_not_import_each_other_in_a_cycle() {
    let (_, inner) = graphs();
    for (module, graph) in &inner {
        if let Some(cycle) = find_cycle(graph) {
            panic!(
                "import cycle between files of {module}:\n  {}",
                describe(graph, &cycle)
            );
        }
    }
}

#[test]
fn scope_proofs_are_granted_only_by_scope_rules() {
    let granting: Vec<String> = sources()
        .into_iter()
        .filter(|f| f.code.contains("::grant"))
        .map(|f| f.path)
        .filter(|p| !(p.ends_with("/scope.rs") || p == "authz/mod.rs"))
        .collect();
    assert!(
        granting.is_empty(),
        "proofs granted outside a scope rule: {granting:?}"
    );
}

/// Handlers stay thin: a file that declares routes leaves its SQL to the area's queries.
#[test]
fn handler_files_hold_no_sql() {
    let route_attributes = ["#[get(", "#[post(", "#[put(", "#[patch(", "#[delete("];
    let sql = [
        "::table",
        "diesel::insert_into",
        "diesel::update",
        "diesel::delete",
        "sql_query",
    ];
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|f| route_attributes.iter().any(|a| f.code.contains(a)))
        .filter(|f| sql.iter().any(|s| f.code.contains(s)))
        .map(|f| f.path)
        .collect();
    assert!(
        offenders.is_empty(),
        "handler files with SQL (move it to the area's queries.rs): {offenders:?}"
    );
}

/// The checker itself: a made-up source with a cycle and a group import is read as written.
#[test]
fn the_checker_reads_paths_and_finds_cycles() {
    let code = "use crate::{db::{self, Db}, error::ApiError};\nlet x = crate::auth::f();\n$crate::db::x; seal_crate::y;";
    assert_eq!(paths_after(code, "crate::"), vec!["db", "error", "auth"]);
    let mut g = Graph::new();
    add_edge(&mut g, "a", "b", "a.rs");
    add_edge(&mut g, "b", "c", "b.rs");
    assert_eq!(find_cycle(&g), None);
    add_edge(&mut g, "c", "a", "c.rs");
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
