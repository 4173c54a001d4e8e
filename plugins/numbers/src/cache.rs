//! The read cache of 2020-07-01 ListPhoneNumbers pages (and of their `TotalCount`).
//!
//! # What is cached
//!
//! - **Pages**: key = (instance, generation, `SearchPattern`, `Usage`, `Active`, `PageNumber`,
//!   `PageSize`), value = the reply (`Data = {PageNumber, PageSize, TotalCount, List}`) rendered
//!   to JSON once ([`SharedReply`]): a hit costs a lookup and a reference count, and the gateway
//!   writes the JSON as is.
//! - **Counts**: key = (instance, generation, `SearchPattern`, `Usage`, `Active`), value =
//!   `TotalCount`, so that the pages of one listing share one `COUNT(*)`.
//!
//! Filters are keyed as the handler normalises them (an empty parameter is the same as an absent
//! one, `Active` as a boolean), so two requests share an entry only when they must answer the
//! same page.
//!
//! # Consistency contract
//!
//! 1. **Own writes, same process: immediately visible.** Every numbers action that writes an
//!    instance's numbers (AddPhoneNumber, AddBulkPhoneNumbers, ModifyPhoneNumber,
//!    RemovePhoneNumber; see [`crate::NumbersPlugin`]) calls [`ListCache::invalidate`] for that
//!    instance after its transaction has ended (committed or not) and before its response is
//!    sent. Invalidation bumps the instance's *generation*, which is part of every key: entries
//!    of older generations can no longer be hit. A reader takes the generation *before* it
//!    queries the database, so a page read before a write commits is stored under the old
//!    generation and never served after the write's response; a reader that sees the new
//!    generation started its queries after the commit. A client therefore always reads its own
//!    writes (and everybody else's writes made through this process) on the same replica.
//!    One edge: a request cancelled while its commit is in flight (the client went away)
//!    invalidates when it is dropped, possibly just before the commit lands; a page read in
//!    between can then be stale for up to the TTL. That write was never acknowledged.
//! 2. **Everything else: visible within the TTL** ([`DEFAULT_TTL`], 1 s). An entry is served
//!    only while the data it was built from is younger than the TTL (a page built with a cached
//!    count is as old as that count). This bounds the staleness of
//!    - writes made through *other* replicas (or other processes, e.g. tools writing the
//!      database directly), which this process cannot see;
//!    - data rendered from *other plugins*: `ContactFlowName` comes from the flows plugin's
//!      `get` query, and a flow renamed or deleted there does not invalidate this cache.
//! 3. **Bounded memory.** At most [`MAX_CACHED_BYTES`] of rendered JSON (a 20-item page is
//!    about 5 kB) and [`MAX_CACHED_COUNTS`] counts; moka evicts beyond that. The generation
//!    table holds one integer per instance written through this process.
//!
//! A TTL of zero disables the cache entirely (no entry is built or looked up):
//! [`crate::NumbersPlugin::with_list_cache_ttl`]. The TTL is a constant of this crate, not a
//! setting (the gateway has no per-plugin settings yet); embedders choose it with that
//! constructor.

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use ccgate_plugin_sdk::SharedReply;

/// How long a cached page or count may be served: the bound on seeing writes made through other
/// replicas and changes of other plugins' data (flow names).
pub const DEFAULT_TTL: Duration = Duration::from_secs(1);

/// Memory bound of the page cache: bytes of rendered JSON (keys and bookkeeping come on top,
/// about 200 bytes per page).
pub const MAX_CACHED_BYTES: u64 = 16 * 1024 * 1024;

/// Memory bound of the count cache, in entries.
pub const MAX_CACHED_COUNTS: u64 = 10_000;

/// The list filters of a 2020 ListPhoneNumbers request, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListFilter {
    /// `SearchPattern`, `None` when absent or empty.
    pub pattern: Option<String>,
    /// `Usage`, `None` when absent or empty.
    pub usage: Option<&'static str>,
    /// `Active`, `None` when absent or empty.
    pub active: Option<bool>,
}

/// The key of a count: an instance's generation and the filters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountKey {
    /// Instance id.
    pub instance: String,
    /// The instance's generation when the reader started ([`ListCache::generation`]).
    pub generation: u64,
    /// The filters.
    pub filter: ListFilter,
}

/// The key of a page: a [`CountKey`] plus `PageNumber` and `PageSize`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    /// Instance, generation and filters.
    pub count: CountKey,
    /// `PageNumber`.
    pub number: u64,
    /// `PageSize`.
    pub size: u64,
}

/// A rendered page.
#[derive(Debug, Clone)]
pub struct CachedPage {
    /// When the oldest data in it was read.
    pub born: Instant,
    /// The reply, rendered.
    pub reply: SharedReply,
}

