//! The list cache a plugin switches on in its specs (`list_cache = "serve"` on a read action,
//! `list_cache = "invalidate"` on each write action; format in `plugins/README.md`). The
//! generated `dispatch` does the wiring; a plugin only keeps one [`ListCache`] in its state and
//! implements [`HasListCache`].
//!
//! # What is cached
//!
//! The rendered reply ([`SharedReply`]) of a `serve` action, keyed by (instance, the instance's
//! write *generation*, action, the parsed request). A hit costs a hash, a comparison of the
//! request and a reference count; the gateway writes the JSON as rendered.
//!
//! # Consistency contract
//!
//! 1. **Own writes, same process: immediately visible.** Every `invalidate` action bumps its
//!    instance's generation when it ends (committed, failed, or cancelled mid-way: the bump
//!    runs on drop), before its response is sent. A reader takes the generation *before* it
//!    reads the database, so a page read before a write commits is stored under the old
//!    generation and never served after the write's answer.
//! 2. **Everything else: visible within the TTL.** An entry is served only while the data it
//!    was built from is younger than the TTL. A handler that reuses older data (e.g. a cached
//!    `TotalCount`) says so with [`DataAge::read_at`], and the page is aged from then. This
//!    bounds the staleness of writes through other replicas and of other plugins' data.
//! 3. **Bounded memory**: at most `max_bytes` of rendered JSON; moka evicts beyond that. The
//!    generation table holds one integer per instance written through this process.
//!
//! A TTL of zero disables the cache: nothing is stored or looked up.

use std::any::Any;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use crate::plugin::{Reply, SharedReply};

/// Default memory bound: bytes of rendered JSON (a 20-item page is about 5 kB).
pub const DEFAULT_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Implemented by the state of a plugin whose specs use `list_cache`.
pub trait HasListCache {
    /// The plugin's list cache.
    fn list_cache(&self) -> &ListCache;
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    instance: String,
    generation: u64,
    action: usize,
    request: u64,
}

#[derive(Clone)]
struct Entry {
    born: Instant,
    /// The request the page answers, compared on a hit (the key holds only its hash, so two
    /// requests with equal hashes can never be served each other's page).
    request: Arc<dyn Any + Send + Sync>,
    reply: SharedReply,
}

/// The list cache of one plugin (see the module docs for the contract).
pub struct ListCache {
    ttl: Duration,
    pages: Option<moka::sync::Cache<Key, Entry>>,
    generations: RwLock<HashMap<String, u64>>,
    hasher: std::collections::hash_map::RandomState,
}

impl std::fmt::Debug for ListCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListCache")
            .field("ttl", &self.ttl)
            .field("pages", &self.pages.as_ref().map(|p| p.entry_count()))
            .finish()
    }
}

impl ListCache {
    /// A cache serving entries for `ttl` (zero disables it), holding at most
    /// [`DEFAULT_MAX_BYTES`] of rendered JSON.
    pub fn new(ttl: Duration) -> Self {
        Self::with_capacity(ttl, DEFAULT_MAX_BYTES)
    }

    /// A cache with an explicit memory bound, in bytes of rendered JSON.
    pub fn with_capacity(ttl: Duration, max_bytes: u64) -> Self {
        let pages = (!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .time_to_live(ttl)
                .weigher(|_: &Key, e: &Entry| u32::try_from(e.reply.json_len()).unwrap_or(u32::MAX))
                .max_capacity(max_bytes)
                .build()
        });
        Self {
            ttl,
            pages,
            generations: RwLock::new(HashMap::new()),
            hasher: Default::default(),
        }
    }

    /// The TTL; zero when disabled.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Whether entries are kept at all.
    pub fn is_enabled(&self) -> bool {
        self.pages.is_some()
    }

    /// The current generation of `instance`. Take it before reading the database and key what
    /// was read with it.
    pub fn generation(&self, instance: &str) -> u64 {
        let map = self.generations.read().unwrap_or_else(|e| e.into_inner());
        map.get(instance).copied().unwrap_or(0)
    }

    /// Makes everything cached for `instance` unreachable (bumps its generation).
    pub fn invalidate(&self, instance: &str) {
        if self.pages.is_none() {
            return;
        }
        let mut map = self.generations.write().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(instance) {
            Some(g) => *g += 1,
            None => {
                map.insert(instance.to_string(), 1);
            }
        }
    }

    /// A guard that invalidates `instance` when dropped: when the write action it spans
    /// returns, or when its request is cancelled.
    pub fn invalidate_on_drop<'a>(&'a self, instance: &'a str) -> Invalidate<'a> {
        Invalidate {
            cache: self,
            instance,
        }
    }

    /// Starts a lookup of `request` (action index `action`) on `instance`: the generation is
    /// taken now, before any database read.
    pub fn lookup<R: Hash>(&self, instance: &str, action: usize, request: &R) -> Option<Lookup> {
        self.pages.as_ref()?;
        Some(Lookup {
            key: Key {
                instance: instance.to_string(),
                generation: self.generation(instance),
                action,
                request: self.hasher.hash_one(request),
            },
            age: DataAge::now(),
        })
    }

    /// The cached reply for `request` (the one `lookup` was started with), if it is still
    /// within the TTL.
    pub fn get<R: Eq + Send + Sync + 'static>(
        &self,
        lookup: &Lookup,
        request: &R,
    ) -> Option<SharedReply> {
        let entry = self.pages.as_ref()?.get(&lookup.key)?;
        (entry.born.elapsed() < self.ttl && entry.request.downcast_ref::<R>() == Some(request))
            .then_some(entry.reply)
    }

    /// Renders `reply` ([`SharedReply::new`]), stores it for `request` (aged from the
    /// lookup's [`DataAge`]) and returns it.
    pub fn put<R: Send + Sync + 'static>(
        &self,
        lookup: Lookup,
        request: R,
        reply: Reply,
    ) -> SharedReply {
        let reply = SharedReply::new(reply);
        if let Some(pages) = &self.pages {
            pages.insert(
                lookup.key,
                Entry {
                    born: lookup.age.born(),
                    request: Arc::new(request),
                    reply: reply.clone(),
                },
            );
        }
        reply
    }
}

