//! `/guide reload` (coach): re-read the guide and playbooks without a restart. A guide
//! that fails `guide lint` is refused with its errors, and the one already loaded stays.

use crate::app::{App, Reload};
use crate::reply::Reply;

use super::Invocation;

/// Errors listed in the reply; the rest are counted (all of them are in `guide lint`).
const ERRORS_SHOWN: usize = 8;

pub fn reload(app: &App, invocation: &Invocation) -> Reply {
    if !invocation.is_coach {
        return Reply::refusal("Reloading the guide is for coaches. `/hint` finds what is in it now.");
    }
    // Reading files and building the index takes tens of milliseconds: on the bot's
    // multi-threaded runtime, let this worker's other tasks move elsewhere meanwhile.
    let outcome = match tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| app.reload_guide()),
        _ => app.reload_guide(),
    };
    log(&outcome, &format!("/guide reload by user {}", invocation.user_id));
    match outcome {
        Reload::Replaced { report, playbooks } => {
            let challenges = report.challenges.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            let mut body = format!(
                "{} sections, challenges {challenges}, {playbooks} playbooks. Commands from now on use it.",
                report.sections
            );
            if !report.warnings.is_empty() {
                body.push_str(&format!("\n{} warning(s): `hackcoach guide lint` lists them.", report.warnings.len()));
            }
            Reply::new("Guide reloaded", body).private()
        }
        Reload::Refused { errors } => {
            let mut body = String::from(
                "The guide was **not** reloaded: the files on disk fail lint, so the guide already loaded stays live. Fix these and reload again:\n",
            );
            for error in errors.iter().take(ERRORS_SHOWN) {
                body.push_str(&format!("- {error}\n"));
            }
            if errors.len() > ERRORS_SHOWN {
                body.push_str(&format!(
                    "- and {} more: `hackcoach guide lint` lists them all.\n",
                    errors.len() - ERRORS_SHOWN
                ));
            }
            Reply::refusal(body)
        }
    }
}

/// One log line per reload, whoever asked (a coach, or SIGHUP).
pub fn log(outcome: &Reload, cause: &str) {
    match outcome {
        Reload::Replaced { report, playbooks } => tracing::info!(
            cause,
            sections = report.sections,
            playbooks,
            warnings = report.warnings.len(),
            "guide reloaded"
        ),
        Reload::Refused { errors } => {
            tracing::warn!(
                cause,
                errors = errors.len(),
                first = errors.first().map(String::as_str),
                "guide reload refused; the loaded guide stays live"
            )
        }
    }
}
