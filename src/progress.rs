//! A team's progress through the guide's challenges, computed from its stored history:
//! which challenge is approved, current or locked, since when the team is on the current
//! one, and how many hint steps it revealed where. Pure: no database, time is an input.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::guide::ChallengeNumber;
use crate::store::{Approval, HintReveal, Team, TeamRecord};

/// Where a team stands on one challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChallengeState<'a> {
    Approved(&'a Approval),
    /// The lowest challenge without a live approval: what the team works on.
    Current,
    Locked,
}

/// A team's progress, borrowing its record.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    pub team: &'a Team,
    pub challenges: Vec<(ChallengeNumber, ChallengeState<'a>)>,
    /// `None` once every challenge is approved.
    pub current: Option<ChallengeNumber>,
    /// When the team moved on to the current challenge: the latest approval before it, or
    /// the team's first use.
    pub current_since: DateTime<Utc>,
    /// Revealed hint steps per challenge (`None`: sections outside challenges).
    pub hints: BTreeMap<Option<ChallengeNumber>, u32>,
    /// Every approval, revoked ones included, oldest first.
    pub approvals: &'a [Approval],
    pub last_activity_at: DateTime<Utc>,
}

impl<'a> Progress<'a> {
    /// Progress over the guide's challenges `numbers` (ascending).
    pub fn new(
        numbers: &[ChallengeNumber],
        team: &'a Team,
        approvals: &'a [Approval],
        hints: &[HintReveal],
    ) -> Progress<'a> {
        let live =
            |number: ChallengeNumber| approvals.iter().rev().find(|a| a.challenge == number && a.revocation.is_none());
        let current = numbers.iter().copied().find(|&n| live(n).is_none());
        let challenges = numbers
            .iter()
            .map(|&n| {
                let state = match live(n) {
                    Some(approval) => ChallengeState::Approved(approval),
                    None if Some(n) == current => ChallengeState::Current,
                    None => ChallengeState::Locked,
                };
                (n, state)
            })
            .collect();
        let current_since = approvals
            .iter()
            .filter(|a| a.revocation.is_none() && current.is_none_or(|c| a.challenge < c))
            .map(|a| a.at)
            .max()
            .unwrap_or(team.created_at);
        let mut hint_counts = BTreeMap::new();
        for hint in hints {
            *hint_counts.entry(hint.challenge).or_insert(0) += hint.revealed;
        }
        Progress {
            team,
            challenges,
            current,
            current_since,
            hints: hint_counts,
            approvals,
            last_activity_at: team.last_activity_at,
        }
    }

    /// Progress from a stored record.
    pub fn of_record(numbers: &[ChallengeNumber], record: &'a TeamRecord) -> Progress<'a> {
        Progress::new(numbers, &record.team, &record.approvals, &record.hints)
    }

    /// How long the team has been on its current challenge (`None` when all are done).
    pub fn time_on_current(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.current.map(|_| (now - self.current_since).max(Duration::zero()))
    }

    /// Hint steps revealed for a challenge (`None`: outside challenges).
    pub fn hints_for(&self, challenge: Option<ChallengeNumber>) -> u32 {
        self.hints.get(&challenge).copied().unwrap_or(0)
    }

    pub fn hints_total(&self) -> u32 {
        self.hints.values().sum()
    }

    /// Revoked approvals of a challenge, oldest first.
    pub fn revoked(&self, challenge: ChallengeNumber) -> impl Iterator<Item = &'a Approval> {
        self.approvals.iter().filter(move |a| a.challenge == challenge && a.revocation.is_some())
    }

    /// Orders teams most likely stuck first: still working, longest on the current
    /// challenge, then most hints on it, then by name.
    pub fn stuck_first(&self, other: &Progress<'_>) -> Ordering {
        let finished = |p: &Progress<'_>| p.current.is_none();
        finished(self)
            .cmp(&finished(other))
            .then(self.current_since.cmp(&other.current_since))
            .then(other.hints_for(other.current).cmp(&self.hints_for(self.current)))
            .then(self.team.name.cmp(&other.team.name))
    }
}

/// A duration as people read it: `45 s`, `12 min`, `2 h 05 min`, `3 d 4 h`.
pub fn human_duration(duration: Duration) -> String {
    let seconds = duration.num_seconds().max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m:02} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// A moment as people read it in a reply: `2026-12-04 09:10 UTC`.
