//! Helpers shared by integration tests.
#![allow(dead_code)]

pub mod bot_process;
pub mod fake_discord;
