//! The completeness test: every catalog has the same messages, each with the same attributes
//! and variables, and every key the Rust sources use exists.
//!
//! The checks are functions over texts, so the tests below also prove that each one fails
//! when it should (a key missing from German, a variable only Spanish uses, a key used in
//! code that no catalog defines).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fluent_syntax::ast;

use crate::catalog::{sources, FILES};
use crate::Locale;

/// What a catalog says about one message: its attributes and the variables it uses (in its
/// value, attributes and every variant).
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    attributes: BTreeSet<String>,
    variables: BTreeSet<String>,
}

/// Messages and terms (`-brand`) of one locale's files, by id. Syntax errors and a key
/// defined twice are problems of their own.
fn shapes(
    locale: &str,
    files: &[(&str, &str)],
    problems: &mut Vec<String>,
) -> BTreeMap<String, Shape> {
    let mut out = BTreeMap::new();
    for (file, text) in files {
        let resource = match fluent_syntax::parser::parse(*text) {
            Ok(resource) => resource,
            Err((resource, errors)) => {
                problems.push(format!("{locale}/{file}.ftl: syntax errors {errors:?}"));
                resource
            }
        };
        for entry in resource.body {
            let (id, value, attributes) = match entry {
                ast::Entry::Message(m) => (m.id.name.to_owned(), m.value, m.attributes),
                ast::Entry::Term(t) => (format!("-{}", t.id.name), Some(t.value), t.attributes),
                ast::Entry::Junk { content } => {
                    problems.push(format!("{locale}/{file}.ftl: unreadable entry {content:?}"));
                    continue;
                }
                _ => continue,
            };
            let mut shape = Shape::default();
            if let Some(value) = &value {
                variables(value, &mut shape.variables);
            }
            for attribute in &attributes {
                shape.attributes.insert(attribute.id.name.to_owned());
                variables(&attribute.value, &mut shape.variables);
            }
            if out.insert(id.clone(), shape).is_some() {
                problems.push(format!("{locale}: `{id}` is defined twice"));
            }
        }
    }
    out
}

fn variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_variables(expression, out);
        }
    }
}

fn expression_variables(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Inline(inline) => inline_variables(inline, out),
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, out);
            for variant in variants {
                variables(&variant.value, out);
            }
        }
    }
}

fn inline_variables(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        ast::InlineExpression::Placeable { expression } => expression_variables(expression, out),
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                inline_variables(argument, out);
            }
            for argument in &arguments.named {
                inline_variables(&argument.value, out);
            }
        }
        _ => {}
    }
}

/// Every difference between the reference catalog (`en`) and each other one.
fn catalog_problems(catalogs: &[(&str, Vec<(&str, &str)>)]) -> Vec<String> {
    let mut problems = Vec::new();
    let parsed: Vec<(&str, BTreeMap<String, Shape>)> = catalogs
        .iter()
        .map(|(locale, files)| (*locale, shapes(locale, files, &mut problems)))
        .collect();
    let Some(((reference, reference_shapes), others)) = parsed.split_first() else {
        return problems;
    };
    for (locale, shapes) in others {
        for (key, shape) in reference_shapes {
            match shapes.get(key) {
                None => problems.push(format!("{locale}: `{key}` is missing")),
                Some(other) if other != shape => problems.push(format!(
                    "{locale}: `{key}` differs from {reference}: {reference} has {shape:?}, \
                     {locale} has {other:?}"
                )),
                Some(_) => {}
            }
        }
        for key in shapes
            .keys()
            .filter(|key| !reference_shapes.contains_key(*key))
        {
            problems.push(format!("{locale}: `{key}` is not in {reference}"));
        }
    }
    problems
}

/// Keys passed to the catalog as string literals in Rust source: `t(locale, "key", …)`,
/// `locale.t("key")`, and `i18n::t(…)`.
fn keys_used(source: &str) -> BTreeSet<String> {
    let call = regex::Regex::new(
        r#"(?:\.t\(\s*|\bt\(\s*[^,()"]+(?:\([^()]*\))?,\s*)"([a-z0-9][a-z0-9-]*)""#,
    )
    .unwrap();
    call.captures_iter(source)
        .map(|capture| capture[1].to_owned())
        .collect()
}