/// A counted `TotalCount`.
#[derive(Debug, Clone, Copy)]
pub struct CachedCount {
    /// When it was counted.
    pub born: Instant,
    /// The count.
    pub total: u64,
}

struct Caches {
    ttl: Duration,
    pages: moka::sync::Cache<PageKey, CachedPage>,
    counts: moka::sync::Cache<CountKey, CachedCount>,
}

/// The list cache of one plugin instance (see the module docs for the contract).
pub struct ListCache {
    caches: Option<Caches>,
    generations: RwLock<HashMap<String, u64>>,
}

impl fmt::Debug for ListCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListCache")
            .field("ttl", &self.ttl())
            .field(
                "pages",
                &self.caches.as_ref().map(|c| c.pages.entry_count()),
            )
            .field(
                "counts",
                &self.caches.as_ref().map(|c| c.counts.entry_count()),
            )
            .finish()
    }
}

impl Default for ListCache {
    fn default() -> Self {
        Self::new(DEFAULT_TTL)
    }
}

impl ListCache {
    /// A cache serving entries for `ttl`; `Duration::ZERO` disables it.
    pub fn new(ttl: Duration) -> Self {
        Self::with_capacity(ttl, MAX_CACHED_BYTES, MAX_CACHED_COUNTS)
    }

    /// A cache with explicit memory bounds (bytes of rendered pages, counts).
    pub fn with_capacity(ttl: Duration, max_bytes: u64, max_counts: u64) -> Self {
        let caches = (!ttl.is_zero()).then(|| Caches {
            ttl,
            pages: moka::sync::Cache::builder()
                .time_to_live(ttl)
                .weigher(|_: &PageKey, p: &CachedPage| {
                    u32::try_from(p.reply.json_len()).unwrap_or(u32::MAX)
                })
                .max_capacity(max_bytes)
                .build(),
            counts: moka::sync::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(max_counts)
                .build(),
        });
        Self {
            caches,
            generations: RwLock::new(HashMap::new()),
        }
    }

    /// The TTL; zero when the cache is disabled.
    pub fn ttl(&self) -> Duration {
        self.caches.as_ref().map_or(Duration::ZERO, |c| c.ttl)
    }

    /// Whether entries are kept at all.
    pub fn is_enabled(&self) -> bool {
        self.caches.is_some()
    }

    /// The current generation of `instance`. Take it before reading the database and key what
    /// was read with it.
    pub fn generation(&self, instance: &str) -> u64 {
        let map = self.generations.read().unwrap_or_else(|e| e.into_inner());
        map.get(instance).copied().unwrap_or(0)
    }

