//! `/approve N [note] [force]` and `/revoke N [reason]`: coaches record a team's progress.
//! An approval is announced to the whole channel; every refusal is private.

use crate::app::App;
use crate::guide::ChallengeNumber;
use crate::progress::human_time;
use crate::reply::{Reply, Tone};
use crate::store::{ApprovalRequest, ApproveOutcome, Person, RevokeOutcome};

use super::Invocation;
use super::team::team_for_reading;

/// Longest note or reason accepted, in characters: room for real feedback, while longer
/// text belongs in the channel itself.
pub const MAX_NOTE: usize = 1000;

/// Approves challenge `number` for the channel's team.
pub async fn approve(
    app: &App,
    invocation: &Invocation,
    number: i64,
    note: Option<&str>,
    force: bool,
) -> anyhow::Result<Reply> {
    if !invocation.is_coach {
        return Ok(Reply::refusal(
            "Only coaches can approve challenges. When you are done, ask your coach to review your work.",
        ));
    }
    let numbers = app.knowledge().guide.challenge_numbers();
    let challenge = match guide_challenge(&numbers, number) {
        Ok(challenge) => challenge,
        Err(refusal) => return Ok(Reply::refusal(refusal)),
    };
    let note = match checked_text(note, "note") {
        Ok(note) => note,
        Err(refusal) => return Ok(Reply::refusal(refusal)),
    };
    let store = app.store()?;
    // The approval (or revocation) transaction records the activity itself: one synced
    // commit instead of two.
    let team = team_for_reading(store, invocation).await?;
    let earlier: Vec<ChallengeNumber> = numbers.iter().copied().filter(|&n| n < challenge).collect();
    let coach = Person { id: invocation.user_id, name: &invocation.user_name };
    let request = ApprovalRequest { challenge, earlier: &earlier, coach, note, force };
    let outcome = store.approve(team.id, request, invocation.now).await?;
    let approval = match outcome {
        ApproveOutcome::Approved(approval) => approval,
        ApproveOutcome::AlreadyApproved(existing) => {
            return Ok(Reply::refusal(format!(
                "Challenge {challenge} is already approved (by {} on {}). Nothing changed; use `/revoke {challenge}` first to redo it.",
                existing.coach_name,
                human_time(existing.at)
            )));
        }
        ApproveOutcome::EarlierNotApproved(missing) => {
            let list = missing.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            let plural = if missing.len() == 1 { "is" } else { "are" };
            return Ok(Reply::refusal(format!(
                "Challenge {list} before it {plural} not approved yet. Approve in order, or add `force:true` to approve challenge {challenge} anyway (recorded as forced)."
            )));
        }
    };
    let mut body = format!("**{}** completed challenge {challenge}, approved by {}.", team.name, approval.coach_name);
    if let Some(note) = &approval.note {
        body.push_str(&format!("\n\n> {}", note.replace('\n', "\n> ")));
    }
    if approval.forced {
        body.push_str("\n\nApproved ahead of earlier challenges that are not approved yet (forced).");
    }
    match numbers.iter().find(|&&n| n > challenge) {
        Some(next) => body.push_str(&format!("\n\nNext up: challenge {next}. `/challenge {next}` shows its goal.")),
        None => body.push_str("\n\nThat was the last challenge. Congratulations!"),
    }
    Ok(Reply::new(format!("Challenge {challenge} approved"), body)
        .with_tone(Tone::Success)
        .with_footer(format!("approved {}", human_time(approval.at))))
}

/// Revokes the approval of challenge `number` for the channel's team.
pub async fn revoke(app: &App, invocation: &Invocation, number: i64, reason: Option<&str>) -> anyhow::Result<Reply> {
    if !invocation.is_coach {
        return Ok(Reply::refusal("Only coaches can revoke approvals."));
    }
    let numbers = app.knowledge().guide.challenge_numbers();
    let challenge = match guide_challenge(&numbers, number) {
        Ok(challenge) => challenge,
        Err(refusal) => return Ok(Reply::refusal(refusal)),
    };
    let reason = match checked_text(reason, "reason") {
        Ok(reason) => reason,
        Err(refusal) => return Ok(Reply::refusal(refusal)),
    };
    let store = app.store()?;
    // The approval (or revocation) transaction records the activity itself: one synced
    // commit instead of two.
    let team = team_for_reading(store, invocation).await?;
    let coach = Person { id: invocation.user_id, name: &invocation.user_name };
    let RevokeOutcome::Revoked(approval) = store.revoke(team.id, challenge, coach, reason, invocation.now).await?
    else {
        return Ok(Reply::refusal(format!(
            "Challenge {challenge} is not approved for this team, so there is nothing to revoke. `/status` shows what is."
        )));
    };
    let mut body = format!(
        "The approval of challenge {challenge} (by {} on {}) was revoked by {}. Challenge {challenge} is open again.",
        approval.coach_name,
        human_time(approval.at),
        invocation.user_name
    );
    if let Some(reason) = approval.revocation.as_ref().and_then(|r| r.reason.as_ref()) {
        body.push_str(&format!("\n\nReason: {reason}"));
    }
    Ok(Reply::new(format!("Challenge {challenge} approval revoked"), body).with_tone(Tone::Warning))
}

/// `number` as one of the guide's challenges, or the refusal that lists them.
fn guide_challenge(numbers: &[ChallengeNumber], number: i64) -> Result<ChallengeNumber, String> {
    match ChallengeNumber::try_from(number) {
        Ok(challenge) if numbers.contains(&challenge) => Ok(challenge),
        _ => {
            let listed = numbers.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            Err(format!("There is no challenge {number} in the guide. The challenges are: {listed}."))
        }
    }
}

/// A note or reason: trimmed, empty is none, at most `MAX_NOTE` characters.
fn checked_text<'a>(text: Option<&'a str>, what: &str) -> Result<Option<&'a str>, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let length = text.chars().count();
    if length > MAX_NOTE {
        return Err(format!(
            "The {what} has {length} characters; keep it to {MAX_NOTE} or fewer (longer feedback fits better as a message in the channel). Nothing was recorded."
        ));
    }
    Ok(Some(text))
}
