//! `Cx`: what a generated `dispatch` hands an action's handler — the request's [`Context`] and
//! the plugin's own state (its settings, caches, ...), typed.
//!
//! A handler is `pub async fn handle(ctx: &Cx<'_, State>, req: Request) -> ApiResult<Response>`
//! (each plugin's `api` module names its `Cx` type as `api::Ctx`). `Cx` dereferences to
//! [`Context`], so `ctx.db`, `ctx.instance()` and `ctx.services` read as before.

use std::ops::Deref;
use std::time::Instant;

use crate::cache::DataAge;
use crate::context::Context;

/// The request context and the serving plugin's state `S`.
#[derive(Debug)]
pub struct Cx<'a, S> {
    ctx: &'a Context,
    state: &'a S,
    age: Option<&'a DataAge>,
}

impl<'a, S> Cx<'a, S> {
    /// Pairs a request context with the plugin's state.
    pub fn new(ctx: &'a Context, state: &'a S) -> Self {
        Self {
            ctx,
            state,
            age: None,
        }
    }

    /// The same, for an action whose reply is cached: `age` records how old its data is
    /// (see [`crate::cache`]).
    pub fn cached(ctx: &'a Context, state: &'a S, age: &'a DataAge) -> Self {
        Self {
            ctx,
            state,
            age: Some(age),
        }
    }

    /// Tells the list cache that the reply uses data read at `at` (e.g. a cached count), so
    /// the cached page expires a TTL after `at`. A no-op for actions that are not cached.
    pub fn data_read_at(&self, at: Instant) {
        if let Some(age) = self.age {
            age.read_at(at);
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
