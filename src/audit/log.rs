//! The audit log (`--audit-log FILE`): one JSON object a line, flushed as
//! each is written, so that a run killed half-way shows what it covered.
//! Events: `started`, `enumerated`, `discovered`, `fetched`, `scanned`,
//! `failed`, `finished`; each with the time, most with the repository.
//! Nothing in it is a secret: no token, and no URL credentials.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use serde_json::{Value, json};

pub struct AuditLog {
    out: Mutex<BufWriter<File>>,
}

impl AuditLog {
    /// Appends to `path` (a week's runs in one file read as one history).
    pub fn open(path: &Path) -> anyhow::Result<AuditLog> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening the audit log {}", path.display()))?;
        Ok(AuditLog { out: Mutex::new(BufWriter::new(file)) })
    }

    /// Writes `event` with its fields; a log that cannot be written is not
    /// worth stopping an audit for.
    pub fn event(&self, event: &str, fields: Value) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let mut record = json!({ "time": crate::findings::rfc3339(now, 0), "event": event });
        if let (Some(record), Value::Object(fields)) = (record.as_object_mut(), fields) {
            record.extend(fields);
        }
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = serde_json::to_writer(&mut *out, &record);
        let _ = out.write_all(b"\n");
        let _ = out.flush();
    }
}
