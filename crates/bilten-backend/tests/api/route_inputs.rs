//! What each route of the backend reads from a request, found in the backend's own source so
//! that a new route, a new body field or a new query parameter is swept by `bad_input.rs`
//! without anyone remembering to add it.
//!
//! The walk: every route of the backend's access table (`routes::table()`, built from the
//! rooms' route declarations: method, path and the handler's `room::module::function`); the
//! handler's signature (`Json<T>`, `Form<T>`, `Query<T>`, raw `Bytes`); the `struct T`'s
//! fields, and the fields of the structs they contain (`Option<Vec<ItemInput>>` becomes
//! `items[0].…`). A handler that reads `Query<HashMap<…>>` contributes the keys it looks up
//! (`query.get("limit")`). When a handler or a struct cannot be found the walk panics, so it
//! is extended rather than silently skipping a route.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One step into a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    /// The first element of an array.
    First,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Form,
    /// The handler reads the bytes and parses them itself.
    Raw,
}

#[derive(Debug, Clone)]
pub struct RouteInputs {
    pub method: String,
    pub path: String,
    pub body: Option<BodyKind>,
    /// Every field of the body, nested ones as paths.
    pub fields: Vec<Vec<Step>>,
    pub query: Vec<String>,
}

/// Every `.rs` file of the backend's `src`, by path relative to it.
struct Source {
    files: BTreeMap<PathBuf, String>,
}

impl Source {
    fn load() -> Self {
        let mut files = BTreeMap::new();
        Self::read(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            Path::new(""),
            &mut files,
        );
        // Request bodies are the contract's types.
        Self::read(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../bilten-api/src"),
            Path::new("bilten-api"),
            &mut files,
        );
        Self { files }
    }

    fn read(root: &Path, prefix: &Path, files: &mut BTreeMap<PathBuf, String>) {
        let mut dirs = vec![root.to_owned()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    files.insert(prefix.join(path.strip_prefix(root).unwrap()), text);
                }
            }
        }
    }

    /// The files of module `module` (`auth` → `auth.rs`, `auth/mod.rs`, `auth/*.rs`).
    fn module(&self, module: &str) -> Vec<&str> {
        self.files
            .iter()
            .filter(|(path, _)| {
                path == &Path::new(&format!("{module}.rs")) || path.starts_with(module)
            })
            .map(|(_, text)| text.as_str())
            .collect()
    }

    /// The signature (parameter list) and body of `fn name(` in `module`, following a
    /// `pub use x::{real as name}` re-export.
    fn handler(&self, module: &str, name: &str) -> (String, String) {
        let files = self.module(module);
        // Every `fn name(` of the module; a handler is the one taking the app's `State`.
        let mut candidates = Vec::new();
        for text in &files {
            let marker = format!("fn {name}(");
            for (start, _) in text.match_indices(&marker) {
                let rest = &text[start + marker.len()..];
                let params = balanced(rest, '(', ')');
                let after = &rest[params.len()..];
                let body = after
                    .find('{')
                    .map_or("", |i| balanced(&after[i + 1..], '{', '}'));
                candidates.push((params.to_owned(), body.to_owned()));
            }
        }
        if let Some(found) = candidates
            .iter()
            .find(|(params, _)| params.contains("State<"))
            .or(candidates.first())
        {
            return found.clone();
        }
        for text in &files {
            if let Some(at) = text.find(&format!(" as {name}")) {
                let real = text[..at]
                    .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap();
                return self.handler(module, real);
            }
        }
        panic!(
            "handler {module}::{name} not found in the backend's source; extend route_inputs.rs"
        );
    }

    /// The fields of `struct name`, resolving `type name = Other;`: `(field, type)`.
    fn struct_fields(&self, name: &str) -> Vec<(String, String)> {
        for text in self.files.values() {
            if let Some(at) = text.find(&format!("type {name} = ")) {
                let other = text[at..]
                    .split_once('=')
                    .unwrap()
                    .1
                    .split(';')
                    .next()
                    .unwrap()
                    .trim();
                return self.struct_fields(other);
            }
            let Some(at) = text.find(&format!("struct {name} {{")) else {
                continue;
            };
            let body = balanced(&text[at + format!("struct {name} {{").len()..], '{', '}');
            return body
                .lines()
                .map(str::trim)
                .filter(|l| !l.starts_with('#') && !l.starts_with("//"))
                .filter_map(|l| {
                    let l = l
                        .trim_start_matches("pub(crate) ")
                        .trim_start_matches("pub ");
                    let (field, ty) = l.split_once(':')?;
                    let field = field.trim();
                    field
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_')
                        .then(|| (field.to_owned(), ty.trim().trim_end_matches(',').to_owned()))
                })
                .collect();
        }
        panic!("struct {name} not found in the backend's source; extend route_inputs.rs");
    }

    fn defines_struct(&self, name: &str) -> bool {
        self.files.values().any(|t| {
            t.contains(&format!("struct {name} {{")) || t.contains(&format!("type {name} = "))
        })
    }

    /// Field paths of `struct name`, nested structs expanded (at most `depth` levels).
    fn field_paths(&self, name: &str, depth: usize) -> Vec<Vec<Step>> {
        let mut paths = Vec::new();
        for (field, ty) in self.struct_fields(name) {
            let key = vec![Step::Key(field)];
            paths.push(key.clone());
            let (inner, through_array) = unwrap_type(&ty);
            if depth > 0 && self.defines_struct(inner) {
                for sub in self.field_paths(inner, depth - 1) {
                    let mut path = key.clone();
                    if through_array {
                        path.push(Step::First);
                    }
                    path.extend(sub);
                    paths.push(path);
                }
            }
        }
        paths
    }
}

