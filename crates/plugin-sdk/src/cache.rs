//! The list cache a plugin switches on in its specs (`list_cache = "serve"` on a read action,
//! `list_cache = "invalidate"` on each write action; format in `plugins/README.md`). The
//! generated `dispatch` does the wiring; a plugin only keeps one [`ListCache`] in its state and
//! implements [`HasListCache`].
//!
//! # What is cached
//!
//! The rendered reply ([`SharedReply`]) of a `serve` action, keyed by (instance, action, the
//! parsed request) and stamped with the instance's write *generation* it was read at. A hit
//! costs a hash, a comparison of the request and a reference count; the gateway writes the
//! JSON as rendered.
//!
//! # What a write drops
//!
//! Each write that ends bumps its instance's generation and records what it changed in the
//! instance's short change log ([`CHANGE_LOG`] entries): by default *everything*; a write whose
//! handler says it changed one item in place ([`crate::Cx::changed_item_only`]: same lists,
//! same place, same totals) records that item. An entry of an older generation is still
//! served when every change since it is such an item change and the entry said which items it
//! shows ([`crate::Cx::shows_items`]) and none of them changed; otherwise it is a miss. So
//! editing one phone number drops the one page that lists it, not the instance's other pages.
//!
//! # Consistency contract
//!
//! 1. **Own writes, same process: immediately visible.** Every `invalidate` action bumps its
//!    instance's generation when it ends (committed, failed with a server error, or cancelled
//!    mid-way: the bump runs on drop), before its response is sent; a write refused with a
//!    client error (4xx) changed nothing and keeps the pages ([`Invalidate::disarm`]), so a
//!    handler must refuse before it writes. The plugins whose lists show the writer's data
//!    (codegen: they use its queries) drop their pages of the instance before the answer too
//!    ([`invalidate_dependent`]). A reader takes the generation *before* it
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
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
    action: usize,
    request: u64,
}

/// How many of an instance's latest changes are kept to check older entries against
/// ([`ListCache::fetch`]); an entry older than that is a miss.
pub const CHANGE_LOG: usize = 64;

/// What one write changed, as the instance's change log keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Anything: every entry of the instance is stale.
    All,
    /// One item (by the hash of its key), in place.
    Item(u64),
}

/// An instance's generation and its latest changes, oldest first: the change at index `i`
/// made generation `generation - len + 1 + i`.
#[derive(Debug, Default)]
struct InstanceLog {
    generation: u64,
    changes: std::collections::VecDeque<Change>,
}

impl InstanceLog {
    /// Whether an entry read at generation `since` and showing `items` (sorted hashes; `None`:
    /// not said) is still current.
    fn still_current(&self, since: u64, items: Option<&[u64]>) -> bool {
        if since == self.generation {
            return true;
        }
        let (Some(items), Some(behind)) = (items, self.generation.checked_sub(since)) else {
            return false;
        };
        let behind = usize::try_from(behind).unwrap_or(usize::MAX);
        if behind > self.changes.len() {
            return false; // older than the log
        }
        self.changes
            .iter()
            .skip(self.changes.len() - behind)
            .all(|c| matches!(c, Change::Item(h) if items.binary_search(h).is_err()))
    }
}

#[derive(Clone)]
struct Entry {
    /// The instance's generation when the entry's data was read.
    generation: u64,
    /// The hashes of the items the entry shows (sorted), if its handler said so.
    items: Option<Arc<[u64]>>,
    born: Instant,
    /// Set by the one request that rebuilds the entry ahead of its expiry ([`Fetch::Refresh`]).
    refreshing: Arc<AtomicBool>,
    /// The request the page answers, compared on a hit (the key holds only its hash, so two
    /// requests with equal hashes can never be served each other's page).
    request: Arc<dyn Any + Send + Sync>,
    reply: SharedReply,
}

