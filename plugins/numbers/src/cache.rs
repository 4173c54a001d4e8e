//! The caches of 2020-07-01 ListPhoneNumbers.
//!
//! # Pages
//!
//! Pages are kept by the SDK's list cache ([`ccgate_plugin_sdk::cache`]), switched on in the
//! specs: `list_cache = "serve"` on ListPhoneNumbers 2020-07-01 and `list_cache = "invalidate"`
//! on AddPhoneNumber, AddBulkPhoneNumbers, ModifyPhoneNumber and RemovePhoneNumber. Its
//! contract holds here: every write of this plugin invalidates its instance when it ends (also
//! when it fails with a server error or is cancelled; a refused one, 4xx, keeps the pages), and
//! so does every write of the flows plugin (`ContactFlowName` comes from its `get` query, so
//! codegen makes its writes drop these pages too); other replicas' writes show within the
//! TTL, or at once with `[cluster]`: the `list_cache_ttl_ms` setting ([`crate::Settings`],
//! default 1 s; 0 disables caching).
//!
//! # Counts
//!
//! Without filters, `TotalCount` is the instance's count in `numbers_instance_counts`, kept by
//! the transactions that insert and delete numbers ([`crate::storage::instance_counts`]): one
//! primary-key read, whatever the instance's size. With filters it is a `SELECT COUNT(*)` over
//! the matching index entries ([`crate::storage::phone_numbers::count`]).
//!
//! [`CountCache`] keeps `TotalCount` per (instance, write generation, filters), so the pages of
//! one listing share one count read. A page built on a cached count is aged from when the count
//! was taken (`Cx::data_read_at`), so no answer is older than the TTL. Filters are keyed as the
//! handler normalises them (an empty parameter is the same as an absent one).
//!
//! Memory: at most [`MAX_CACHED_COUNTS`] counts, besides the SDK cache's bound on pages.
//!
//! # What a write costs readers
//!
//! Every write action (AddPhoneNumber, AddBulkPhoneNumbers, ModifyPhoneNumber,
//! RemovePhoneNumber) that was not refused bumps its instance's generation when it ends: all
//! cached pages and counts of that instance become unreachable; other instances keep theirs.
//! The next request for each page then rebuilds it (requests that miss one page together build
//! it once, `ccgate_plugin_sdk::cache::ListCache::build_slot`):
//!
//! - unfiltered: one page query off `(instance_id, number)` (`LIMIT`/`OFFSET`), one read of the
//!   page's skill groups, one `flows`/`get` call when the page has bound flows, rendering; and,
//!   when the page is full or past the end, the count: one primary-key read of
//!   `numbers_instance_counts` for the first such page after the write, the cached count for
//!   the later ones of the same generation (concurrent first misses each read it: still one
//!   indexed row each). No reader walks the instance's numbers: before M0003 the first full
//!   page after every write ran a `COUNT(*)` over the instance's index entries (~300 µs for
//!   10,000 numbers on SQLite), and every request that missed before that count was cached ran
//!   its own;
//! - filtered (`SearchPattern`, `Usage`, `Active`): the same, with one `COUNT(*)` over the
//!   matching index entries per filter set and generation instead of the primary-key read.
//!
//! What stays wider than the write: every page carries `TotalCount`, so an add or a removal
//! does change every unfiltered page of its instance (and each filtered list the number
//! matches), and dropping them all is exact for those. ModifyPhoneNumber changes one number in
//! place: it says so (`Cx::changed_item_only`), every unfiltered page says which numbers it
//! lists (`Cx::shows_items`), so only the unfiltered pages that list that number and the
//! filtered ones (a `Usage` filter may gain or lose it) are dropped. A refused write
//! (answered 4xx: validation, not found, conflict, all raised before anything is written)
//! keeps them all (`Invalidate::disarm` in the generated dispatch).

use std::time::{Duration, Instant};

/// Default TTL of cached pages and counts (the `list_cache_ttl_ms` setting).
pub const DEFAULT_TTL: Duration = Duration::from_secs(1);

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

impl ListFilter {
    /// No filter at all: every number of the instance (its `TotalCount` is the maintained
    /// count, [`crate::storage::instance_counts`]).
    pub fn is_none(&self) -> bool {
        self.pattern.is_none() && self.usage.is_none() && self.active.is_none()
    }
}

/// The key of a count: an instance's generation and the filters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountKey {
    /// Instance id.
    pub instance: String,
    /// The instance's list-cache generation when the reader started.
    pub generation: u64,
    /// The filters.
    pub filter: ListFilter,
}

/// A counted `TotalCount`.
#[derive(Debug, Clone, Copy)]
pub struct CachedCount {
    /// When it was counted.
    pub born: Instant,
    /// The count.
    pub total: u64,
}

/// Counts kept for the TTL; a zero TTL keeps nothing.
#[derive(Debug)]
pub struct CountCache {
    ttl: Duration,
    counts: Option<moka::sync::Cache<CountKey, CachedCount>>,
}

