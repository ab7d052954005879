//! The rooms' rule, checked: the backend's top-level modules (the rooms, which are folders,
//! and the shared floor, which are files) use each other without cycles. A room may use the
//! floor and the rooms below it, never one that uses it back; a module that two rooms need
//! moves down a floor instead of being imported sideways.
//!
//! The test reads `src/`, takes every `crate::x` a file names (in `use` lines and in code; not
//! in comments), and builds the graph of top-level modules. See docs/ARCHITECTURE.md, "Rooms".

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Edges the graph leaves out, each with why: none. (`AppState` keeps the purchase engine in a
/// type-erased slot, so `state` names no room that uses it back.) An entry here would be
/// `(from, to, why)`, and `every_edge_left_out_is_still_there` drops it once it is stale.
const NOT_FOLLOWED: &[(&str, &str, &str)] = &[];

/// Floor files (top-level `.rs`) that may name rooms, each with why; every other floor file
/// uses no room at all.
const FLOOR_NAMING_ROOMS: &[(&str, &str)] = &[
    ("routes", "it lists every room's route declaration"),
    (
        "state",
        "it holds the payment provider (the payments room, which uses no room)",
    ),
];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level modules of `src/`, as `(name, is_room)`: folders are rooms, files the floor.
fn modules(src: &Path) -> BTreeMap<String, bool> {
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            modules.insert(name, true);
        } else if path.extension().is_some_and(|e| e == "rs") && name != "lib" {
            modules.insert(name, false);
        }
    }
    modules
}

/// Every `.rs` file under `dir`.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found
}

/// The code of a file without its comments (line comments and doc comments).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // `//` inside a string literal ("https://…") is not a comment.
            Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first segment of every path after `crate::` in `code`: `crate::a::b` gives `a`,
/// `crate::{a::b, c}` gives `a` and `c`.
fn crate_uses(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for rest in code.split("crate::").skip(1) {
        if let Some(group) = rest.strip_prefix('{') {
            // The items of the group, split at its top-level commas.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            names.insert(first_segment(&item));
        } else {
            names.insert(first_segment(rest));
        }
    }
    names.remove("");
    names
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Names `lib.rs` re-exports at the crate's root (`crate::AppState`), with the module they
/// come from.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for line in code(lib).lines() {
        let Some(path) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module = first_segment(path);
        let names = match path.split_once('{') {
            Some((_, names)) => names.trim_end_matches("};").to_owned(),
            None => path
                .trim_end_matches(';')
                .rsplit("::")
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        for name in names.split(',') {
            let name = name.rsplit(" as ").next().unwrap_or_default().trim();
            if !name.is_empty() {
                found.insert(name.to_owned(), module.clone());
            }
        }
    }
    found
}

/// The graph of the backend's top-level modules: `a → b` when a file of `a` names `crate::b`.
fn graph(src: &Path) -> Graph {
    let modules = modules(src);
    let reexported = reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut graph = Graph::new();
    for file in files(src) {
        let relative = file.strip_prefix(src).unwrap();
        let Some(first) = relative.components().next() else {
            continue;
        };
        let from = Path::new(first.as_os_str())
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !modules.contains_key(&from) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let edges = graph.entry(from.clone()).or_default();
        for name in crate_uses(&code(&text)) {
            let to = reexported.get(&name).cloned().unwrap_or(name);
            if to != from && modules.contains_key(&to) {
                edges.insert(to);
            }
        }
    }
    graph
}

/// Every cycle's modules (strongly connected components of more than one module), each with
/// one walk around it.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let reaches = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(at) = todo.pop() {
            for next in graph.get(&at).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for start in graph.keys() {
        if placed.contains(start) || !reaches(start).contains(start) {
            continue;
        }
        let component: BTreeSet<String> = reaches(start)
            .into_iter()
            .filter(|m| reaches(m).contains(start))
            .collect();
        placed.extend(component.iter().cloned());
        found.push(walk(graph, start, &component));
    }
    found
}

/// A shortest walk from `start` back to `start` inside `component` (breadth first).
fn walk(graph: &Graph, start: &str, component: &BTreeSet<String>) -> Vec<String> {
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.to_owned()]);
    while let Some(at) = queue.pop_front() {
        for next in graph.get(&at).into_iter().flatten() {
            if !component.contains(next) || came_from.contains_key(next) {
                continue;
            }
            came_from.insert(next.clone(), at.clone());
            if next == start {
                let mut path = vec![start.to_owned()];
                let mut back = came_from[start].clone();
                while back != start {
                    path.push(back.clone());
                    back = came_from[&back].clone();
                }
                path.push(start.to_owned());
                path.reverse();
                return path;
            }
            queue.push_back(next.clone());
        }
    }
    vec![start.to_owned()]
}

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The graph as the rule reads it: without the edges [`NOT_FOLLOWED`] names.
fn followed(mut graph: Graph) -> Graph {
    for (from, to, _) in NOT_FOLLOWED {
        if let Some(edges) = graph.get_mut(*from) {
            edges.remove(*to);
        }
    }
    graph
}

#[test]
fn no_room_uses_a_room_that_uses_it_back() {
    let graph = followed(graph(&src()));
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "import cycles between the backend's top-level modules:\n{}",
        cycles
            .iter()
            .map(|c| format!("  {}", c.join(" → ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// An exception that no longer applies is removed, not kept "just in case".
#[test]
fn every_edge_left_out_is_still_there() {
    let graph = graph(&src());
    for (from, to, why) in NOT_FOLLOWED {
        assert!(
            graph.get(*from).is_some_and(|edges| edges.contains(*to)),
            "{from} → {to} is gone ({why}): remove it from NOT_FOLLOWED"
        );
    }
}

/// The floor is below every room: a top-level file names no room, except those listed.
#[test]
fn the_floor_uses_no_room() {
    let modules = modules(&src());
    let graph = graph(&src());
    for (from, edges) in &graph {
        if modules[from] || FLOOR_NAMING_ROOMS.iter().any(|(m, _)| m == from) {
            continue;
        }
        let rooms: Vec<_> = edges.iter().filter(|to| modules[*to]).collect();
        assert!(rooms.is_empty(), "the floor's {from} uses rooms {rooms:?}");
    }
}

/// The check itself finds cycles: a made-up graph with one, and one without.
#[test]
fn the_check_finds_a_cycle_and_prints_it() {
    let graph_of = |edges: &[(&str, &str)]| {
        let mut graph = Graph::new();
        for (from, to) in edges {
            graph
                .entry((*from).to_owned())
                .or_default()
                .insert((*to).to_owned());
            graph.entry((*to).to_owned()).or_default();
        }
        graph
    };
    let cyclic = graph_of(&[
        ("events", "error"),
        ("events", "promo"),
        ("promo", "orders"),
        ("orders", "events"),
        ("tickets", "orders"),
    ]);
    assert_eq!(
        cycles(&cyclic),
        vec![vec!["events", "promo", "orders", "events"]]
    );
    let acyclic = graph_of(&[
        ("promo", "events"),
        ("orders", "promo"),
        ("orders", "events"),
    ]);
    assert!(cycles(&acyclic).is_empty());
}

#[test]
fn uses_are_read_from_use_lines_and_code_but_not_comments() {
    let text = "use crate::{a::b, c, d::{e, f}};\n// crate::g\nfn x() { crate::h::i(); }\n\
                //! [`crate::j`]\nlet u = \"https://x\"; crate::k::l();";
    let names: Vec<_> = crate_uses(&code(text)).into_iter().collect();
    assert_eq!(names, ["a", "c", "d", "h", "k"]);
}
