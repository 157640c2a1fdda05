//! Checks a candidate secret must pass after its regex matched: random-looking
//! enough (entropy), and not a placeholder someone typed into an example.

/// Shannon entropy in bits per byte.
pub(crate) fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Words that real tokens do not contain but examples do. Only words of six
/// letters or more: a random 59-char base62 body contains a given six-letter
/// word (any case) with odds below one in ten million.
const STOP_WORDS: &[&[u8]] =
    &[b"example", b"sample", b"placeholder", b"changeme", b"redacted", b"yourtoken", b"notreal", b"secret"];

/// Runs of this many equal or consecutive characters (`xxxxxxxx`, `01234567`,
/// `abcdefgh`) mark a made-up value; in 40 random hex digits such a run turns
/// up less than once in a million tokens.
const MADE_UP_RUN: usize = 8;

/// Whether a token body is a placeholder rather than a random value.
pub(crate) fn looks_like_placeholder(body: &[u8]) -> bool {
    let lower: Vec<u8> = body.iter().map(u8::to_ascii_lowercase).collect();
    has_run(&lower, |a, b| a == b)
        || has_run(&lower, |a, b| a.wrapping_add(1) == b)
        || has_run(&lower, |a, b| b.wrapping_add(1) == a)
        || is_periodic(&lower)
        || STOP_WORDS.iter().any(|w| lower.windows(w.len()).any(|win| win == *w))
}

fn has_run(bytes: &[u8], step: impl Fn(u8, u8) -> bool) -> bool {
    let mut run = 1;
    for pair in bytes.windows(2) {
        run = if step(pair[0], pair[1]) { run + 1 } else { 1 };
        if run >= MADE_UP_RUN {
            return true;
        }
    }
    false
}

/// `a1b2c3d4e5f6a1b2c3d4e5f6…`: the body repeats a shorter unit.
fn is_periodic(bytes: &[u8]) -> bool {
    (1..=bytes.len() / 2).any(|period| bytes.iter().zip(&bytes[period..]).all(|(a, b)| a == b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_and_constant_text() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"0123456789abcdef") - 4.0).abs() < 1e-9);
        assert!(shannon_entropy(b"deadbeefdeadbeefdeadbeefdeadbeefdeadbeef") < 2.9);
    }

    #[test]
    fn placeholders_are_recognised() {
        for body in [
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "0123456789abcdef0123456789abcdef01234567",
            "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2",
            "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvW",
            "thisIsAnExampleTokenValueForTheDocs0000000000000000000000000",
            "fedcba9876543210fedcba9876543210fedcba98",
        ] {
            assert!(looks_like_placeholder(body.as_bytes()), "{body}");
        }
    }

    #[test]
    fn random_tokens_are_not_placeholders() {
        for body in [
            "ed440e50454f31af3176813e02ea68ef786e4d3c",
            "kY9pF34Qy6nB3Wwd25rq4f5zr3QA7YeEEBY3ABp3e2zS8iq9y7AjzQHb6BA",
            "pppp6uEp3c4dsa7lC360A9y6YnD14TdDo9EgZmCnu77Svtuuj596LlLguRI",
        ] {
            assert!(!looks_like_placeholder(body.as_bytes()), "{body}");
        }
    }
}
