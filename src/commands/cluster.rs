//! `/cluster connect`, `/cluster check [challenge]`, `/cluster forget`: fetch, decide,
//! render. The cluster module does the work (sanitize, check, seal); this file only ties it
//! to the team and the store. Connect and forget reply privately; a check is for the team.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::cluster::{self, CheckOptions, CheckRefusal, Report, SanitizedKubeconfig, Severity, SystemResolver, Upload};
use crate::ops::CheckOutcome;
use crate::progress::Progress;
use crate::reply::Reply;
use crate::store::LastCheck;

use super::Invocation;
use super::team::team_for_reading;

/// How long a check waits for a free slot before saying the bot is busy.
const SLOT_WAIT: Duration = Duration::from_secs(20);

pub async fn connect(app: &App, invocation: &Invocation, upload: Option<Upload>) -> anyhow::Result<Reply> {
    let Some(upload) = upload else {
        return Ok(Reply::new("Connect your cluster", cluster::CONNECT_HELP).private());
    };
    let options = CheckOptions::from_config(&app.config.cluster);
    let kubeconfig = match cluster::sanitize(&upload.0, &options.policy) {
        Ok(kubeconfig) => kubeconfig,
        Err(refusal) => return Ok(refused(&refusal.to_string())),
    };
    drop(upload);
    let Some(_slot) = app.check_slots.acquire(SLOT_WAIT).await else {
        return Ok(busy());
    };
    let expectations = cluster::Expectations::default();
    let report = match timed_check(app, &kubeconfig, &options, &expectations, None, invocation).await {
        Ok(report) => report,
        Err(refusal) => return Ok(refused(&refusal.to_string())),
    };
    if let Some(unreachable) = report.findings.iter().find(|f| f.code == "cluster-unreachable") {
        return Ok(Reply::refusal(format!("{} Nothing was stored.", unreachable.message)));
    }
    let store = app.store()?;
    let team = store.team(team_key(invocation), &invocation.channel_name, invocation.user_id, invocation.now).await?;
    let key = app.kubeconfig_key().await?;
    let sealed = key.seal(invocation.guild_id, invocation.channel_id, kubeconfig.to_yaml().as_bytes())?;
    store.save_kubeconfig(team.id, &sealed, &kubeconfig.server, invocation.user_id, invocation.now).await?;
    store.record_check(team.id, &last_check(&report, invocation)).await?;
    let body = format!(
        "{}\n\nFirst look: {}. Run `/cluster check` (or `/cluster check 4` for a challenge's expectations) to see the findings.",
        cluster::accepted_summary(&kubeconfig),
        counts(&report)
    );
    Ok(Reply::new("Cluster connected", body).private())
}

pub async fn check(app: &App, invocation: &Invocation, challenge: Option<i64>) -> anyhow::Result<Reply> {
    let store = app.store()?;
    let team = team_for_reading(store, invocation).await?;
    let Some(sealed) = store.sealed_kubeconfig(team.id).await? else {
        return Ok(Reply::refusal(
            "This team has no cluster connected. Use `/cluster connect` with a read-only kubeconfig attached.",
        ));
    };
    let expectations = cluster::Expectations::load(&app.config.guide_dir)?;
    let challenge = match challenge.map(u32::try_from) {
        // Without a number, the team's current challenge, when the guide expects anything of it.
        None => {
            let approvals = store.approvals(team.id).await?;
            let numbers = app.knowledge().guide.challenge_numbers();
            Progress::new(&numbers, &team, &approvals, &[]).current.filter(|&n| expectations.covers(n))
        }
        Some(Ok(number)) => Some(number),
        Some(Err(_)) => return Ok(Reply::refusal("Give a challenge number such as `4`.")),
    };
    let key = app.kubeconfig_key().await?;
    let stored = key.open(invocation.guild_id, invocation.channel_id, &sealed)?;
    let options = CheckOptions::from_config(&app.config.cluster);
    // What was stored passed the sanitizer; it goes through it again, under today's policy.
    let kubeconfig = match cluster::sanitize(&stored, &options.policy) {
        Ok(kubeconfig) => kubeconfig,
        Err(refusal) => return Ok(refused(&refusal.to_string())),
    };
    drop(stored);
    let Some(_slot) = app.check_slots.acquire(SLOT_WAIT).await else {
        return Ok(busy());
    };
    let outcome = timed_check(app, &kubeconfig, &options, &expectations, challenge, invocation).await;
    let report = match outcome {
        Ok(report) => report,
        Err(refusal @ CheckRefusal::OverPrivileged(_)) | Err(refusal @ CheckRefusal::Address(_)) => {
            return Ok(refused(&refusal.to_string()));
        }
    };
    store.record_check(team.id, &last_check(&report, invocation)).await?;
    Ok(cluster::report_reply(&report))
}

