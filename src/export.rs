//! `hackcoach export [--csv]`: every team's whole history — teams, challenge states,
//! approvals, revocations, renames and hint counts — as text or as one CSV table.

use std::io::Write;

use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::guide::ChallengeNumber;
use crate::progress::{ChallengeState, Progress, human_time};
use crate::store::TeamRecord;

/// One CSV row; `record` says which kind, and the columns that do not apply are empty.
#[derive(Debug, Default, Serialize)]
struct Row<'a> {
    record: &'static str,
    guild_id: u64,
    channel_id: u64,
    team: &'a str,
    challenge: Option<ChallengeNumber>,
    state: &'a str,
    user_id: Option<u64>,
    user_name: &'a str,
    at: String,
    text: String,
    forced: Option<bool>,
    approval_id: Option<i64>,
    section: &'a str,
    hints: Option<u32>,
}

/// Writes every record as one CSV table with a header row.
pub fn write_csv(out: &mut dyn Write, numbers: &[ChallengeNumber], records: &[TeamRecord]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    for record in records {
        let team = &record.team;
        let progress = Progress::of_record(numbers, record);
        let base = || Row { guild_id: team.guild_id, channel_id: team.channel_id, team: &team.name, ..Row::default() };
        writer.serialize(Row {
            record: "team",
            challenge: progress.current,
            state: if progress.current.is_some() { "working" } else { "finished" },
            user_id: Some(team.created_by),
            at: stamp(team.created_at),
            text: format!("last activity {}", stamp(team.last_activity_at)),
            hints: Some(progress.hints_total()),
            ..base()
        })?;
        for rename in &record.renames {
            writer.serialize(Row {
                record: "rename",
                user_id: Some(rename.renamed_by),
                at: stamp(rename.renamed_at),
                text: format!("{} -> {}", rename.old_name, rename.new_name),
                ..base()
            })?;
        }
        for (number, state) in &progress.challenges {
            let (state, approval) = match state {
                ChallengeState::Approved(approval) => ("approved", Some(*approval)),
                ChallengeState::Current => ("current", None),
                ChallengeState::Locked => ("locked", None),
            };
            writer.serialize(Row {
                record: "challenge",
                challenge: Some(*number),
                state,
                user_id: approval.map(|a| a.coach_id),
                user_name: approval.map_or("", |a| a.coach_name.as_str()),
                at: approval.map(|a| stamp(a.at)).unwrap_or_default(),
                approval_id: approval.map(|a| a.id),
                hints: Some(progress.hints_for(Some(*number))),
                ..base()
            })?;
        }
        for approval in &record.approvals {
            writer.serialize(Row {
                record: "approval",
                challenge: Some(approval.challenge),
                state: if approval.revocation.is_some() { "revoked" } else { "live" },
                user_id: Some(approval.coach_id),
                user_name: &approval.coach_name,
                at: stamp(approval.at),
                text: approval.note.clone().unwrap_or_default(),
                forced: Some(approval.forced),
                approval_id: Some(approval.id),
                ..base()
            })?;
            if let Some(revocation) = &approval.revocation {
                writer.serialize(Row {
                    record: "revocation",
                    challenge: Some(approval.challenge),
                    user_id: Some(revocation.coach_id),
                    user_name: &revocation.coach_name,
                    at: stamp(revocation.at),
                    text: revocation.reason.clone().unwrap_or_default(),
                    approval_id: Some(approval.id),
                    ..base()
                })?;
            }
        }
        for hint in &record.hints {
            writer.serialize(Row {
                record: "hint",
                challenge: hint.challenge,
                user_id: Some(hint.last_by),
                at: stamp(hint.last_at),
                section: &hint.section_id,
                hints: Some(hint.revealed),
                ..base()
            })?;
        }
    }
    writer.flush().context("writing the CSV export")?;
    Ok(())
}

/// Writes every record as text for people: one block per team.
pub fn write_text(out: &mut dyn Write, numbers: &[ChallengeNumber], records: &[TeamRecord]) -> anyhow::Result<()> {
    if records.is_empty() {
        writeln!(out, "No teams yet.")?;
    }
    for record in records {
        let team = &record.team;
        let progress = Progress::of_record(numbers, record);
        writeln!(
            out,
            "Team {} (guild {}, channel {}), since {}, last active {}",
            team.name,
            team.guild_id,
            team.channel_id,
            human_time(team.created_at),
            human_time(team.last_activity_at)
        )?;
        for rename in &record.renames {
            writeln!(
                out,
                "  renamed {} -> {} by {} on {}",
                rename.old_name,
                rename.new_name,
                rename.renamed_by,
                human_time(rename.renamed_at)
            )?;
        }
        for (number, state) in &progress.challenges {
            let state = match state {
                ChallengeState::Approved(a) => format!("approved by {} on {}", a.coach_name, human_time(a.at)),
                ChallengeState::Current => "current".to_string(),
                ChallengeState::Locked => "locked".to_string(),
            };
            writeln!(out, "  challenge {number}: {state}, {} hints", progress.hints_for(Some(*number)))?;
        }
        for approval in &record.approvals {
            let forced = if approval.forced { " (forced)" } else { "" };
            let note = approval.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
            writeln!(
                out,
                "  approval #{} of challenge {} by {} on {}{forced}{note}",
                approval.id,
                approval.challenge,
                approval.coach_name,
                human_time(approval.at)
            )?;
            if let Some(revocation) = &approval.revocation {
                let reason = revocation.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
                writeln!(out, "    revoked by {} on {}{reason}", revocation.coach_name, human_time(revocation.at))?;
            }
        }
        for hint in &record.hints {
            writeln!(out, "  hint {}: {} steps", hint.section_id, hint.revealed)?;
        }
    }
    Ok(())
}

fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}