/// The list cache of one plugin (see the module docs for the contract).
pub struct ListCache {
    ttl: Duration,
    pages: Option<moka::sync::Cache<Key, Entry>>,
    generations: RwLock<HashMap<String, InstanceLog>>,
    /// The pages being rebuilt after a miss, each with the lock its builder holds
    /// ([`ListCache::build_slot`]); at most one per request in flight.
    building: Mutex<HashMap<Key, Arc<async_lock::Mutex<()>>>>,
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
            building: Mutex::new(HashMap::new()),
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
        map.get(instance).map_or(0, |l| l.generation)
    }

    /// Makes everything cached for `instance` unreachable (bumps its generation).
    pub fn invalidate(&self, instance: &str) {
        self.record(instance, Change::All);
    }

    fn record(&self, instance: &str, change: Change) {
        if self.pages.is_none() {
            return;
        }
        let mut map = self.generations.write().unwrap_or_else(|e| e.into_inner());
        let log = match map.get_mut(instance) {
            Some(log) => log,
            None => map.entry(instance.to_string()).or_default(),
        };
        log.generation += 1;
        if log.changes.len() == CHANGE_LOG {
            log.changes.pop_front();
        }
        log.changes.push_back(change);
    }

    /// The hash an item key is logged and looked up by.
    fn item_hash(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    /// A guard that invalidates `instance` when dropped: when the write action it spans
    /// returns, or when its request is cancelled.
    pub fn invalidate_on_drop<'a>(&'a self, instance: &'a str) -> Invalidate<'a> {
        Invalidate {
            cache: self,
            instance,
            armed: AtomicBool::new(true),
            change: Mutex::new(None),
        }
    }

    /// Starts a lookup of `request` (action index `action`) on `instance`: the generation is
    /// taken now, before any database read.
    pub fn lookup<R: Hash>(&self, instance: &str, action: usize, request: &R) -> Option<Lookup> {
        self.pages.as_ref()?;
        Some(Lookup {
            generation: self.generation(instance),
            key: Key {
                instance: instance.to_string(),
                action,
                request: self.hasher.hash_one(request),
            },
            age: DataAge::now(),
            items: Mutex::new(None),
            hasher: self.hasher.clone(),
        })
    }

    /// The cached reply for `request` (the one `lookup` was started with), if it is still
    /// within the TTL.
    pub fn get<R: Eq + Send + Sync + 'static>(
        &self,
        lookup: &Lookup,
        request: &R,
    ) -> Option<SharedReply> {
        self.entry(lookup, request).map(|e| e.reply)
    }

    /// Like [`ListCache::get`], and rebuilds pages ahead of their expiry: the first request
    /// that finds an entry older than [`REFRESH_AFTER`] of the TTL gets [`Fetch::Refresh`] and
    /// rebuilds it, while every other request is still served the entry. So a page in steady
    /// use is rebuilt by one request per TTL instead of by every request that arrives in the
    /// moment it expires.
    pub fn fetch<R: Eq + Send + Sync + 'static>(&self, lookup: &Lookup, request: &R) -> Fetch {
        let Some(entry) = self.entry(lookup, request) else {
            return Fetch::Miss;
        };
        if entry.born.elapsed() >= self.ttl.mul_f64(REFRESH_AFTER)
            && !entry.refreshing.swap(true, Ordering::AcqRel)
        {
            return Fetch::Refresh;
        }
        Fetch::Hit(entry.reply)
    }

    /// Waits until no other request is rebuilding `lookup`'s page, then holds its build lock
    /// until the returned guard is dropped. The generated dispatch takes it after a miss and
    /// looks again before it builds, so requests that miss one page together run its handler
    /// once (the first), and the others are served what it stored; if the first failed, the
    /// next one builds.
    pub async fn build_slot(&self, lookup: &Lookup) -> BuildSlot<'_> {
        let lock = {
            let mut building = self.building.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(building.entry(lookup.key.clone()).or_default())
        };
        let guard = lock.lock_arc().await;
        BuildSlot {
            cache: self,
            key: lookup.key.clone(),
            lock,
            _guard: guard,
        }
    }

    fn entry<R: Eq + Send + Sync + 'static>(&self, lookup: &Lookup, request: &R) -> Option<Entry> {
        let pages = self.pages.as_ref()?;
        let mut entry = pages.get(&lookup.key)?;
        if entry.born.elapsed() >= self.ttl || entry.request.downcast_ref::<R>() != Some(request) {
            return None;
        }
        let now = {
            let map = self.generations.read().unwrap_or_else(|e| e.into_inner());
            match map.get(&lookup.key.instance) {
                None => 0,
                Some(log) if log.still_current(entry.generation, entry.items.as_deref()) => {
                    log.generation
                }
                Some(_) => return None,
            }
        };
        if now != entry.generation {
            // Current across item changes that are not on it: restamp it, so the next hit
            // checks only the changes after this one.
            entry.generation = now;
            pages.insert(lookup.key.clone(), entry.clone());
        }
        Some(entry)
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
                    generation: lookup.generation,
                    items: lookup
                        .items
                        .into_inner()
                        .unwrap_or_else(|e| e.into_inner())
                        .map(Arc::from),
                    born: lookup.age.born(),
                    refreshing: Arc::new(AtomicBool::new(false)),
                    request: Arc::new(request),
                    reply: reply.clone(),
                },
            );
        }
        reply
    }
}