pub async fn forget(app: &App, invocation: &Invocation) -> anyhow::Result<Reply> {
    let store = app.store()?;
    let Some(team) = store.find_team(team_key(invocation)).await? else {
        return Ok(Reply::new("Nothing to forget", "This team has no cluster connected.").private());
    };
    let body = if store.forget_kubeconfig(team.id).await? {
        "The kubeconfig and the last check are deleted. Revoke the token on your cluster too \
         (`kubectl delete serviceaccount hackcoach -n hackcoach`)."
    } else {
        "This team has no cluster connected."
    };
    Ok(Reply::new("Cluster forgotten", body).private())
}

/// One check, counted and timed for `/metrics` by how it ended.
async fn timed_check(
    app: &App,
    kubeconfig: &SanitizedKubeconfig,
    options: &CheckOptions,
    expectations: &cluster::Expectations,
    challenge: Option<u32>,
    invocation: &Invocation,
) -> Result<Report, CheckRefusal> {
    let started = std::time::Instant::now();
    let outcome =
        cluster::check(kubeconfig, options, Arc::new(SystemResolver), expectations, challenge, invocation.now).await;
    let counted = match &outcome {
        Err(_) => CheckOutcome::Refused,
        Ok(report) if report.findings.iter().any(|f| f.code == "cluster-unreachable") => CheckOutcome::Unreachable,
        Ok(report) if report.findings.iter().any(|f| f.severity == Severity::Error) => CheckOutcome::Errors,
        Ok(_) => CheckOutcome::Clean,
    };
    app.metrics.record_cluster_check(counted, started.elapsed());
    outcome
}

fn team_key(invocation: &Invocation) -> crate::store::TeamKey {
    crate::store::TeamKey { guild_id: invocation.guild_id, channel_id: invocation.channel_id }
}

fn refused(reason: &str) -> Reply {
    Reply::refusal(format!(
        "{reason}\n\nNothing was stored. `/cluster connect` without a file shows how to make a read-only kubeconfig."
    ))
}

fn busy() -> Reply {
    Reply::refusal("Many cluster checks are running right now; try again in a minute.")
}

fn counts(report: &Report) -> String {
    let errors = report.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = report.findings.iter().filter(|f| f.severity == Severity::Warning).count();
    format!("{errors} errors, {warnings} warnings")
}

fn last_check(report: &Report, invocation: &Invocation) -> LastCheck {
    let count = |severity| report.findings.iter().filter(|f| f.severity == severity).count();
    let mut codes: Vec<&str> =
        report.findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.code).collect();
    codes.sort_unstable();
    codes.dedup();
    codes.truncate(5);
    let summary = if codes.is_empty() { "no errors".to_string() } else { codes.join(", ") };
    LastCheck {
        checked_at: invocation.now,
        errors: u32::try_from(count(Severity::Error)).unwrap_or(u32::MAX),
        warnings: u32::try_from(count(Severity::Warning)).unwrap_or(u32::MAX),
        summary,
    }
}
