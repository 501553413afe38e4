//! A source file as a stream of normalised tokens: what stays when a copy is disguised.
//! Python and shell are parsed with their tree-sitter grammars: comments and docstrings are
//! dropped, literals become their kind, and every name the file itself defines (variables,
//! functions, classes, parameters, attributes it assigns, import aliases) becomes `id`, so
//! renaming them changes nothing; names it only uses (`read_csv`, `fit`, `print`) stay as they
//! are, since a copy cannot rename them without breaking. Other source files are split into
//! words and punctuation, numbers as `num`.

use std::collections::HashSet;

use tree_sitter::{Node, Parser};

/// One token: its normalised text, and the lines (1-based) of the original it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub first_line: u32,
    pub last_line: u32,
}

/// How a file is read, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Python,
    Shell,
    /// Another source language, read as words and punctuation.
    Text,
}

/// Extensions of source files read as text; anything else (data, models, images) is not
/// compared.
const TEXT_SOURCES: &[&str] = &[
    "r", "jl", "js", "ts", "java", "kt", "scala", "c", "h", "cc", "cpp", "hpp", "go", "rs", "rb", "sql", "m", "swift",
    "cs", "php", "lua", "pl",
];

impl Language {
    /// The language of a file by its name, or `None` when it is not source code.
    pub fn of(path: &str) -> Option<Language> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        match extension.as_deref() {
            Some("py") => Some(Language::Python),
            Some("sh" | "bash") => Some(Language::Shell),
            Some(e) if TEXT_SOURCES.contains(&e) => Some(Language::Text),
            _ => None,
        }
    }
}

/// The normalised tokens of `source`, read as `language`.
pub fn tokens(source: &str, language: Language) -> Vec<Token> {
    match language {
        Language::Python => parsed(source, &tree_sitter_python::LANGUAGE.into(), &PYTHON),
        Language::Shell => parsed(
            &without_four_byte_characters(source),
            &tree_sitter_bash::LANGUAGE.into(),
            &SHELL,
        ),
        Language::Text => text_tokens(source),
    }
}

/// Every name a Python source defines, as the tokeniser abstracts them (attributes as `.name`):
/// what a renaming copy would change.
pub fn defined_python_names(source: &str) -> HashSet<String> {
    let mut parser = Parser::new();
    let mut defined = HashSet::new();
    if parser.set_language(&tree_sitter_python::LANGUAGE.into()).is_ok()
        && let Some(tree) = parse_within_budget(&mut parser, source)
    {
        collect_defined(tree.root_node(), source.as_bytes(), &PYTHON, false, &mut defined);
    }
    defined
}

/// `source` with each character of four UTF-8 bytes written as four `_`: the shell grammar
/// (tree-sitter-bash 0.25.1) reads past its input on `{` followed by such a character and
/// crashes the process (tree-sitter/tree-sitter-bash#337, open). Same length, so every line and
/// byte offset stays where it was.
fn without_four_byte_characters(source: &str) -> std::borrow::Cow<'_, str> {
    if source.chars().all(|c| c.len_utf8() < 4) {
        return std::borrow::Cow::Borrowed(source);
    }
    std::borrow::Cow::Owned(
        source
            .chars()
            .map(|c| {
                if c.len_utf8() == 4 {
                    "____".to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// What a grammar's node kinds mean to the tokeniser.
struct Grammar {
    comments: &'static [&'static str],
    /// Kinds taken whole as one token of this text (a string is `str`, whatever it holds).
    literals: &'static [(&'static str, &'static str)],
    /// Kinds that hold a name.
    names: &'static [&'static str],
    /// Kinds whose every name child is one the file defines, by field name.
    definers: &'static [(&'static str, &'static str)],
    /// Kinds that are docstrings when they hold only a string.
    statements: &'static [&'static str],
    /// Definitions whose order carries no meaning where they stand...
    definitions: &'static [&'static str],
    /// ...directly in these (a module), or in the body of these (a class).
    reorderable_in: &'static [&'static str],
}

static PYTHON: Grammar = Grammar {
    comments: &["comment"],
    literals: &[
        ("string", "str"),
        ("concatenated_string", "str"),
        ("integer", "num"),
        ("float", "num"),
    ],
    names: &["identifier"],
    definers: &[
        ("function_definition", "name"),
        ("class_definition", "name"),
        ("assignment", "left"),
        ("augmented_assignment", "left"),
        ("for_statement", "left"),
        ("for_in_clause", "left"),
        ("parameters", ""),
        ("lambda_parameters", ""),
        ("aliased_import", "alias"),
        ("as_pattern_target", ""),
        ("global_statement", ""),
        ("named_expression", "name"),
    ],
    statements: &["expression_statement"],
    definitions: &["function_definition", "class_definition", "decorated_definition"],
    reorderable_in: &["module", "class_definition"],
};