/// Keys a source uses that `catalog` lacks, as `file: key` lines.
fn source_problems(
    sources: &[(PathBuf, String)],
    catalog: &BTreeMap<String, Shape>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, text) in sources {
        for key in keys_used(text) {
            if !catalog.contains_key(&key) {
                problems.push(format!("{}: `{key}` is in no catalog", path.display()));
            }
        }
    }
    problems
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("node_modules") && !path.ends_with("target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn real_catalogs() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    Locale::ALL
        .into_iter()
        .map(|locale| {
            (
                locale.code(),
                FILES.iter().copied().zip(sources(locale)).collect(),
            )
        })
        .collect()
}

#[test]
fn every_catalog_has_every_message_with_the_same_attributes_and_variables() {
    let problems = catalog_problems(&real_catalogs());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_key_the_sources_use_is_in_the_catalogs() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    // This crate's own sources are the API and its tests, which use missing keys on purpose.
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    files.retain(|path| !path.starts_with(&own));
    assert!(
        files
            .iter()
            .any(|p| p.ends_with("bilten-frontend/src/views.rs")),
        "the scan finds the frontend's sources"
    );
    let sources: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect();
    let used: usize = sources.iter().map(|(_, text)| keys_used(text).len()).sum();
    assert!(
        used > 100,
        "only {used} keys found: is the scan still matching the calls?"
    );
    let mut ignored = Vec::new();
    let catalog = shapes("en", &real_catalogs()[0].1, &mut ignored);
    let problems = source_problems(&sources, &catalog);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_catalog_check_fails_on_a_missing_key_a_stray_key_and_a_different_variable() {
    let en = "greeting = Hello { $name }\nbye = Bye\n    .title = Leaving\n";
    let complete = "greeting = Hallo { $name }\nbye = Tschüss\n    .title = Gehen\n";
    assert!(catalog_problems(&[("en", vec![("a", en)]), ("de", vec![("a", complete)])]).is_empty());

    let missing = "greeting = Hallo { $name }\n";
    let problems = catalog_problems(&[("en", vec![("a", en)]), ("de", vec![("a", missing)])]);
    assert_eq!(problems, ["de: `bye` is missing"]);

    let stray = format!("{complete}extra = Mehr\n");
    let problems = catalog_problems(&[("en", vec![("a", en)]), ("es", vec![("a", &stray)])]);
    assert_eq!(problems, ["es: `extra` is not in en"]);

    let other_variable = "greeting = Hola { $nombre }\nbye = Adiós\n    .title = Salir\n";
    let problems =
        catalog_problems(&[("en", vec![("a", en)]), ("es", vec![("a", other_variable)])]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("es: `greeting` differs"),
        "{problems:?}"
    );

    let no_attribute = "greeting = Hallo { $name }\nbye = Tschüss\n";
    let problems = catalog_problems(&[("en", vec![("a", en)]), ("de", vec![("a", no_attribute)])]);
    assert!(problems[0].starts_with("de: `bye` differs"), "{problems:?}");

    // Variables inside a plural selection count too.
    let plural_en = "left = { $count ->\n    [one] One left\n   *[other] { $count } left\n}\n";
    let plural_de = "left = { $count ->\n    [one] Eins übrig\n   *[other] { $n } übrig\n}\n";
    let problems = catalog_problems(&[
        ("en", vec![("a", plural_en)]),
        ("de", vec![("a", plural_de)]),
    ]);
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn the_source_check_finds_keys_in_calls_and_fails_on_an_unknown_one() {
    let source = r#"
        let a = t(locale, "known-key", &[]);
        let b = visit.locale.t("other-key");
        let c = bilten_i18n::t(chrome.locale(), "unknown-key", &[("n", 1.into())]);
        let d = t(
            l,
            "multi-line-key",
            &[],
        );
        let not_a_key = format!("{}", "plain-string");
    "#;
    let used = keys_used(source);
    assert_eq!(
        used.into_iter().collect::<Vec<_>>(),
        ["known-key", "multi-line-key", "other-key", "unknown-key"]
    );
    let mut ignored = Vec::new();
    let catalog = shapes(
        "en",
        &[("a", "known-key = K\nother-key = O\nmulti-line-key = M\n")],
        &mut ignored,
    );
    let problems = source_problems(&[(PathBuf::from("x.rs"), source.to_owned())], &catalog);
    assert_eq!(problems, ["x.rs: `unknown-key` is in no catalog"]);
}