/// Which part of the TTL an entry is served for before one request rebuilds it
/// ([`ListCache::fetch`]).
pub const REFRESH_AFTER: f64 = 0.75;

/// What [`ListCache::fetch`] found.
pub enum Fetch {
    /// A reply to serve.
    Hit(SharedReply),
    /// An entry due for a rebuild, claimed by this request: build and store the page (the
    /// other requests are served the entry meanwhile).
    Refresh,
    /// Nothing to serve: take [`ListCache::build_slot`], look again, then build.
    Miss,
}

/// The build lock of one page ([`ListCache::build_slot`]); released, and forgotten when no
/// other request waits for it, on drop.
pub struct BuildSlot<'a> {
    cache: &'a ListCache,
    key: Key,
    lock: Arc<async_lock::Mutex<()>>,
    _guard: async_lock::MutexGuardArc<()>,
}

impl Drop for BuildSlot<'_> {
    fn drop(&mut self) {
        let mut building = self
            .cache
            .building
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // Held by the map, this slot and its guard: no one else waits, so forget the page.
        // A request that takes the lock after this only builds again if nothing was stored.
        if Arc::strong_count(&self.lock) <= 3
            && let Some(l) = building.get(&self.key)
            && Arc::ptr_eq(l, &self.lock)
        {
            building.remove(&self.key);
        }
    }
}

/// Invalidates an instance's cached lists when dropped ([`ListCache::invalidate_on_drop`]),
/// unless [`Invalidate::disarm`]ed: everything, or only the item the write said it changed
/// in place ([`Invalidate::changed_item_only`]).
#[must_use = "the cache is invalidated when the guard is dropped"]
#[derive(Debug)]
pub struct Invalidate<'a> {
    cache: &'a ListCache,
    instance: &'a str,
    armed: AtomicBool,
    /// `None`: everything (the default); `Some(Some(h))`: one item; `Some(None)`: more than
    /// one item was named, so everything.
    change: Mutex<Option<Option<u64>>>,
}

impl Invalidate<'_> {
    /// Keeps the instance's pages: the write was refused and changed nothing. The generated
    /// dispatch calls it when a write action answers a client error (4xx): handlers refuse
    /// (validation, not found, conflict) before they write, and a write that reached the
    /// database and then failed answers 5xx, which still invalidates.
    pub fn disarm(&self) {
        self.armed.store(false, Ordering::Relaxed);
    }

    /// Narrows the invalidation to the item keyed `key` (see
    /// [`crate::Cx::changed_item_only`]); naming a second item widens it to everything again.
    pub fn changed_item_only(&self, key: &str) {
        let hash = self.cache.item_hash(key);
        let mut change = self.change.lock().unwrap_or_else(|e| e.into_inner());
        *change = match *change {
            None => Some(Some(hash)),
            Some(Some(h)) if h == hash => Some(Some(h)),
            Some(_) => Some(None),
        };
    }
}