/// Invalidates an instance's cached lists when dropped ([`ListCache::invalidate_on_drop`]).
#[must_use = "the cache is invalidated when the guard is dropped"]
pub struct Invalidate<'a> {
    cache: &'a ListCache,
    instance: &'a str,
}

impl Drop for Invalidate<'_> {
    fn drop(&mut self) {
        self.cache.invalidate(self.instance);
    }
}

/// Host query a write action sends when it ends ([`announce`]): args [`ListsChanged`], answer
/// `null`. With `[cluster] redis_url` the host tells the other replicas, which then send the
/// plugin [`INVALIDATE_QUERY`]; without a cluster it does nothing.
pub const LISTS_CHANGED: &str = "cluster.lists_changed";

/// Query the host sends a plugin with a list cache when a write on another replica ended:
/// args [`InvalidateLists`], answer `null`. The generated `api::queries::dispatch` of such a
/// plugin answers it ([`ListCache::invalidate`]).
pub const INVALIDATE_QUERY: &str = "ccgate.list_cache.invalidate";

/// The arguments of [`LISTS_CHANGED`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListsChanged {
    /// The plugin whose lists the write changed.
    pub plugin: String,
    /// The instance written.
    pub instance: String,
}

/// The arguments of [`INVALIDATE_QUERY`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InvalidateLists {
    /// The instance whose cached pages are dropped.
    pub instance: String,
}

/// Tells the host that a write of `plugin` in the request's instance ended (generated code
/// calls it after each `list_cache = "invalidate"` action, whether it succeeded or not), so
/// that other replicas drop their cached pages of the instance. Never fails: without a
/// cluster, or when the host cannot pass it on, the other replicas' pages still expire with
/// their TTL.
pub async fn announce(ctx: &crate::Context, plugin: &str) {
    let args = ListsChanged {
        plugin: plugin.to_string(),
        instance: ctx.instance().to_string(),
    };
    let Ok(args) = serde_json::to_value(&args) else {
        return;
    };
    if let Err(e) = ctx
        .services
        .query(ctx, crate::context::HOST_SERVICES, LISTS_CHANGED, args)
        .await
    {
        tracing::warn!(error = %e.message, "could not announce a list change to the host");
    }
}

/// Answers [`INVALIDATE_QUERY`] for `cache` (generated `api::queries::dispatch`).
///
/// Errors: 500 `InternalError` for arguments of the wrong shape.
pub fn answer_invalidate(
    cache: &ListCache,
    args: serde_json::Value,
) -> crate::ApiResult<serde_json::Value> {
    let args: InvalidateLists = crate::query::decode_args(INVALIDATE_QUERY, args)?;
    cache.invalidate(&args.instance);
    Ok(serde_json::Value::Null)
}

/// A lookup in progress: its key (with the generation taken when it started) and the age of the
/// data read for it.
pub struct Lookup {
    key: Key,
    age: DataAge,
}

impl Lookup {
    /// The age of the data the reply is built from; handlers lower it with
    /// [`DataAge::read_at`] (through `Cx::data_age`).
    pub fn age(&self) -> &DataAge {
        &self.age
    }
}

