//! sqscan finds leaked SonarQube tokens in source trees, staged changes and
//! git histories.
//!
//! The data flows one way:
//! `sources` (files, stdin) → `engine` (bytes in, matches out) →
//! `findings` (located, fingerprinted, redacted) → `filters` (allow
//! comments, allow lists, baselines) → `report` (human, json, jsonl, sarif).
//! `rules` is the data the engine runs; `config` is `.sqscan.toml`; `cli`
//! turns arguments into settings; `scan` wires one run together; `verify`,
//! beside the flow, asks SonarQube whether found tokens are live.

pub mod cli;
pub mod config;
pub mod engine;
pub mod filters;
pub mod findings;
pub mod report;
pub mod rules;
pub mod scan;
pub mod sources;
pub mod verify;