impl CountCache {
    /// A cache keeping counts for `ttl`, at most `max` of them.
    pub fn new(ttl: Duration, max: u64) -> Self {
        let counts = (!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(max)
                .build()
        });
        Self { ttl, counts }
    }

    /// The cached count for `key`, if it is younger than half the TTL. A page built on it is
    /// aged from the count's read (`Cx::data_read_at`); half the TTL keeps such a page from
    /// being due for a rebuild (`ccgate_plugin_sdk::cache::REFRESH_AFTER` of the TTL) as soon
    /// as it is stored.
    pub fn get(&self, key: &CountKey) -> Option<CachedCount> {
        self.counts
            .as_ref()?
            .get(key)
            .filter(|n| n.born.elapsed() < self.ttl / 2)
    }

    /// Stores a count (no-op when disabled).
    pub fn put(&self, key: CountKey, count: CachedCount) {
        if let Some(c) = &self.counts {
            c.insert(key, count);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, EntityTrait, Set};

    use super::*;
    use crate::api::{
        add_bulk_phone_numbers, add_phone_number, list_phone_numbers_v2020, modify_phone_number,
        remove_phone_number,
    };
    use crate::storage::phone_number;
    use crate::testutil::{FLOW_A, Harness, INSTANCE, OTHER_INSTANCE};

    fn key(instance: &str, generation: u64) -> CountKey {
        CountKey {
            instance: instance.into(),
            generation,
            filter: ListFilter {
                pattern: None,
                usage: None,
                active: None,
            },
        }
    }

    #[test]
    fn counts_expire_and_keys_do_not_collide() {
        let ttl = Duration::from_millis(60);
        let c = CountCache::new(ttl, 10);
        c.put(
            key(INSTANCE, 0),
            CachedCount {
                born: Instant::now(),
                total: 3,
            },
        );
        assert_eq!(c.get(&key(INSTANCE, 0)).unwrap().total, 3);
        assert!(c.get(&key(INSTANCE, 1)).is_none());
        assert!(c.get(&key(OTHER_INSTANCE, 0)).is_none());
        std::thread::sleep(ttl * 2);
        assert!(c.get(&key(INSTANCE, 0)).is_none());
        let off = CountCache::new(Duration::ZERO, 10);
        off.put(
            key(INSTANCE, 0),
            CachedCount {
                born: Instant::now(),
                total: 3,
            },
        );
        assert!(off.get(&key(INSTANCE, 0)).is_none());
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

    /// The numbers of page `page` with one number per page (all filters as given).
    async fn listed_page(h: &Harness, page: &str, extra: &[(&str, &str)]) -> Vec<String> {
        let mut pairs = vec![("PageNumber", page), ("PageSize", "1")];
        pairs.extend_from_slice(extra);
        let v = h
            .call(list_phone_numbers_v2020::SPEC, &pairs)
            .await
            .unwrap();
        v["Data"]["List"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                format!(
                    "{} {}",
                    n["Number"].as_str().unwrap(),
                    n["Usage"].as_str().unwrap()
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn modifying_a_number_drops_the_pages_that_list_it_and_the_filtered_ones_only() {
        let h = Harness::new().await;
        let first = h.add("02160664656", "Inbound", None).await;
        h.add("02160664658", "Inbound", None).await;
        assert_eq!(listed_page(&h, "1", &[]).await, ["02160664656 Inbound"]);
        assert_eq!(listed_page(&h, "2", &[]).await, ["02160664658 Inbound"]);
        let inbound = [("Usage", "Inbound")];
        assert_eq!(
            listed_page(&h, "1", &inbound).await,
            ["02160664656 Inbound"]
        );
        // Behind the cache: page 2 would now read 02160664659 if it were rebuilt.
        rename_behind_the_cache(&h, "02160664658", "02160664659").await;
        h.call(
            modify_phone_number::SPEC,
            &[("PhoneNumberId", &first), ("Usage", "Bidirection")],
        )
        .await
        .unwrap();
        assert_eq!(
            listed_page(&h, "1", &[]).await,
            ["02160664656 Bidirection"],
            "the page that lists the modified number is rebuilt"
        );
        assert_eq!(
            listed_page(&h, "2", &[]).await,
            ["02160664658 Inbound"],
            "a page that does not list it is kept"
        );
        assert_eq!(
            listed_page(&h, "1", &inbound).await,
            ["02160664659 Inbound"],
            "a Usage-filtered list may have lost it: rebuilt"
        );
        // Any other write still drops every page.
        h.add("01086394552", "Outbound", None).await;
        assert_eq!(listed_page(&h, "3", &[]).await, ["02160664659 Inbound"]);
    }

    #[tokio::test]
    async fn a_refused_write_keeps_the_pages_and_a_done_one_drops_them() {
        let (h, _) = seeded().await;
        let e = h
            .call(
                add_phone_number::SPEC,
                &[("PhoneNumber", "02160664657"), ("Usage", "Inbound")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "Conflict.PhoneNumber");
        assert_eq!(
            listed(&h, &[]).await,
            ["02160664656"],
            "a refused write (4xx) changed nothing: the cached page stays"
        );
        h.add("01086394552", "Outbound", None).await;
        assert_eq!(listed(&h, &[]).await, ["01086394552", "02160664657"]);
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
