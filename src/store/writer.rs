//! Group commit: the writes queued in this process commit together, one synced `COMMIT`
//! (one fsync) for up to `MAX_BATCH` of them instead of one each.
//!
//! A write is a job: a closure over owned arguments that runs its statements on the
//! connection. One writer task takes every queued job, opens `BEGIN IMMEDIATE` once, runs
//! each job inside its own savepoint (a job that fails is rolled back to its savepoint, so
//! it never affects the others), commits once, and only then answers every job. A failed
//! `COMMIT` fails every job of the batch. Nothing is acknowledged before it is durable.
//!
//! The writer holds `turn` while a batch runs; the few writers that cannot be jobs (the
//! `/healthz` probe, the kubeconfig re-seal, whose caller's closure borrows) take the
//! same fair mutex, so they queue with the batches and never meet SQLite's busy handler.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Context as _;
use sqlx::SqliteConnection;
use sqlx::SqlitePool;
use tokio::sync::{Mutex, mpsc, oneshot};

/// Jobs committed together at most: bounds how long the first job of a batch waits.
const MAX_BATCH: usize = 64;

pub(super) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Answers a job once its batch is settled: `None` when the batch committed, or why not.
type Answer = Box<dyn FnOnce(Option<&anyhow::Error>) + Send>;

/// Given the batch's connection, runs a job's statements in a savepoint and returns how to
/// answer it, and whether the transaction is still intact (its savepoint ended cleanly).
/// Given an error instead, the job is not run and fails with it.
type Job = Box<
    dyn for<'c> FnOnce(Result<&'c mut SqliteConnection, &'c anyhow::Error>) -> BoxFuture<'c, (Answer, bool)> + Send,
>;

/// The queue of jobs and the turn that every writer of this process takes.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
    turn: Arc<Mutex<()>>,
}

impl Writer {
    /// Starts the writer task on the current tokio runtime. It ends when every `Writer`
    /// clone is gone.
    pub(super) fn start(pool: SqlitePool) -> Writer {
        let (jobs, queue) = mpsc::unbounded_channel();
        let turn = Arc::new(Mutex::new(()));
        tokio::spawn(run(pool, Arc::clone(&turn), queue));
        Writer { jobs, turn }
    }

    /// Waits for this process's turn to write outside a batch; the write runs while the
    /// guard lives.
    pub(super) async fn turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.turn.lock().await
    }

    /// Queues `job` and waits until its batch is committed: its result then, or the
    /// batch's error. A job that fails leaves nothing written.
    pub(super) async fn write<T, F>(&self, job: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, anyhow::Result<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<anyhow::Result<T>>();
        let job: Job = Box::new(
            move |connection: Result<&mut SqliteConnection, &anyhow::Error>| -> BoxFuture<'_, (Answer, bool)> {
                Box::pin(async move {
                    let (result, intact) = match connection {
                        Ok(connection) => in_savepoint(connection, job).await,
                        Err(error) => (Err(anyhow::anyhow!("{error:#}")), true),
                    };
                    let answer: Answer = Box::new(move |batch: Option<&anyhow::Error>| {
                        let result = match (result, batch) {
                            (Ok(value), None) => Ok(value),
                            (Err(error), _) => Err(error),
                            (Ok(_), Some(error)) => Err(anyhow::anyhow!("{error:#}")),
                        };
                        // The caller may have stopped waiting; its write is settled all the same.
                        let _ = reply.send(result);
                    });
                    (answer, intact)
                })
            },
        );
        self.jobs.send(job).map_err(|_| anyhow::anyhow!("the store's writer has stopped"))?;
        answer.await.map_err(|_| anyhow::anyhow!("the store's writer stopped before this write was committed"))?
    }
}

/// Runs a job in its own savepoint inside the batch's transaction; `false` when the
/// savepoint could not be ended, which leaves the whole transaction in doubt.
async fn in_savepoint<T, F>(connection: &mut SqliteConnection, job: F) -> (anyhow::Result<T>, bool)
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, anyhow::Result<T>>,
{
    if let Err(error) = sqlx::query("SAVEPOINT job").execute(&mut *connection).await {
        return (Err(anyhow::Error::new(error).context("starting a write")), false);
    }
    let result = job(&mut *connection).await;
    let end = match &result {
        Ok(_) => "RELEASE job",
        // Undo this job's statements only; the batch goes on.
        Err(_) => "ROLLBACK TO job; RELEASE job",
    };
    match sqlx::query(end).execute(&mut *connection).await {
        Ok(_) => (result, true),
        // SQLite ends the whole transaction on some errors (a full disk, for one).
        Err(error) => (result.and(Err(anyhow::Error::new(error).context("ending a write"))), false),
    }
}

async fn run(pool: SqlitePool, turn: Arc<Mutex<()>>, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let _turn = turn.lock().await;
        // Everything that queued meanwhile, including while this waited for its turn.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A batch runs in its own task, so a panic in one write fails that batch (its
        // transaction rolls back as the panic drops it, its callers get an error) and the
        // writer goes on serving the next.
        if let Err(error) = tokio::spawn(commit(pool.clone(), batch)).await {
            tracing::error!(error = %error, "a batch of writes panicked; it was rolled back and its writes failed");
        }
    }
}

/// Runs a batch in one transaction and answers every job after `COMMIT` (or its failure).
/// The transaction is sqlx's, so however this ends (an error, a panic) it is rolled back
/// unless committed, and the connection never goes back to the pool inside it.
async fn commit(pool: SqlitePool, batch: Vec<Job>) {
    let mut transaction = match pool.begin_with("BEGIN IMMEDIATE").await.context("starting a write") {
        Ok(transaction) => transaction,
        Err(error) => {
            for job in batch {
                job(Err(&error)).await.0(Some(&error));
            }
            return;
        }
    };
    let mut answers = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    let mut intact = true;
    for job in jobs.by_ref() {
        let (answer, ok) = job(Ok(&mut *transaction)).await;
        answers.push(answer);
        if !ok {
            intact = false;
            break;
        }
    }
    let committed = if intact {
        transaction.commit().await.context("committing the writes")
    } else {
        // Nothing of the batch stays: undo what is left of the transaction (SQLite may
        // already have ended it; then this fails harmlessly).
        let _ = transaction.rollback().await;
        Err(anyhow::anyhow!("a write left its batch's transaction in doubt, so the whole batch was rolled back"))
    };
    if let Err(error) = committed {
        for answer in answers {
            answer(Some(&error));
        }
        for job in jobs {
            job(Err(&error)).await.0(Some(&error));
        }
        return;
    }
    for answer in answers {
        answer(None);
    }
}
