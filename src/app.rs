//! The state every command shares: configuration, the loaded guide with its index, and
//! the progress store (opened only by the commands that need it: `search` and `guide
//! lint` never touch a database).
//!
//! The guide is behind an `Arc` swapped as a whole on reload, so a command holds one
//! consistent guide for its whole run and reloads never block readers for long.

use std::sync::{Arc, RwLock};

use anyhow::Context as _;

use crate::config::Config;
use crate::guide::Guide;
use crate::guide::LoadProblem;
use crate::guide::{LintReport, lint};
use crate::lookup::{Index, SearchOptions, Vocabulary};
use crate::playbook::{ErrorMatcher, Playbook, load_playbooks};
use crate::store::Store;

/// The guide and everything derived from it, replaced together on reload.
#[derive(Debug)]
pub struct Knowledge {
    pub guide: Guide,
    /// Playbooks from `troubleshooting/`; `DocKey::Playbook(i)` indexes this.
    pub playbooks: Vec<Playbook>,
    /// Playbook files that failed to load (the others did).
    pub playbook_problems: Vec<LoadProblem>,
    pub index: Index,
    pub errors: ErrorMatcher,
}

impl Knowledge {
    /// Loads the guide folder: guide files, playbooks, vocabulary.
    pub fn load(config: &Config) -> anyhow::Result<Knowledge> {
        let dir = &config.guide_dir;
        let guide = Guide::load(dir).with_context(|| format!("loading the guide from {}", dir.display()))?;
        let vocabulary = Vocabulary::load(dir)?;
        let (playbooks, playbook_problems) = load_playbooks(&dir.join("troubleshooting"));
        Ok(Knowledge::build(guide, playbooks, playbook_problems, vocabulary))
    }

    /// Builds the index and matcher over a loaded guide and playbooks.
    pub fn build(
        guide: Guide,
        playbooks: Vec<Playbook>,
        playbook_problems: Vec<LoadProblem>,
        vocabulary: Vocabulary,
    ) -> Knowledge {
        let documents: Vec<_> = playbooks.iter().map(Playbook::document).collect();
        let index = Index::build(&guide, &documents, vocabulary);
        let errors = ErrorMatcher::new(playbooks.iter().map(|p| p.errors.as_slice()));
        Knowledge { guide, playbooks, playbook_problems, index, errors }
    }

    /// Everything `guide lint` checks: the guide's structure and links, and the playbooks.
    pub fn lint(&self) -> LintReport {
        let mut report = lint(&self.guide);
        report.errors.extend(crate::playbook::lint(
            &self.playbooks,
            &self.playbook_problems,
            &self.guide,
            &self.errors,
        ));
        report
    }

    pub fn playbook(&self, id: &str) -> Option<&Playbook> {
        self.playbooks.iter().find(|p| p.id == id)
    }

    /// Search options from the config, for sections.
    pub fn search_options(&self, config: &Config) -> SearchOptions {
        SearchOptions {
            limit: config.lookup.max_results,
            min_score: config.lookup.min_score,
            confidence_ratio: config.lookup.confidence_ratio,
            ..SearchOptions::default()
        }
    }
}

/// What a guide reload did.
#[derive(Debug)]
pub enum Reload {
    /// The re-read guide is live. The report holds its warnings.
    Replaced { report: LintReport, playbooks: usize },
    /// The re-read guide failed to load or to lint; the guide already loaded stays live.
    Refused { errors: Vec<String> },
}

/// Shared state for commands.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    knowledge: RwLock<Arc<Knowledge>>,
    store: Option<Store>,
    /// The key sealing stored kubeconfigs, loaded (or created) on first use.
    kubeconfig_key: tokio::sync::OnceCell<crate::cluster::crypto::KubeconfigKey>,
    /// The bound on cluster checks running at once.
    pub check_slots: crate::cluster::CheckSlots,
    /// One reload at a time, so two coaches reloading at once cannot interleave.
    reload_lock: std::sync::Mutex<()>,
    /// What `/metrics` reports; also holds whether the gateway is connected, for `/healthz`.
    pub metrics: crate::ops::Metrics,
}