impl Drop for Invalidate<'_> {
    fn drop(&mut self) {
        if !self.armed.load(Ordering::Relaxed) {
            return;
        }
        let change = match *self.change.get_mut().unwrap_or_else(|e| e.into_inner()) {
            Some(Some(h)) => Change::Item(h),
            _ => Change::All,
        };
        self.cache.record(self.instance, change);
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

/// Tells the host that a write in the request's instance ended, for each plugin in `plugins`
/// whose lists it changed (the writer and its dependents; generated code calls it after each
/// `list_cache = "invalidate"` action, whether it succeeded or not), so that other replicas
/// drop their cached pages of the instance. Never fails: without a cluster, or when the host
/// cannot pass it on, the other replicas' pages still expire with their TTL.
pub async fn announce(ctx: &crate::Context, plugins: &[&str]) {
    for plugin in plugins {
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
}

/// What the generated dispatch does when the handler of a `list_cache = "invalidate"` action of
/// `plugin` returned `out` (its guard `invalidate` is dropped by the caller afterwards):
///
/// - a refusal (4xx) changed nothing: the guard is disarmed and the pages stay (handlers
///   refuse before they write);
/// - otherwise the plugins whose lists show `plugin`'s data (`dependents`, derived by codegen
///   from `api/uses.toml`) drop their pages of the instance on this replica
///   ([`invalidate_dependent`]) before the write answers, and the other replicas are told
///   about `plugin` and its dependents ([`announce`]).
///
/// Returns `out` unchanged.
pub async fn after_write<T>(
    ctx: &crate::Context,
    plugin: &str,
    dependents: &[&str],
    invalidate: &Invalidate<'_>,
    out: crate::ApiResult<T>,
) -> crate::ApiResult<T> {
    if out.as_ref().is_err_and(|e| e.status < 500) {
        invalidate.disarm();
        return out;
    }
    for dependent in dependents {
        invalidate_dependent(ctx, dependent).await;
    }
    announce(ctx, &[plugin]).await;
    announce(ctx, dependents).await;
    out
}

/// Drops `plugin`'s cached lists of the request's instance on this replica by sending it
/// [`INVALIDATE_QUERY`]. Generated code calls it after each `list_cache = "invalidate"` action
/// for the plugins whose lists show the writer's data (they use its queries), before the
/// write answers, so the caller's next list of that plugin shows the write. Nothing happens
/// when `plugin` is not enabled. Never fails: an error is logged, and the pages still expire
/// with `plugin`'s TTL.
pub async fn invalidate_dependent(ctx: &crate::Context, plugin: &str) {
    let args = InvalidateLists {
        instance: ctx.instance().to_string(),
    };
    let Ok(args) = serde_json::to_value(&args) else {
        return;
    };
    if let Err(e) = ctx
        .services
        .query(ctx, plugin, INVALIDATE_QUERY, args)
        .await
    {
        tracing::warn!(plugin, error = %e.message, "could not drop a dependent plugin's cached lists");
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
#[derive(Debug)]
pub struct Lookup {
    /// The instance's generation when the lookup started (before any database read).
    generation: u64,
    key: Key,
    /// The items the reply shows ([`Lookup::shows_items`]), sorted hashes.
    items: Mutex<Option<Vec<u64>>>,
    /// The cache's item hasher.
    hasher: std::collections::hash_map::RandomState,
    age: DataAge,
}

impl Lookup {
    /// The age of the data the reply is built from; handlers lower it with
    /// [`DataAge::read_at`] (through `Cx::data_read_at`).
    pub fn age(&self) -> &DataAge {
        &self.age
    }

    /// Records the keys of the items the reply shows (through [`crate::Cx::shows_items`]), so
    /// that a later write that changed another item in place does not drop it. Only for a
    /// reply whose list an in-place change cannot reorder, grow or shrink (e.g. a page without
    /// filters on the changed fields).
    pub fn shows_items<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        let mut hashes: Vec<u64> = keys.into_iter().map(|k| self.hasher.hash_one(k)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        *self.items.lock().unwrap_or_else(|e| e.into_inner()) = Some(hashes);
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
    fn one_request_refreshes_an_ageing_entry_while_the_others_are_served() {
        let ttl = Duration::from_millis(400);
        let c = ListCache::new(ttl);
        let l = c.lookup("i-1", 0, &1u8).unwrap();
        c.put(l, 1u8, reply(1));
        let fetch = |c: &ListCache| c.fetch(&c.lookup("i-1", 0, &1u8).unwrap(), &1u8);
        assert!(matches!(fetch(&c), Fetch::Hit(_)), "young: served");
        std::thread::sleep(ttl.mul_f64(REFRESH_AFTER) + Duration::from_millis(20));
        assert!(
            matches!(fetch(&c), Fetch::Refresh),
            "the first request past 3/4 rebuilds"
        );
        for _ in 0..3 {
            assert!(
                matches!(fetch(&c), Fetch::Hit(_)),
                "the others are still served"
            );
        }
        c.put(c.lookup("i-1", 0, &1u8).unwrap(), 1u8, reply(2));
        match fetch(&c) {
            Fetch::Hit(r) => assert_eq!(r.json(), r#"{"TotalCount":2}"#),
            _ => panic!("the rebuilt entry is served"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_that_miss_one_page_together_build_it_once() {
        let c = Arc::new(ListCache::new(Duration::from_secs(60)));
        let builds = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (c, builds) = (Arc::clone(&c), Arc::clone(&builds));
            tasks.push(tokio::spawn(async move {
                let l = c.lookup("i-1", 0, &1u8).unwrap();
                if let Some(hit) = c.get(&l, &1u8) {
                    return hit.json().to_string();
                }
                let _slot = c.build_slot(&l).await;
                if let Some(hit) = c.get(&l, &1u8) {
                    return hit.json().to_string();
                }
                builds.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                c.put(l, 1u8, reply(9)).json().to_string()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), r#"{"TotalCount":9}"#);
        }
        assert_eq!(
            builds.load(Ordering::SeqCst),
            1,
            "one build for eight misses"
        );
        assert!(c.building.lock().unwrap().is_empty(), "no slot left behind");
    }

    fn put_showing(c: &ListCache, page: u8, items: &[&str]) {
        let l = c.lookup("i-1", 0, &page).unwrap();
        if !items.is_empty() {
            l.shows_items(items.iter().copied());
        }
        c.put(l, page, reply(u64::from(page)));
    }

    fn served(c: &ListCache, page: u8) -> bool {
        c.get(&c.lookup("i-1", 0, &page).unwrap(), &page).is_some()
    }

    fn change_item(c: &ListCache, key: &str) {
        c.invalidate_on_drop("i-1").changed_item_only(key);
    }

    #[test]
    fn an_item_changed_in_place_drops_only_the_entries_that_show_it() {
        let c = ListCache::new(Duration::from_secs(60));
        put_showing(&c, 1, &["a1", "a2"]);
        put_showing(&c, 2, &["b1"]);
        put_showing(&c, 3, &[]); // did not say what it shows
        change_item(&c, "b1");
        assert_eq!(c.generation("i-1"), 1);
        assert!(served(&c, 1), "does not show b1");
        assert!(!served(&c, 2), "shows b1");
        assert!(!served(&c, 3), "shows who knows what");
        change_item(&c, "zz");
        assert!(served(&c, 1), "checked again after the restamp");
        c.invalidate("i-1");
        assert!(!served(&c, 1), "a change of everything drops it");
    }

    #[test]
    fn a_write_naming_two_items_drops_everything() {
        let c = ListCache::new(Duration::from_secs(60));
        put_showing(&c, 1, &["a1"]);
        {
            let guard = c.invalidate_on_drop("i-1");
            guard.changed_item_only("b1");
            guard.changed_item_only("b2");
        }
        assert!(!served(&c, 1));
    }

    #[test]
    fn an_entry_older_than_the_change_log_is_a_miss() {
        let c = ListCache::new(Duration::from_secs(60));
        put_showing(&c, 1, &["a1"]);
        put_showing(&c, 2, &["a2"]);
        for _ in 0..CHANGE_LOG {
            change_item(&c, "zz");
        }
        assert!(served(&c, 1), "exactly the log's length behind");
        change_item(&c, "zz");
        assert!(served(&c, 1), "restamped by the hit before");
        assert!(!served(&c, 2), "one change more than the log holds");
    }

    #[test]
    fn a_page_read_before_an_item_change_it_shows_is_not_served_after_it() {
        let c = ListCache::new(Duration::from_secs(60));
        let before = c.lookup("i-1", 0, &1u8).unwrap();
        before.shows_items(["a1"]);
        change_item(&c, "a1");
        c.put(before, 1u8, reply(1));
        assert!(!served(&c, 1));
    }

    #[test]
    fn a_disarmed_guard_keeps_the_pages() {
        let c = ListCache::new(Duration::from_secs(60));
        c.put(c.lookup("i-1", 0, &1u8).unwrap(), 1u8, reply(1));
        c.invalidate_on_drop("i-1").disarm();
        assert_eq!(c.generation("i-1"), 0);
        assert!(c.get(&c.lookup("i-1", 0, &1u8).unwrap(), &1u8).is_some());
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
