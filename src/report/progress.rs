//! Progress on stderr for long scans: a spinner with counts on a terminal,
//! or (with `--progress always` elsewhere, such as a CI log) a plain line
//! every few seconds. It reads counters; it never touches the report.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::sources::Unit;

const TICK: Duration = Duration::from_millis(100);
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The status line: `120/4000 blobs scanned, 1.2 MiB`.
pub fn status(scanned: u64, queued: u64, unit: Unit, bytes: u64) -> String {
    format!("{scanned}/{} {} scanned, {}", queued.max(scanned), unit.plural(), super::human_bytes(bytes))
}

/// Runs `work`, showing `status()` while it runs when `enabled`.
pub fn while_running<T>(enabled: bool, status: impl Fn() -> String + Sync, work: impl FnOnce() -> T) -> T {
    if !enabled {
        return work();
    }
    let done = AtomicBool::new(false);
    let terminal = std::io::stderr().is_terminal();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            if terminal {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                while !done.load(Ordering::Relaxed) {
                    bar.set_message(status());
                    bar.tick();
                    std::thread::sleep(TICK);
                }
                bar.finish_and_clear();
            } else {
                let started = Instant::now();
                let mut last = Instant::now();
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    if last.elapsed() >= PLAIN_EVERY {
                        last = Instant::now();
                        let _ =
                            writeln!(std::io::stderr(), "sqscan: {:.0}s {}", started.elapsed().as_secs_f64(), status());
                    }
                }
            }
        });
        let result = work();
        done.store(true, Ordering::Relaxed);
        result
    })
}
