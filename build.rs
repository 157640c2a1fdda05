//! Embeds every `rules/*.toml` into the binary, so that adding a built-in rule
//! is dropping a file into `rules/`. Each is embedded as written and as
//! JSON: start-up reads the JSON, several times faster to parse than TOML
//! (a pre-commit hook starts on every commit).

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("rules/ exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    let mut out = String::from("pub static BUILTIN_RULE_FILES: &[BuiltinRuleFile] = &[\n");
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().and_then(|n| n.to_str()).expect("UTF-8 rule file name");
        let text = fs::read_to_string(&path).expect("read rule file");
        let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json = serde_json::to_string(&value).expect("JSON of a TOML value");
        out.push_str(&format!(
            "    BuiltinRuleFile {{ origin: \"rules/{name}\", toml: include_str!({:?}), json: {json:?} }},\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_rules.rs");
    fs::write(dest, out).expect("write builtin_rules.rs");
}