pub fn human_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::store::Revocation;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).single().expect("valid time") + Duration::minutes(minute)
    }

    fn team(name: &str) -> Team {
        Team {
            id: 1,
            guild_id: 1,
            channel_id: 1,
            name: name.to_string(),
            created_at: at(0),
            created_by: 1,
            renamed_at: None,
            renamed_by: None,
            last_activity_at: at(0),
        }
    }

    fn approval(challenge: u32, minute: i64, revoked: bool) -> Approval {
        Approval {
            id: i64::from(challenge) * 100 + minute,
            team_id: 1,
            challenge,
            coach_id: 7,
            coach_name: "Carla".into(),
            at: at(minute),
            note: None,
            forced: false,
            revocation: revoked.then(|| Revocation {
                id: 1,
                approval_id: 0,
                coach_id: 7,
                coach_name: "Carla".into(),
                at: at(minute + 1),
                reason: None,
            }),
        }
    }

    fn hint(challenge: Option<u32>, revealed: u32) -> HintReveal {
        HintReveal {
            team_id: 1,
            section_id: format!("s{challenge:?}{revealed}"),
            challenge,
            revealed,
            first_by: 1,
            first_at: at(0),
            last_by: 1,
            last_at: at(0),
        }
    }

    /// States as letters (A approved, C current, L locked), current, and minutes since.
    fn check(approvals: &[Approval], expected: (&str, Option<u32>, i64)) {
        let team = team("t");
        let progress = Progress::new(&[1, 2, 3, 4], &team, approvals, &[]);
        let letters: String = progress
            .challenges
            .iter()
            .map(|(_, state)| match state {
                ChallengeState::Approved(_) => 'A',
                ChallengeState::Current => 'C',
                ChallengeState::Locked => 'L',
            })
            .collect();
        let since = (progress.current_since - at(0)).num_minutes();
        assert_eq!((letters.as_str(), progress.current, since), expected, "{approvals:?}");
    }

    #[test]
    fn a_new_team_is_on_the_first_challenge_since_it_started() {
        check(&[], ("CLLL", Some(1), 0));
    }

    #[test]
    fn approvals_move_the_team_on() {
        check(&[approval(1, 10, false), approval(2, 30, false)], ("AACL", Some(3), 30));
    }

    #[test]
    fn a_revoked_approval_makes_the_challenge_current_again() {
        check(&[approval(1, 10, false), approval(2, 30, true)], ("ACLL", Some(2), 10));
        check(&[approval(1, 10, true), approval(1, 40, false)], ("ACLL", Some(2), 40));
    }

    #[test]
    fn a_forced_approval_ahead_does_not_hide_the_current_challenge() {
        check(&[approval(3, 10, false)], ("CLAL", Some(1), 0));
    }

    #[test]
    fn all_approved_means_no_current_challenge() {
        let all: Vec<Approval> = (1..=4).map(|c| approval(c, i64::from(c), false)).collect();
        check(&all, ("AAAA", None, 4));
    }

    #[test]
    fn hints_add_up_per_challenge() {
        let team = team("t");
        let progress = Progress::new(&[1, 2], &team, &[], &[hint(Some(1), 2), hint(Some(1), 3), hint(None, 1)]);
        assert_eq!((progress.hints_for(Some(1)), progress.hints_for(Some(2)), progress.hints_total()), (5, 0, 6));
    }

    #[test]
    fn stuck_teams_come_first() {
        let (a, b, c, d) = (team("a"), team("b"), team("c"), team("d"));
        let early = [approval(1, 10, false)];
        let late = [approval(1, 50, false)];
        let done: Vec<Approval> = (1..=2).map(|n| approval(n, 5, false)).collect();
        let hints = [hint(Some(2), 4)];
        let mut teams = [
            Progress::new(&[1, 2], &a, &done, &[]),
            Progress::new(&[1, 2], &b, &late, &[]),
            Progress::new(&[1, 2], &c, &early, &[]),
            Progress::new(&[1, 2], &d, &early, &hints),
        ];
        teams.sort_by(|x, y| x.stuck_first(y));
        let names: Vec<&str> = teams.iter().map(|p| p.team.name.as_str()).collect();
        assert_eq!(names, ["d", "c", "b", "a"]);
    }

    #[test]
    fn durations_read_naturally() {
        for (seconds, text) in [(0, "0 s"), (59, "59 s"), (720, "12 min"), (7500, "2 h 05 min"), (273_600, "3 d 4 h")] {
            assert_eq!(human_duration(Duration::seconds(seconds)), text);
        }
        assert_eq!(human_time(at(70)), "2026-12-04 10:10 UTC");
    }
}
