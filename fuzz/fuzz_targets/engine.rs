//! Any bytes through what a working-tree scan does with a file: content
//! views (UTF-16/32 guesses), the engine, and findings with their snippets.
//! Nothing may panic, and every match must lie inside its input.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sqscan::config::Allow;
use sqscan::filters::Suppressor;
use sqscan::findings::Origin;
use sqscan::rules::RuleSet;
use sqscan::scan::Scanner;
use sqscan::sources::Item;
use sqscan::sources::content::Views;

/// Built once: building the engine costs far more than one run.
fn scanner() -> &'static Scanner<'static> {
    static RULES: OnceLock<(RuleSet, Suppressor)> = OnceLock::new();
    static SCANNER: OnceLock<Scanner<'static>> = OnceLock::new();
    let (rules, suppressor) = RULES.get_or_init(|| {
        let rules = RuleSet::load(&[]).expect("built-in rules load");
        let suppressor = Suppressor::new(&Allow::default(), false, None).expect("an empty suppressor");
        (rules, suppressor)
    });
    SCANNER.get_or_init(|| Scanner::new(rules, suppressor).expect("an engine"))
}

fuzz_target!(|data: &[u8]| {
    let scanner = scanner();
    let Some(views) = Views::of(data, true) else { return };
    let origin = Origin::File { path: "fuzz".to_string() };
    let item = Item::of_views(&origin, &views);
    for finding in scanner.findings(&item) {
        assert!(finding.position.line >= 1 && finding.position.column >= 1);
        assert!(!finding.secret.expose().is_empty());
        let shown = finding.shown_line(true);
        assert!(!shown.contains(finding.secret.expose()) || finding.secret.expose().len() < 8);
    }
});
