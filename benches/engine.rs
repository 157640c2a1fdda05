//! Engine throughput: clean source text (no candidates), keyword-dense text,
//! and one minified line. Run: `cargo bench --bench engine`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sqscan::rules::RuleSet;

const SIZE: usize = 16 << 20;

/// A small deterministic generator, so that inputs are the same every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

const WORDS: &[&str] = &[
    "self", "config", "value", "result", "items", "index", "count", "buffer", "reader", "writer", "token", "sonata",
    "scanner", "project", "key", "branch", "build", "report", "status", "client", "server", "request", "response",
    "handler", "error", "options", "settings", "logger", "cache", "entry",
];

/// Source-like lines without any keyword.
fn clean_text(rng: &mut Lcg) -> Vec<u8> {
    let mut out = String::with_capacity(SIZE + 200);
    while out.len() < SIZE {
        let (a, b, c) = (rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS));
        match rng.next() % 4 {
            0 => out.push_str(&format!("    def {a}_{b}(self, {c}=None):\n")),
            1 => out.push_str(&format!("        {a} = {b}.{c}({}, {})\n", rng.next() % 1000, a)),
            2 => out.push_str(&format!("{a}.{b}.{c}={a}\n")),
            _ => out.push_str(&format!("  \"integrity\": \"sha512-{a}{b}{c}{}\",\n", rng.next())),
        }
    }
    out.into_bytes()
}

/// Lines that keep mentioning Sonar and token prefixes, none a real token.
fn keyword_dense_text(rng: &mut Lcg) -> Vec<u8> {
    let mut out = String::with_capacity(SIZE + 200);
    while out.len() < SIZE {
        let a = rng.pick(WORDS);
        match rng.next() % 4 {
            0 => out.push_str(&format!("SONAR_TOKEN: ${{{{ secrets.SONAR_TOKEN }}}} # {a}\n")),
            1 => out.push_str(&format!("sonar.projectKey={a}\n")),
            2 => out.push_str(&format!("    squ_{a} = sqp_{a}(sqa_{a})\n")),
            _ => out.push_str(&format!("        {a} = compute({a})\n")),
        }
    }
    out.into_bytes()
}

/// One line of minified JavaScript.
fn minified_line(rng: &mut Lcg) -> Vec<u8> {
    let alphabet = b"abcdefghij(){};=,.";
    (0..SIZE).map(|_| alphabet[rng.next() % alphabet.len()]).collect()
}

fn engine(c: &mut Criterion) {
    let engine = RuleSet::builtin().expect("built-in rules").engine().expect("engine");
    let mut rng = Lcg(1);
    let inputs = [
        ("clean", clean_text(&mut rng)),
        ("keyword-dense", keyword_dense_text(&mut rng)),
        ("minified-line", minified_line(&mut rng)),
    ];
    let mut group = c.benchmark_group("engine");
    group.sample_size(20);
    for (name, input) in &inputs {
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(*name, |b| b.iter(|| engine.scan(std::hint::black_box(input))));
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