    /// Makes every cached page and count of `instance` unreachable (bumps its generation).
    /// Call it after a write to the instance's numbers has ended, before answering.
    pub fn invalidate(&self, instance: &str) {
        if self.caches.is_none() {
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

    /// The cached page for `key`, if it is still within the TTL.
    pub fn page(&self, key: &PageKey) -> Option<CachedPage> {
        let c = self.caches.as_ref()?;
        c.pages.get(key).filter(|p| p.born.elapsed() < c.ttl)
    }

    /// Stores a page (no-op when disabled).
    pub fn put_page(&self, key: PageKey, page: CachedPage) {
        if let Some(c) = &self.caches {
            c.pages.insert(key, page);
        }
    }

    /// The cached count for `key`, if it is still within the TTL.
    pub fn count(&self, key: &CountKey) -> Option<CachedCount> {
        let c = self.caches.as_ref()?;
        c.counts.get(key).filter(|n| n.born.elapsed() < c.ttl)
    }

    /// Stores a count (no-op when disabled).
    pub fn put_count(&self, key: CountKey, count: CachedCount) {
        if let Some(c) = &self.caches {
            c.counts.insert(key, count);
        }
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Reply;
    use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, EntityTrait, Set};
    use ccgate_plugin_sdk::serde_json::json;

    use super::*;
    use crate::api::{
        add_bulk_phone_numbers, add_phone_number, list_phone_numbers_v2020, modify_phone_number,
        remove_phone_number,
    };
    use crate::storage::phone_number;
    use crate::testutil::{FLOW_A, Harness, INSTANCE, OTHER_INSTANCE};

    fn key(instance: &str, generation: u64, pattern: Option<&str>, number: u64) -> PageKey {
        PageKey {
            count: CountKey {
                instance: instance.into(),
                generation,
                filter: ListFilter {
                    pattern: pattern.map(str::to_string),
                    usage: None,
                    active: None,
                },
            },
            number,
            size: 20,
        }
    }

    fn page(n: u64) -> CachedPage {
        CachedPage {
            born: Instant::now(),
            reply: SharedReply::new(Reply::empty().with("TotalCount", json!(n))),
        }
    }

    #[test]
    fn hit_after_miss_and_keys_do_not_collide() {
        let c = ListCache::new(Duration::from_secs(60));
        let k = key(INSTANCE, 0, None, 1);
        assert!(c.page(&k).is_none());
        c.put_page(k.clone(), page(7));
        assert_eq!(c.page(&k).unwrap().reply.json(), r#"{"TotalCount":7}"#);
        // Every key component matters.
        for other in [
            key(INSTANCE, 0, Some("138"), 1),
            key(INSTANCE, 0, None, 2),
            key(OTHER_INSTANCE, 0, None, 1),
            key(INSTANCE, 1, None, 1),
            PageKey {
                size: 10,
                ..k.clone()
            },
        ] {
            assert!(c.page(&other).is_none(), "{other:?}");
        }
    }

    #[test]
    fn invalidation_bumps_only_that_instance() {
        let c = ListCache::new(Duration::from_secs(60));
        assert_eq!(c.generation(INSTANCE), 0);
        c.invalidate(INSTANCE);
        assert_eq!(c.generation(INSTANCE), 1);
        assert_eq!(c.generation(OTHER_INSTANCE), 0);
        c.invalidate(INSTANCE);
        assert_eq!(c.generation(INSTANCE), 2);
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let ttl = Duration::from_millis(30);
        let c = ListCache::new(ttl);
        let k = key(INSTANCE, 0, None, 1);
        c.put_page(k.clone(), page(1));
        let ck = k.count.clone();
        c.put_count(
            ck.clone(),
            CachedCount {
                born: Instant::now(),
                total: 1,
            },
        );
        assert!(c.page(&k).is_some());
        assert!(c.count(&ck).is_some());
        std::thread::sleep(ttl * 3);
        assert!(c.page(&k).is_none());
        assert!(c.count(&ck).is_none());
        // Data older than the TTL is never served, even if just inserted.
        c.put_page(
            k.clone(),
            CachedPage {
                born: Instant::now() - ttl,
                ..page(1)
            },
        );
        assert!(c.page(&k).is_none());
    }

    #[test]
    fn zero_ttl_disables_the_cache() {
        let c = ListCache::new(Duration::ZERO);
        assert!(!c.is_enabled());
        let k = key(INSTANCE, 0, None, 1);
        c.put_page(k.clone(), page(1));
        assert!(c.page(&k).is_none());
    }

    #[test]
    fn memory_is_bounded() {
        // Each page is 16 bytes of JSON: {"TotalCount":N} with N < 10.
        let c = ListCache::with_capacity(Duration::from_secs(60), 100, 10);
        for n in 1..=100 {
            c.put_page(key(INSTANCE, 0, None, n), page(n % 10));
        }
        let caches = c.caches.as_ref().unwrap();
        caches.pages.run_pending_tasks();
        assert!(caches.pages.weighted_size() <= 100, "{c:?}");
        assert!(caches.pages.entry_count() <= 6, "{c:?}");
    }

    // --- through the plugin: list, change the database behind the cache's back, list ----------

    /// The numbers of a 2020 list page (all filters as given).
    async fn listed(h: &Harness, extra: &[(&str, &str)]) -> Vec<String> {
        let mut pairs = vec![("PageNumber", "1"), ("PageSize", "20")];
        pairs.extend_from_slice(extra);
        let v = h
            .call(list_phone_numbers_v2020::SPEC, &pairs)
            .await
            .unwrap();
        let list = v["Data"]["List"].as_array().unwrap();
        assert_eq!(v["Data"]["TotalCount"], list.len(), "{v}");
        list.iter()
            .map(|n| n["Number"].as_str().unwrap().to_string())
            .collect()
    }

    /// Renames a number directly in the database: no invalidation, so a cached page keeps the
    /// old number. This is how the tests see whether a page came from the cache.
    async fn rename_behind_the_cache(h: &Harness, from: &str, to: &str) {
        let row = phone_number::Entity::find()
            .all(&h.env.db)
            .await
            .unwrap()
            .into_iter()
            .find(|n| n.number == from)
            .unwrap();
        let mut am: phone_number::ActiveModel = row.into();
        am.number = Set(to.to_string());
        am.update(&h.env.db).await.unwrap();
    }

    async fn seeded() -> (Harness, String) {
        let h = Harness::new().await;
        let id = h.add("02160664656", "Inbound", None).await;
        assert_eq!(listed(&h, &[]).await, ["02160664656"], "miss");
        rename_behind_the_cache(&h, "02160664656", "02160664657").await;
        assert_eq!(
            listed(&h, &[]).await,
            ["02160664656"],
            "hit: stale on purpose"
        );
        (h, id)
    }

    #[tokio::test]
    async fn plugin_hits_after_a_miss_and_filters_do_not_collide() {
        let (h, _) = seeded().await;
        // Other filters and pages are other entries: they read the database.
        assert_eq!(
            listed(&h, &[("SearchPattern", "0216")]).await,
            ["02160664657"]
        );
        assert_eq!(listed(&h, &[("Usage", "Inbound")]).await, ["02160664657"]);
        assert_eq!(listed(&h, &[("Active", "true")]).await, ["02160664657"]);
        assert!(listed(&h, &[("Active", "false")]).await.is_empty());
        let v = h
            .call(
                list_phone_numbers_v2020::SPEC,
                &[("PageNumber", "1"), ("PageSize", "10")],
            )
            .await
            .unwrap();
        assert_eq!(v["Data"]["List"][0]["Number"], "02160664657");
        // An empty filter is the same request as no filter.
        assert_eq!(
            listed(&h, &[("SearchPattern", ""), ("Usage", "")]).await,
            ["02160664656"]
        );
        // Another instance has its own entries.
        let v = h
            .call_in(
                list_phone_numbers_v2020::SPEC,
                OTHER_INSTANCE,
                &[("PageNumber", "1"), ("PageSize", "20")],
            )
            .await
            .unwrap();
        assert_eq!(v["Data"]["TotalCount"], 0);
    }

    #[tokio::test]
    async fn add_phone_number_invalidates() {
        let (h, _) = seeded().await;
        h.add("01086394552", "Outbound", None).await;
        assert_eq!(listed(&h, &[]).await, ["01086394552", "02160664657"]);
    }

    #[tokio::test]
    async fn add_bulk_phone_numbers_invalidates() {
        let (h, _) = seeded().await;
        h.call(
            add_bulk_phone_numbers::SPEC,
            &[("PhoneNumber.1", "01086394552"), ("Usage", "Outbound")],
        )
        .await
        .unwrap();
        assert_eq!(listed(&h, &[]).await, ["01086394552", "02160664657"]);
    }

    #[tokio::test]
    async fn modify_phone_number_invalidates() {
        let (h, id) = seeded().await;
        h.call(
            modify_phone_number::SPEC,
            &[
                ("PhoneNumberId", &id),
                ("Usage", "Bidirection"),
                ("ContactFlowId", FLOW_A),
            ],
        )
        .await
        .unwrap();
        let v = h
            .call(
                list_phone_numbers_v2020::SPEC,
                &[("PageNumber", "1"), ("PageSize", "20")],
            )
            .await
            .unwrap();
        let item = &v["Data"]["List"][0];
        assert_eq!(item["Number"], "02160664657");
        assert_eq!(item["Usage"], "Bidirection");
        assert_eq!(item["ContactFlowName"], "Welcome");
    }

    #[tokio::test]
    async fn remove_phone_number_invalidates() {
        let (h, id) = seeded().await;
        h.call(remove_phone_number::SPEC, &[("PhoneNumberId", &id)])
            .await
            .unwrap();
        assert!(listed(&h, &[]).await.is_empty());
    }

    #[tokio::test]
    async fn a_failed_write_invalidates_too() {
        let (h, _) = seeded().await;
        let e = h
            .call(
                add_phone_number::SPEC,
                &[("PhoneNumber", "02160664657"), ("Usage", "Inbound")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "Conflict.PhoneNumber");
        assert_eq!(listed(&h, &[]).await, ["02160664657"]);
    }

    #[tokio::test]
    async fn writes_to_another_instance_keep_this_instance_cached() {
        let (h, _) = seeded().await;
        h.add_in(OTHER_INSTANCE, "01086394552", "Outbound", None)
            .await;
        assert_eq!(listed(&h, &[]).await, ["02160664656"], "still cached");
    }

    #[tokio::test]
    async fn plugin_entries_expire_after_the_ttl() {
        let ttl = Duration::from_millis(50);
        let h = Harness::with_list_cache_ttl(ttl).await;
        h.add("02160664656", "Inbound", None).await;
        assert_eq!(listed(&h, &[]).await, ["02160664656"]);
        rename_behind_the_cache(&h, "02160664656", "02160664657").await;
        std::thread::sleep(ttl * 3);
        assert_eq!(listed(&h, &[]).await, ["02160664657"]);
    }

    #[tokio::test]
    async fn plugin_without_cache_always_reads_the_database() {
        let h = Harness::with_list_cache_ttl(Duration::ZERO).await;
        h.add("02160664656", "Inbound", None).await;
        assert_eq!(listed(&h, &[]).await, ["02160664656"]);
        rename_behind_the_cache(&h, "02160664656", "02160664657").await;
        assert_eq!(listed(&h, &[]).await, ["02160664657"]);
    }
}
