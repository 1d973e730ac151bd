//! Stopping without leaving anyone unanswered: every event the bot reads from Discord is
//! counted while it is handled, and on shutdown the gate closes.
//!
//! A closed gate refuses new commands and button presses with a sentence saying the bot
//! is restarting (autocomplete is still served: it is quick and has no refusal form);
//! `serve` waits for the interactions already in flight, closes the shards, waits for
//! what was read just before they closed, and only then closes the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use poise::serenity_prelude as serenity;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::respond;

/// What someone who writes to the bot while it stops is told.
pub const RESTARTING: &str = "hackcoach is restarting, try again in a minute.";

/// Counts the events being handled and says whether new work is taken.
#[derive(Debug, Default)]
pub(super) struct Gate {
    closed: AtomicBool,
    in_flight: AtomicUsize,
    idle: Notify,
}

impl Gate {
    /// Counts one event until the returned pass is dropped.
    fn enter(self: &Arc<Self>) -> Pass {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Pass(Arc::clone(self))
    }

    /// From now on, new commands and button presses are refused.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Events being handled right now.
    pub(super) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Waits until no event is being handled, or until `deadline`; true when idle.
    pub(super) async fn idle(&self, deadline: Instant) -> bool {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            // Registered before the count is read, so a pass dropped in between still wakes us.
            notified.as_mut().enable();
            if self.in_flight() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.in_flight() == 0;
            }
        }
    }
}

/// One event in flight.
struct Pass(Arc<Gate>);

impl Drop for Pass {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// The poise framework with every event counted by the gate, and refused once it closes.
pub(super) struct Tracked<F> {
    pub(super) inner: F,
    pub(super) gate: Arc<Gate>,
}

#[poise::async_trait]
impl<F: serenity::Framework> serenity::Framework for Tracked<F> {
    async fn init(&mut self, client: &serenity::Client) {
        self.inner.init(client).await;
    }

    async fn dispatch(&self, ctx: serenity::Context, event: serenity::FullEvent) {
        let _pass = self.gate.enter();
        if self.gate.is_closed()
            && let serenity::FullEvent::InteractionCreate { interaction } = &event
            && respond::refuse_interaction(&ctx, interaction, RESTARTING).await
        {
            return;
        }
        self.inner.dispatch(ctx, event).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn check(passes: usize, release_after: Option<Duration>, wait: Duration, expected_idle: bool) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
        runtime.block_on(async {
            let gate = Arc::new(Gate::default());
            let held: Vec<Pass> = (0..passes).map(|_| gate.enter()).collect();
            assert_eq!(gate.in_flight(), passes);
            if let Some(after) = release_after {
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    drop(held);
                });
            } else {
                std::mem::forget(held);
            }
            let idle = gate.idle(Instant::now() + wait).await;
            assert_eq!(idle, expected_idle, "{passes} passes, released after {release_after:?}, waited {wait:?}");
        });
    }

    #[test]
    fn idle_waits_for_every_pass_up_to_the_deadline() {
        check(0, None, Duration::ZERO, true);
        check(3, Some(Duration::from_millis(10)), Duration::from_secs(2), true);
        check(1, None, Duration::from_millis(30), false);
        check(2, Some(Duration::from_secs(5)), Duration::from_millis(30), false);
    }

    #[test]
    fn a_closed_gate_stays_closed() {
        let gate = Gate::default();
        assert!(!gate.is_closed());
        gate.close();
        assert!(gate.is_closed());
    }
}
