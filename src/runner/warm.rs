//! First-phase containers made before their submission arrives. `assay serve` keeps one per
//! recently graded assignment created, started and holding the assignment's inputs, so a new
//! upload's first phase starts without waiting for the engine to make a container. A warm
//! container holds nothing of any candidate; it leaves the pool as one run takes it, so it is
//! never used for two submissions, and that run removes it as it removes any phase container.
//! One not taken within the pool's time to live is removed unused.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bollard::Docker;

use super::pipeline::{DEFAULT_SEED, Prepared, new_run_id, prepare_phase};
use super::sandbox::labels;
use crate::spec::Spec;

/// The label naming the assignment a warm container was made for.
const WARM_LABEL: &str = "assay.warm";

pub struct WarmPool {
    docker: Docker,
    ttl: Duration,
    slots: Mutex<HashMap<String, Slot>>,
    /// Warm containers taken by a run since the pool was made.
    taken: AtomicU64,
}

enum Slot {
    /// Being made: nobody starts a second one for the same assignment meanwhile.
    Filling,
    Ready {
        container: Prepared,
        made: Instant,
    },
}

/// Warm containers are made for the first run's seed; the assignment, its spec and its image
/// must be the ones they were made for.
fn key(spec: &Spec, image_id: &str) -> String {
    format!("{}\n{}\n{image_id}", spec.id, spec.sha256)
}

impl WarmPool {
    /// A pool whose containers are removed when not taken within `ttl` (above zero).
    pub fn new(docker: Docker, ttl: Duration) -> Arc<WarmPool> {
        Arc::new(WarmPool {
            docker,
            ttl,
            slots: Mutex::new(HashMap::new()),
            taken: AtomicU64::new(0),
        })
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes a warm container for the first phase of `spec` unless one is there or being made.
    /// Phases whose inputs come from an earlier phase cannot be made ahead; nothing is kept
    /// for them.
    pub async fn fill(&self, spec: &Spec, image_id: &str) {
        let key = key(spec, image_id);
        {
            let mut slots = self.slots();
            if slots.contains_key(&key) {
                return;
            }
            slots.insert(key.clone(), Slot::Filling);
        }
        let made = self.make(spec).await;
        let mut slots = self.slots();
        match made {
            Some(container) => {
                slots.insert(
                    key,
                    Slot::Ready {
                        container,
                        made: Instant::now(),
                    },
                );
            }
            None => {
                slots.remove(&key);
            }
        }
    }

    async fn make(&self, spec: &Spec) -> Option<Prepared> {
        let scratch = match crate::temp_dirs::owned("warm") {
            Ok(scratch) => scratch,
            Err(e) => {
                tracing::warn!("no warm container for {}: {e:#}", spec.id);
                return None;
            }
        };
        let run_id = format!("warm-{}", new_run_id());
        let mut labels = labels(&run_id, "");
        labels.insert(WARM_LABEL.to_string(), spec.id.clone());
        // The inputs are inside the container once it is made; the scratch folder can go.
        prepare_phase(&self.docker, spec, scratch.path(), 0, &run_id, labels, DEFAULT_SEED).await
    }

    /// The warm container for the first phase of `spec` with `seed`, taken out of the pool.
    pub fn take(&self, spec: &Spec, image_id: &str, seed: u64) -> Option<Prepared> {
        if seed != DEFAULT_SEED {
            return None;
        }
        let key = key(spec, image_id);
        let mut slots = self.slots();
        if !matches!(slots.get(&key), Some(Slot::Ready { made, .. }) if made.elapsed() < self.ttl) {
            return None;
        }
        let Some(Slot::Ready { container, .. }) = slots.remove(&key) else {
            return None;
        };
        self.taken.fetch_add(1, Ordering::Relaxed);
        Some(container)
    }

    /// Warm containers ready now, and how many runs took one so far (for `/metrics`).
    pub fn counts(&self) -> (usize, u64) {
        let ready = self
            .slots()
            .values()
            .filter(|slot| matches!(slot, Slot::Ready { .. }))
            .count();
        (ready, self.taken.load(Ordering::Relaxed))
    }

    /// Removes the containers not taken within the time to live, until the process ends.
    pub async fn expire(self: Arc<Self>) {
        let every = (self.ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
        loop {
            tokio::time::sleep(every).await;
            let old: Vec<Prepared> = self
                .slots()
                .extract_if(|_, slot| matches!(slot, Slot::Ready { made, .. } if made.elapsed() >= self.ttl))
                .filter_map(|(_, slot)| match slot {
                    Slot::Ready { container, .. } => Some(container),
                    Slot::Filling => None,
                })
                .collect();
            for container in old {
                crate::docker::remove_container(&self.docker, &container.id).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_running(run: &str) -> (tempfile::TempDir, Spec) {
        let dir = tempfile::tempdir().unwrap();
        let toml = format!("[assignment]\nid = \"t\"\ntitle = \"T\"\n\n[[phase]]\nname = \"main\"\nrun = \"{run}\"\n");
        std::fs::write(dir.path().join("assignment.toml"), toml).unwrap();
        let spec = crate::spec::load_valid(dir.path()).unwrap();
        (dir, spec)
    }

    /// A pool holding a (pretend) warm container for `spec`, made `age` ago.
    fn holding(spec: &Spec, age: Duration) -> Arc<WarmPool> {
        let docker = Docker::connect_with_local_defaults().unwrap();
        let pool = WarmPool::new(docker, Duration::from_secs(60));
        let container = Prepared {
            id: "c1".into(),
            areas: Vec::new(),
        };
        let made = Instant::now() - age;
        pool.slots().insert(key(spec, "img"), Slot::Ready { container, made });
        pool
    }

    #[test]
    fn a_warm_container_is_taken_once() {
        let (_dir, spec) = spec_running("true");
        let pool = holding(&spec, Duration::ZERO);
        assert_eq!(pool.counts(), (1, 0));
        assert_eq!(
            pool.take(&spec, "img", DEFAULT_SEED).map(|c| c.id),
            Some("c1".to_string())
        );
        assert!(pool.take(&spec, "img", DEFAULT_SEED).is_none());
        assert_eq!(pool.counts(), (0, 1));
    }

    #[test]
    fn only_the_run_it_was_made_for_takes_it() {
        let (_dir, spec) = spec_running("true");
        let (_other_dir, changed) = spec_running("false");
        let pool = holding(&spec, Duration::ZERO);
        assert!(pool.take(&spec, "img", DEFAULT_SEED + 1).is_none(), "another seed");
        assert!(pool.take(&spec, "other-image", DEFAULT_SEED).is_none(), "another image");
        assert!(pool.take(&changed, "img", DEFAULT_SEED).is_none(), "another spec");
        assert!(
            pool.take(&spec, "img", DEFAULT_SEED).is_some(),
            "still there for its own"
        );
    }

    #[test]
    fn one_past_its_time_is_not_taken() {
        let (_dir, spec) = spec_running("true");
        let pool = holding(&spec, Duration::from_secs(61));
        assert!(pool.take(&spec, "img", DEFAULT_SEED).is_none());
    }
}