static SHELL: Grammar = Grammar {
    comments: &["comment"],
    literals: &[
        ("string", "str"),
        ("raw_string", "str"),
        ("ansi_c_string", "str"),
        ("number", "num"),
    ],
    names: &["variable_name"],
    definers: &[
        ("variable_assignment", "name"),
        ("function_definition", "name"),
        ("for_statement", "variable"),
    ],
    statements: &[],
    definitions: &["function_definition"],
    reorderable_in: &["program"],
};

fn parsed(source: &str, language: &tree_sitter::Language, grammar: &Grammar) -> Vec<Token> {
    let mut parser = Parser::new();
    if parser.set_language(language).is_err() {
        return text_tokens(source);
    }
    let Some(tree) = parse_within_budget(&mut parser, source) else {
        return text_tokens(source);
    };
    let bytes = source.as_bytes();
    let mut defined = HashSet::new();
    collect_defined(tree.root_node(), bytes, grammar, false, &mut defined);
    let mut out = Vec::new();
    emit(tree.root_node(), bytes, grammar, &defined, &mut out);
    out
}

/// Longest a file may take to parse. Real code parses at several megabytes a second; some
/// random bytes send the parser's error recovery into seconds per file, and such a file is
/// read as text instead (its tokens then differ from a parse, which no real file ever needs).
const PARSE_BUDGET: std::time::Duration = std::time::Duration::from_secs(1);