/// When the oldest data in a reply was read: the start of the request, or earlier when the
/// handler reused older data. Shared between the generated code and the handler.
#[derive(Debug)]
pub struct DataAge(AtomicU64);

/// The origin of [`DataAge`]'s clock: a day before its first use, so that any instant a handler
/// reports (data read seconds ago) is after it. Older instants count as the origin, which only
/// makes an entry expire sooner.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(|| {
        let now = Instant::now();
        now.checked_sub(Duration::from_secs(86_400)).unwrap_or(now)
    })
}

impl DataAge {
    /// Data read now.
    pub fn now() -> Self {
        let e = epoch();
        Self(AtomicU64::new(
            Instant::now().duration_since(e).as_nanos() as u64
        ))
    }

    /// Records that the reply uses data read at `at` (keeps the oldest).
    pub fn read_at(&self, at: Instant) {
        let nanos = at.saturating_duration_since(epoch()).as_nanos() as u64;
        self.0.fetch_min(nanos, Ordering::Relaxed);
    }

    /// When the oldest data was read.
    pub fn born(&self) -> Instant {
        epoch() + Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plugin::Reply;

    fn reply(n: u64) -> Reply {
        Reply::empty().with("TotalCount", json!(n))
    }

    #[test]
    fn hit_after_miss_and_keys_do_not_collide() {
        let c = ListCache::new(Duration::from_secs(60));
        let req = ("138", 1);
        let l = c.lookup("i-1", 0, &req).unwrap();
        assert!(c.get(&l, &req).is_none());
        c.put(l, req, reply(7));
        let l = c.lookup("i-1", 0, &req).unwrap();
        assert_eq!(c.get(&l, &req).unwrap().json(), r#"{"TotalCount":7}"#);
        for (instance, action, other) in [
            ("i-2", 0, ("138", 1)),
            ("i-1", 1, ("138", 1)),
            ("i-1", 0, ("138", 2)),
        ] {
            let l = c.lookup(instance, action, &other).unwrap();
            assert!(c.get(&l, &other).is_none(), "{instance} {action} {other:?}");
        }
        // Same key, different request (as after a hash collision): never served.
        let l = c.lookup("i-1", 0, &req).unwrap();
        assert!(c.get(&l, &("139", 1)).is_none());
    }

    #[test]
    fn invalidation_hides_older_generations_of_that_instance_only() {
        let c = ListCache::new(Duration::from_secs(60));
        let a = c.lookup("i-1", 0, &1u8).unwrap();
        let b = c.lookup("i-2", 0, &1u8).unwrap();
        c.put(a, 1u8, reply(1));
        c.put(b, 1u8, reply(2));
        {
            let _guard = c.invalidate_on_drop("i-1");
            assert_eq!(c.generation("i-1"), 0, "bumped only when the write ends");
        }
        assert_eq!(c.generation("i-1"), 1);
        assert!(c.get(&c.lookup("i-1", 0, &1u8).unwrap(), &1u8).is_none());
        assert!(c.get(&c.lookup("i-2", 0, &1u8).unwrap(), &1u8).is_some());
    }

    #[test]
    fn a_page_started_before_a_write_is_never_served_after_it() {
        let c = ListCache::new(Duration::from_secs(60));
        let before = c.lookup("i-1", 0, &1u8).unwrap();
        c.invalidate("i-1");
        c.put(before, 1u8, reply(1));
        assert!(c.get(&c.lookup("i-1", 0, &1u8).unwrap(), &1u8).is_none());
    }

    #[test]
    fn entries_are_aged_from_their_oldest_data() {
        let ttl = Duration::from_millis(200);
        let c = ListCache::new(ttl);
        let l = c.lookup("i-1", 0, &1u8).unwrap();
        l.age().read_at(Instant::now() - ttl);
        c.put(l, 1u8, reply(1));
        assert!(
            c.get(&c.lookup("i-1", 0, &1u8).unwrap(), &1u8).is_none(),
            "built on data older than the TTL"
        );
        let l = c.lookup("i-1", 0, &2u8).unwrap();
        c.put(l, 2u8, reply(2));
        assert!(c.get(&c.lookup("i-1", 0, &2u8).unwrap(), &2u8).is_some());
        std::thread::sleep(ttl + Duration::from_millis(50));
        assert!(c.get(&c.lookup("i-1", 0, &2u8).unwrap(), &2u8).is_none());
    }

    #[test]
    fn a_zero_ttl_disables_everything() {
        let c = ListCache::new(Duration::ZERO);
        assert!(!c.is_enabled());
        assert!(c.lookup("i-1", 0, &1u8).is_none());
        c.invalidate("i-1");
        assert_eq!(c.generation("i-1"), 0);
    }
}
