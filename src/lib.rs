//! sqscan finds leaked SonarQube tokens in source trees, staged changes and
//! git histories.
//!
//! The data flows one way:
//! `sources` (a working tree, stdin, a git history, range or index, each a
//! `Source`) → `engine` (bytes in, matches out, through `scan::Scanner`) →
//! `findings` (located, fingerprinted, redacted, with an `Origin`) →
//! `filters` (allow comments, allow lists, baselines: one classification)
//! → `report` (human, json, jsonl, sarif, csv, html, gitlab, sonarqube,
//! baseline). `rules` is the data
//! the engine runs; `config` is `.sqscan.toml`; `cli` turns arguments into
//! a plan (settings and a source); `scan` runs one; `verify`, beside the
//! flow, asks SonarQube whether found tokens are live (and, asked, who
//! owns them and revokes them); `audit` runs many repositories' histories
//! through the same flow into one report of incidents; `url` is the one
//! percent-encoder.

pub mod audit;
pub mod cli;
pub mod config;
pub mod engine;
pub mod filters;
pub mod findings;
pub mod report;
pub mod rules;
pub mod scan;
pub mod sources;
pub mod url;
pub mod verify;