fn parse_within_budget(parser: &mut Parser, source: &str) -> Option<tree_sitter::Tree> {
    let deadline = std::time::Instant::now() + PARSE_BUDGET;
    let bytes = source.as_bytes();
    let mut progress = |_: &tree_sitter::ParseState| {
        if std::time::Instant::now() > deadline {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    parser.parse_with_options(
        &mut |at, _| bytes.get(at..).unwrap_or_default(),
        None,
        Some(tree_sitter::ParseOptions::new().progress_callback(&mut progress)),
    )
}

/// Every name the file defines: names under a definer's defining field (a parameter list
/// whole), including attributes it assigns (`self.weights = ...` defines `weights`).
/// Nesting followed by the recursive walks; deeper code (only a hostile file nests this far) is
/// read as a flat run of leaves, so no file can exhaust the stack.
const MAX_DEPTH: usize = 200;

fn collect_defined(node: Node, source: &[u8], grammar: &Grammar, defining: bool, found: &mut HashSet<String>) {
    collect_defined_at(node, source, grammar, defining, found, 0);
}

fn collect_defined_at(
    node: Node,
    source: &[u8],
    grammar: &Grammar,
    defining: bool,
    found: &mut HashSet<String>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    if defining
        && grammar.names.contains(&node.kind())
        && let Ok(name) = node.utf8_text(source)
    {
        found.insert(qualified(node, name));
    }
    let field = grammar
        .definers
        .iter()
        .find(|(kind, _)| *kind == node.kind())
        .map(|(_, f)| *f);
    let mut cursor = node.walk();
    for (index, child) in node.children(&mut cursor).enumerate() {
        // `self.weights = ...` defines `weights`, not `self`; `rows[i] = ...` defines no `i`.
        let narrowed = match node.kind() {
            "attribute" => Some("attribute"),
            "subscript" => Some("value"),
            _ => None,
        };
        let inherited = defining && narrowed.is_none_or(|f| node.field_name_for_child(index as u32) == Some(f));
        let child_defines = inherited
            || match field {
                Some("") => true,
                Some(field) => node.field_name_for_child(index as u32) == Some(field),
                None => false,
            };
        collect_defined_at(child, source, grammar, child_defines, found, depth + 1);
    }
}

fn emit(node: Node, source: &[u8], grammar: &Grammar, defined: &HashSet<String>, out: &mut Vec<Token>) {
    emit_at(node, source, grammar, defined, out, 0);
}

fn emit_at(
    node: Node,
    source: &[u8],
    grammar: &Grammar,
    defined: &HashSet<String>,
    out: &mut Vec<Token>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        emit_flat(node, source, out);
        return;
    }
    let kind = node.kind();
    if grammar.comments.contains(&kind) || is_docstring(node, grammar) {
        return;
    }
    let token = |text: &str| Token {
        text: text.to_string(),
        first_line: node.start_position().row as u32 + 1,
        last_line: node.end_position().row as u32 + 1,
    };
    if let Some((_, text)) = grammar.literals.iter().find(|(k, _)| *k == kind) {
        out.push(token(text));
        return;
    }
    if grammar.names.contains(&kind) {
        let name = node.utf8_text(source).unwrap_or_default();
        if !name.is_empty() {
            out.push(token(if defined.contains(&qualified(node, name)) {
                "id"
            } else {
                name
            }));
        }
        return;
    }
    if node.child_count() == 0 {
        let text = node.utf8_text(source).unwrap_or_default().trim();
        if !text.is_empty() {
            out.push(token(text));
        }
        return;
    }
    let mut cursor = node.walk();
    let mut definitions: Vec<Vec<Token>> = Vec::new();
    let reorderable = grammar.reorderable_in.contains(&kind)
        || node
            .parent()
            .is_some_and(|p| grammar.reorderable_in.contains(&p.kind()) && kind == "block");
    for child in node.children(&mut cursor) {
        if reorderable && grammar.definitions.contains(&child.kind()) {
            let mut tokens = Vec::new();
            emit_at(child, source, grammar, defined, &mut tokens, depth + 1);
            definitions.push(tokens);
        } else {
            emit_at(child, source, grammar, defined, out, depth + 1);
        }
    }
    // Definitions after the other statements, in the order of their normalised text: moving
    // functions around then changes nothing.
    definitions.sort_by(|a, b| a.iter().map(|t| &t.text).cmp(b.iter().map(|t| &t.text)));
    out.extend(definitions.into_iter().flatten());
}

/// Every leaf under `node` as written, walked with a cursor instead of recursion.
fn emit_flat(node: Node, source: &[u8], out: &mut Vec<Token>) {
    let mut cursor = node.walk();
    loop {
        let here = cursor.node();
        if here.child_count() == 0 {
            let text = here.utf8_text(source).unwrap_or_default().trim();
            if !text.is_empty() {
                out.push(Token {
                    text: text.to_string(),
                    first_line: here.start_position().row as u32 + 1,
                    last_line: here.end_position().row as u32 + 1,
                });
            }
        } else if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// A name as the file's definitions know it: an attribute (`.mean`) apart from a variable
/// (`mean`), so a local `mean` leaves `np.mean` as it is.
pub fn qualified(node: Node, name: &str) -> String {
    let is_attribute = node.parent().is_some_and(|p| {
        p.kind() == "attribute" && p.child_by_field_name("attribute").is_some_and(|a| a.id() == node.id())
    });
    if is_attribute {
        format!(".{name}")
    } else {
        name.to_string()
    }
}

/// A statement that is only a string: a docstring, as free to change as a comment.
fn is_docstring(node: Node, grammar: &Grammar) -> bool {
    grammar.statements.contains(&node.kind())
        && node.named_child_count() == 1
        && node
            .named_child(0)
            .is_some_and(|c| matches!(c.kind(), "string" | "concatenated_string"))
}

/// Words and punctuation, numbers as `num`; whitespace is dropped.
fn text_tokens(source: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for (row, line) in source.lines().enumerate() {
        let line_number = row as u32 + 1;
        let mut chars = line.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            if c.is_whitespace() {
                continue;
            }
            let text = if c.is_alphanumeric() || c == '_' {
                let mut end = start + c.len_utf8();
                while let Some(&(at, next)) = chars.peek() {
                    if !(next.is_alphanumeric() || next == '_' || next == '.' && c.is_ascii_digit()) {
                        break;
                    }
                    end = at + next.len_utf8();
                    chars.next();
                }
                let word = &line[start..end];
                if word.starts_with(|d: char| d.is_ascii_digit()) {
                    "num".to_string()
                } else {
                    word.to_string()
                }
            } else {
                c.to_string()
            };
            out.push(Token {
                text,
                first_line: line_number,
                last_line: line_number,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str, language: Language) -> Vec<String> {
        tokens(source, language).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn renamed_reformatted_recommented_python_reads_the_same() {
        let original = "import pandas as pd\n\ndef load(path):\n    \"\"\"Reads the data.\"\"\"\n    frame = pd.read_csv(path)  # all rows\n    return frame.dropna()\n";
        let disguised = "import pandas as pandas_lib\ndef read_table( file_name ):\n    # the table, cleaned\n    table   =   pandas_lib.read_csv( file_name )\n    return table.dropna( )\n";
        assert_eq!(texts(original, Language::Python), texts(disguised, Language::Python));
        assert_eq!(
            texts(original, Language::Python),
            [
                "import", "pandas", "as", "id", "def", "id", "(", "id", ")", ":", "id", "=", "id", ".", "read_csv",
                "(", "id", ")", "return", "id", ".", "dropna", "(", ")"
            ]
        );
    }

    #[test]
    fn names_the_file_only_uses_are_kept() {
        let used = texts("model.fit(x, y)\nprint(len(x))\n", Language::Python);
        assert_eq!(
            used,
            [
                "model", ".", "fit", "(", "x", ",", "y", ")", "print", "(", "len", "(", "x", ")", ")"
            ]
        );
        let assigned = texts("self.weights = 1\nz = self.weights + 2.5\n", Language::Python);
        assert_eq!(
            assigned,
            ["self", ".", "id", "=", "num", "id", "=", "self", ".", "id", "+", "num"]
        );
    }

    #[test]
    fn reordered_definitions_read_the_same() {
        let a = "import os\ndef f(a):\n    return a + 1\nclass C:\n    def m(self):\n        return 1\n    def n(self, x):\n        return os.path.join(x)\ndef g(b):\n    return b * 2\nprint(f(2))\n";
        let b = "import os\ndef g(q):\n    return q * 2\nclass C:\n    def n(self, y):\n        return os.path.join(y)\n    def m(self):\n        return 1\nprint(f(2))\ndef f(z):\n    return z + 1\n";
        assert_eq!(texts(a, Language::Python), texts(b, Language::Python));
    }

    #[test]
    fn shell_variables_and_comments() {
        let a = texts("# set up\nNAME=model\npython3 train.py \"$NAME\" 10\n", Language::Shell);
        let b = texts("OUT=model   # renamed\npython3 train.py \"$OUT\" 99\n", Language::Shell);
        assert_eq!(a, b);
        assert!(a.contains(&"python3".to_string()), "{a:?}");
    }

    #[test]
    fn lines_are_kept_for_fragments() {
        let found = tokens("x = 1\n\n\ny = 2\n", Language::Python);
        assert_eq!(found.first().map(|t| t.first_line), Some(1));
        assert_eq!(found.last().map(|t| t.last_line), Some(4));
    }

    #[test]
    fn other_sources_are_words_and_punctuation() {
        assert_eq!(texts("int x = 42;\n", Language::Text), ["int", "x", "=", "num", ";"]);
        assert_eq!(Language::of("src/Main.java"), Some(Language::Text));
        assert_eq!(Language::of("a/train.py"), Some(Language::Python));
        assert_eq!(Language::of("run.SH"), Some(Language::Shell));
        assert_eq!(Language::of("train.csv"), None);
        assert_eq!(Language::of("Makefile"), None);
    }

    #[test]
    fn a_file_that_takes_the_parser_too_long_is_read_as_text() {
        // Random bytes of Python's punctuation and keywords: seconds of error recovery.
        let mut state = 1u64;
        let alphabet: Vec<char> = "()[]{}:=+-*/'\"\n\t abcxyz019#\\.,;@ def class if else for lambda "
            .chars()
            .collect();
        let junk: String = (0..500_000)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                alphabet[(state >> 33) as usize % alphabet.len()]
            })
            .collect();
        let started = std::time::Instant::now();
        let found = tokens(&junk, Language::Python);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(!found.is_empty());
    }

    #[test]
    fn shell_that_crashes_its_grammar_is_read() {
        // Five bytes that crash tree-sitter-bash 0.25.1 on Linux when parsed as they are.
        // The file crashed the grammar every time here (found by the property test below).
        let found = include_str!("../../tests/fixtures/similarity/hostile/crashes-the-shell-grammar.sh");
        for source in [found, "{\u{31860}", "echo {\u{1F600}}\n", "{ a; }\n# \u{10348}\n"] {
            let found = tokens(source, Language::Shell);
            assert!(!found.is_empty(), "{source:?}");
        }
    }

    #[test]
    fn hostile_nesting_is_read_without_exhausting_the_stack() {
        let depth = 100_000;
        let source = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
        let found = tokens(&source, Language::Python);
        assert!(found.len() >= 3, "{}", found.len());
        let shell = format!("echo {}x{}\n", "$(".repeat(depth / 2), ")".repeat(depth / 2));
        assert!(!tokens(&shell, Language::Shell).is_empty());
        assert!(defined_python_names(&source).contains("x"));
    }

    proptest::proptest! {
        #[test]
        fn any_text_tokenises_without_panicking(source in "\\PC{0,400}") {
            for language in [Language::Python, Language::Shell, Language::Text] {
                for token in tokens(&source, language) {
                    proptest::prop_assert!(token.first_line >= 1 && token.first_line <= token.last_line);
                    proptest::prop_assert!(!token.text.is_empty());
                }
            }
        }
    }
}