/// `Option<Vec<ItemInput>>` → (`ItemInput`, true): the innermost type, and whether an array
/// was passed on the way.
fn unwrap_type(ty: &str) -> (&str, bool) {
    let mut ty = ty.trim();
    let mut array = false;
    loop {
        if let Some(inner) = ty.strip_prefix("Option<").and_then(|t| t.strip_suffix('>')) {
            ty = inner.trim();
        } else if let Some(inner) = ty.strip_prefix("Vec<").and_then(|t| t.strip_suffix('>')) {
            ty = inner.trim();
            array = true;
        } else {
            return (ty, array);
        }
    }
}

/// The text up to the bracket that closes an already opened one (`open` was just passed).
fn balanced(text: &str, open: char, close: char) -> &str {
    let mut depth = 1;
    for (i, c) in text.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return &text[..i];
            }
        }
    }
    panic!("unbalanced {open}{close} in the backend's source");
}

/// The type in `Extractor<…>` within a handler's parameters.
fn extracted(params: &str, extractor: &str) -> Option<String> {
    let start = params.find(&format!("{extractor}<"))? + extractor.len() + 1;
    Some(balanced(&params[start..], '<', '>').trim().to_owned())
}

/// The keys a handler looks up in a `HashMap` query: `query.get("limit")`.
fn looked_up_keys(body: &str) -> Vec<String> {
    body.split(".get(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(ToOwned::to_owned)
        .collect()
}

/// Every route of the access table with what its handler reads.
pub fn all() -> Vec<RouteInputs> {
    let source = Source::load();
    let mut found = Vec::new();
    for rule in bilten_backend::routes::table() {
        let (module, name) = rule.handler.rsplit_once("::").unwrap();
        let module = module.replace("::", "/");
        let module = module.as_str();
        let (method, path) = (rule.method.to_owned(), rule.path.clone());
        let (params, body) = source.handler(module, name);
        let (kind, body_type) = if let Some(t) = extracted(&params, "Json") {
            (Some(BodyKind::Json), Some(t))
        } else if let Some(t) = extracted(&params, "Form") {
            (Some(BodyKind::Form), Some(t))
        } else if params.contains("Bytes") {
            (Some(BodyKind::Raw), None)
        } else {
            (None, None)
        };
        let fields = match (kind, body_type) {
            (_, Some(t)) if t != "Value" => source.field_paths(&t, 3),
            // Raw bodies: the module's deserialized inputs (`CheckoutInput`, …).
            (Some(BodyKind::Raw), _) => source
                .module(module)
                .iter()
                .flat_map(|text| text.split("struct ").skip(1))
                .filter_map(|rest| rest.split([' ', '{', '<']).next())
                .filter(|n| n.ends_with("Input"))
                .flat_map(|n| source.field_paths(n, 3))
                .collect(),
            _ => Vec::new(),
        };
        let query = match extracted(&params, "Query") {
            Some(t) if t.starts_with("HashMap") => looked_up_keys(&body),
            Some(t) => source
                .struct_fields(&t)
                .into_iter()
                .map(|(field, _)| field)
                .collect(),
            None => Vec::new(),
        };
        found.push(RouteInputs {
            method: method.to_uppercase(),
            path,
            body: kind,
            fields,
            query,
        });
    }
    found
}
