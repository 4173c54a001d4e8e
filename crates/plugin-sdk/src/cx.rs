//! `Cx`: what a generated `dispatch` hands an action's handler — the request's [`Context`] and
//! the plugin's own state (its settings, caches, ...), typed.
//!
//! A handler is `pub async fn handle(ctx: &Cx<'_, State>, req: Request) -> ApiResult<Response>`
//! (each plugin's `api` module names its `Cx` type as `api::Ctx`). `Cx` dereferences to
//! [`Context`], so `ctx.db`, `ctx.instance()` and `ctx.services` read as before.

use std::ops::Deref;
use std::time::Instant;

use crate::cache::{Invalidate, Lookup};
use crate::context::Context;

/// The request context and the serving plugin's state `S`.
#[derive(Debug)]
pub struct Cx<'a, S> {
    ctx: &'a Context,
    state: &'a S,
    /// The list-cache lookup of a cached action.
    lookup: Option<&'a Lookup>,
    /// The list-cache guard of a write action.
    invalidate: Option<&'a Invalidate<'a>>,
}

impl<'a, S> Cx<'a, S> {
    /// Pairs a request context with the plugin's state.
    pub fn new(ctx: &'a Context, state: &'a S) -> Self {
        Self {
            ctx,
            state,
            lookup: None,
            invalidate: None,
        }
    }

    /// The same, for an action whose reply is cached: `lookup` records how old its data is
    /// and which items it shows (see [`crate::cache`]).
    pub fn cached(ctx: &'a Context, state: &'a S, lookup: &'a Lookup) -> Self {
        Self {
            lookup: Some(lookup),
            ..Self::new(ctx, state)
        }
    }

    /// The same, for a write action whose end invalidates cached lists: `invalidate` is told
    /// what the write changed (see [`crate::cache`]).
    pub fn writing(ctx: &'a Context, state: &'a S, invalidate: &'a Invalidate<'a>) -> Self {
        Self {
            invalidate: Some(invalidate),
            ..Self::new(ctx, state)
        }
    }

    /// Tells the list cache that the reply uses data read at `at` (e.g. a cached count), so
    /// the cached page expires a TTL after `at`. A no-op for actions that are not cached.
    pub fn data_read_at(&self, at: Instant) {
        if let Some(lookup) = self.lookup {
            lookup.age().read_at(at);
        }
    }

    /// Tells the list cache which items (by key, e.g. the `PhoneNumberId`s of a page) the
    /// reply shows, so a write that changes another item in place
    /// ([`Cx::changed_item_only`]) keeps it. Say it only for a list that such a change cannot
    /// reorder, grow or shrink (no filter on a field the change may touch). A no-op for
    /// actions that are not cached.
    pub fn shows_items<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        if let Some(lookup) = self.lookup {
            lookup.shows_items(keys);
        }
    }

    /// Tells the list cache that this write changed only the item keyed `key`, in place: it
    /// stays in the same lists, at the same place, and no total changes (e.g.
    /// ModifyPhoneNumber). Cached replies that said which items they show and do not show it
    /// are kept; the others are dropped as after any write. Call it once the change is
    /// committed; naming two items drops everything. A no-op for other actions.
    pub fn changed_item_only(&self, key: &str) {
        if let Some(invalidate) = self.invalidate {
            invalidate.changed_item_only(key);
        }
    }

    /// The plugin's state.
    pub fn state(&self) -> &'a S {
        self.state
    }

    /// The request context.
    pub fn context(&self) -> &'a Context {
        self.ctx
    }
}

impl<S> Clone for Cx<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Cx<'_, S> {}

impl<S> Deref for Cx<'_, S> {
    type Target = Context;

    fn deref(&self) -> &Context {
        self.ctx
    }
}