impl App {
    pub fn new(config: Config, knowledge: Knowledge) -> App {
        let check_slots = crate::cluster::CheckSlots::new(config.cluster.max_concurrent_checks);
        App {
            config,
            knowledge: RwLock::new(Arc::new(knowledge)),
            store: None,
            kubeconfig_key: tokio::sync::OnceCell::new(),
            check_slots,
            reload_lock: std::sync::Mutex::new(()),
            metrics: crate::ops::Metrics::new(std::time::SystemTime::now()),
        }
    }

    /// The app with a progress store.
    pub fn with_store(config: Config, knowledge: Knowledge, store: Store) -> App {
        App { store: Some(store), ..App::new(config, knowledge) }
    }

    /// Loads the guide and opens the database named by the config (creating and
    /// migrating it when needed).
    ///
    /// The kubeconfig key is loaded (or created) here too, so a fresh data folder holds
    /// the database and `kubeconfig.key` from the first start, and a bad key, or an
    /// interrupted key rotation, stops the start with a sentence saying what to do. An
    /// in-memory database (`sqlite::memory:`) keeps the key lazy: nothing is written
    /// beside a database that has no folder.
    pub async fn open(config: Config) -> anyhow::Result<App> {
        let knowledge = Knowledge::load(&config)?;
        let store = Store::open(&config.database_url()).await?;
        let app = App::with_store(config, knowledge, store);
        if crate::store::database_path(&app.config.database).as_os_str() != ":memory:" {
            app.kubeconfig_key().await?;
        }
        Ok(app)
    }

    /// The key sealing stored kubeconfigs: `HACKCOACH_KEY`, else the key file (by default
    /// `kubeconfig.key` beside the database), created with mode 0600 when absent.
    pub async fn kubeconfig_key(&self) -> anyhow::Result<&crate::cluster::crypto::KubeconfigKey> {
        use crate::cluster::crypto::{KEY_ENV, KeySource, KubeconfigKey, key_path};
        self.kubeconfig_key
            .get_or_try_init(|| async {
                let env = std::env::var(KEY_ENV).ok();
                let path = key_path(&self.config.cluster.key_file, &self.config.database);
                if env.is_none() {
                    crate::cluster::crypto::refuse_unfinished_rotation(&path)?;
                }
                let (key, source) = KubeconfigKey::load_or_create(env.as_deref(), &path)?;
                if let KeySource::Created(path) = source {
                    tracing::info!(path = %path.display(), "created the kubeconfig key file (mode 0600)");
                }
                Ok::<_, anyhow::Error>(key)
            })
            .await
    }

    /// The progress store; an internal error when the app was built without one.
    pub fn store(&self) -> anyhow::Result<&Store> {
        self.store.as_ref().ok_or_else(|| anyhow::anyhow!("this command needs the database, which was not opened"))
    }

    /// Loads the guide named by the config and builds the app.
    pub fn load(config: Config) -> anyhow::Result<App> {
        let knowledge = Knowledge::load(&config)?;
        Ok(App::new(config, knowledge))
    }

    /// The current guide and index.
    pub fn knowledge(&self) -> Arc<Knowledge> {
        match self.knowledge.read() {
            Ok(guard) => Arc::clone(&guard),
            // A panic while swapping cannot leave a half-written Arc; keep serving.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Re-reads the guide folder (guide, playbooks, vocabulary) and makes it live, unless
    /// it fails `guide lint`: then the errors come back and the current guide stays.
    /// Blocking (file reads and the index build, tens of milliseconds); commands already
    /// running keep the guide they started with.
    pub fn reload_guide(&self) -> Reload {
        let _one_at_a_time = self.reload_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let knowledge = match Knowledge::load(&self.config) {
            Ok(knowledge) => knowledge,
            Err(error) => return Reload::Refused { errors: vec![format!("{error:#}")] },
        };
        let report = knowledge.lint();
        if !report.is_ok() {
            return Reload::Refused { errors: report.errors };
        }
        let playbooks = knowledge.playbooks.len();
        self.replace_knowledge(knowledge);
        Reload::Replaced { report, playbooks }
    }

    /// Replaces the guide and index at once.
    pub fn replace_knowledge(&self, knowledge: Knowledge) {
        let fresh = Arc::new(knowledge);
        match self.knowledge.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }
}
