//! `/board` (coach): every team of the server, the teams most likely stuck first —
//! longest on their current challenge, then most hints on it. A team whose latest
//! cluster check found errors says so on its line.

use crate::app::App;
use crate::progress::{Progress, human_duration};
use crate::reply::Reply;

use super::Invocation;

pub async fn board(app: &App, invocation: &Invocation) -> anyhow::Result<Reply> {
    if !invocation.is_coach {
        return Ok(Reply::refusal("The board is for coaches. `/status` shows your own team's progress."));
    }
    let store = app.store()?;
    let records = store.guild_records(invocation.guild_id).await?;
    let checks = store.guild_checks(invocation.guild_id).await?;
    if records.is_empty() {
        return Ok(Reply::new("Board", "No team has used hackcoach in this server yet.").private());
    }
    let numbers = app.knowledge().guide.challenge_numbers();
    let mut teams: Vec<Progress> = records.iter().map(|record| Progress::of_record(&numbers, record)).collect();
    teams.sort_by(|a, b| a.stuck_first(b));
    let now = invocation.now;
    let lines: Vec<String> = teams
        .iter()
        .enumerate()
        .map(|(i, progress)| {
            let position = match (progress.current, progress.time_on_current(now)) {
                (Some(current), Some(time)) => {
                    format!(
                        "challenge {current} for {} · {} on it",
                        human_duration(time),
                        hints(progress.hints_for(Some(current)))
                    )
                }
                _ => "all challenges approved".to_string(),
            };
            let cluster = match checks.get(&progress.team.id) {
                Some(check) if check.errors > 0 => format!(
                    " · cluster: {} error{} {} ago ({})",
                    check.errors,
                    if check.errors == 1 { "" } else { "s" },
                    human_duration(now - check.checked_at),
                    check.summary
                ),
                _ => String::new(),
            };
            format!(
                "{}. **{}** — {position} · {} in all · last active {} ago{cluster}",
                i + 1,
                progress.team.name,
                hints(progress.hints_total()),
                human_duration(now - progress.last_activity_at)
            )
        })
        .collect();
    Ok(Reply::new(format!("Board: {} teams", teams.len()), lines.join("\n"))
        .with_footer("Most likely stuck first: longest on the current challenge, then most hints")
        .private())
}

fn hints(count: u32) -> String {
    if count == 1 { "1 hint".to_string() } else { format!("{count} hints") }
}
