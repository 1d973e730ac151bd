//! `/status`: the team's progress — each challenge approved (by whom, when), current or
//! locked, time on the current one, hints revealed per challenge, the last cluster check.

use crate::app::App;
use crate::progress::{ChallengeState, Progress, human_duration, human_time};
use crate::reply::Reply;

use super::Invocation;
use super::team::team_for_reading;

pub async fn status(app: &App, invocation: &Invocation) -> anyhow::Result<Reply> {
    let store = app.store()?;
    let team = team_for_reading(store, invocation).await?;
    let approvals = store.approvals(team.id).await?;
    let hints = store.hints(team.id).await?;
    let numbers = app.knowledge().guide.challenge_numbers();
    let progress = Progress::new(&numbers, &team, &approvals, &hints);
    let mut lines = Vec::new();
    for (number, state) in &progress.challenges {
        let mut line = match state {
            ChallengeState::Approved(approval) => {
                let forced = if approval.forced { " (forced)" } else { "" };
                format!(
                    "✅ Challenge {number}: approved by {} on {}{forced}",
                    approval.coach_name,
                    human_time(approval.at)
                )
            }
            ChallengeState::Current => {
                let time = progress.time_on_current(invocation.now).map(human_duration).unwrap_or_default();
                format!("➡️ **Challenge {number}: current**, for {time}")
            }
            ChallengeState::Locked => format!("🔒 Challenge {number}: locked"),
        };
        let hints = progress.hints_for(Some(*number));
        if hints > 0 {
            line.push_str(&format!(" · {hints} hint{}", plural(hints)));
        }
        if !matches!(state, ChallengeState::Approved(_))
            && let Some(revocation) = progress.revoked(*number).last().and_then(|a| a.revocation.as_ref())
        {
            line.push_str(&format!(
                " · approval revoked by {} on {}",
                revocation.coach_name,
                human_time(revocation.at)
            ));
        }
        lines.push(line);
    }
    if numbers.is_empty() {
        lines.push("The guide has no challenges.".to_string());
    }
    let outside = progress.hints_for(None);
    if outside > 0 {
        lines.push(format!("Hints outside the challenges: {outside}"));
    }
    if progress.current.is_none() && !numbers.is_empty() {
        lines.push("Every challenge is approved. Well done!".to_string());
    }
    lines.push(match store.last_check(team.id).await? {
        Some(check) => format!(
            "Cluster: last checked {}: {} errors, {} warnings ({})",
            human_time(check.checked_at),
            check.errors,
            check.warnings,
            check.summary
        ),
        None => "Cluster: no check yet.".to_string(),
    });
    let mut reply = Reply::new(format!("Progress: {}", team.name), lines.join("\n"))
        .with_footer(format!("{} hint steps revealed in all", progress.hints_total()));
    // Like a hint, a team's progress is for the whole team; a coach looks privately.
    reply.private = invocation.is_coach;
    Ok(reply)
}

fn plural(count: u32) -> &'static str {
    if count == 1 { "" } else { "s" }
}
