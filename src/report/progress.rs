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

/// The status line: `scanning 45% (about 3s left): 120/4000 blobs scanned, 1.2 MiB`,
/// the phase first when the source names one.
pub fn status(
    phase: (&str, u64, Option<u64>),
    elapsed: Duration,
    scanned: u64,
    queued: u64,
    unit: Unit,
    bytes: u64,
) -> String {
    let counts = format!("{scanned}/{} {} scanned, {}", queued.max(scanned), unit.plural(), super::human_bytes(bytes));
    match phase {
        ("", ..) => counts,
        (name, done, Some(total)) if total > 0 && done > 0 => {
            let share = (done as f64 / total as f64).min(1.0);
            let left = elapsed.as_secs_f64() * (1.0 - share) / share;
            format!("{name} {:.0}% (about {left:.0}s left): {counts}", share * 100.0)
        }
        (name, ..) => format!("{name}: {counts}"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_names_the_phase_and_estimates_what_is_left() {
        let line = status(("scanning", 25, Some(100)), Duration::from_secs(3), 10, 40, Unit::Blobs, 2048);
        assert_eq!(line, "scanning 25% (about 9s left): 10/40 blobs scanned, 2.0 KiB");
        let line = status(("tracing", 0, None), Duration::from_secs(3), 40, 40, Unit::Blobs, 0);
        assert_eq!(line, "tracing: 40/40 blobs scanned, 0 B");
        assert_eq!(status(("", 0, None), Duration::ZERO, 1, 0, Unit::Files, 5), "1/1 files scanned, 5 B");
    }
}
