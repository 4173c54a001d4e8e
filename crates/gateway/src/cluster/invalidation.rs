//! Cache invalidation between replicas: messages on the Redis channel `<prefix>:invalidate`,
//! one line of tab-separated fields, the sending replica first (each replica ignores its own):
//!
//! - `<replica>\tauth`: AccessKeys, instances, VDNs or revoked tokens changed; empty the
//!   caches of [`crate::auth::keys::KeyStore`].
//! - `<replica>\tlists\t<plugin>\t<instance>`: a write of `<plugin>` in `<instance>` ended;
//!   drop that instance's cached list pages.
//!
//! A replica whose subscription breaks resubscribes after a back-off (at most 1 s) and then
//! empties its auth caches: what it may have missed cannot be served stale.

use std::sync::Arc;
use std::time::Duration;

use ccgate_plugin_sdk::StopSignal;
use futures::StreamExt;

use super::Cluster;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    /// AccessKeys, instances, VDNs or revoked tokens.
    Auth,
    /// A write of `plugin` in `instance` ended.
    Lists {
        /// The plugin whose list cache holds the pages.
        plugin: String,
        /// The instance written.
        instance: String,
    },
}

impl Invalidation {
    /// The message `replica` sends for it.
    pub fn encode(&self, replica: &str) -> String {
        match self {
            Invalidation::Auth => format!("{replica}\tauth"),
            Invalidation::Lists { plugin, instance } => {
                format!("{replica}\tlists\t{plugin}\t{instance}")
            }
        }
    }

    /// Parses a message: the sender and what changed; `None` for a malformed one (logged by
    /// the caller and ignored).
    pub fn decode(msg: &str) -> Option<(&str, Invalidation)> {
        let mut parts = msg.split('\t');
        let replica = parts.next()?;
        let what = match (parts.next()?, parts.next(), parts.next(), parts.next()) {
            ("auth", None, None, None) => Invalidation::Auth,
            ("lists", Some(plugin), Some(instance), None) => Invalidation::Lists {
                plugin: plugin.to_string(),
                instance: instance.to_string(),
            },
            _ => return None,
        };
        Some((replica, what))
    }
}

/// What a replica does when another one announces a change.
#[async_trait::async_trait]
pub trait Sink: Send + Sync + 'static {
    /// Empty the AccessKey/instance/token caches (also after a broken subscription).
    fn auth_changed(&self);
    /// Drop `instance`'s cached list pages in `plugin`.
    async fn lists_changed(&self, plugin: &str, instance: &str);
}

impl Cluster {
    /// Starts the publisher (sends what [`Cluster::publish`] queued, in order) and the
    /// subscriber (applies the other replicas' messages to `sink`) until `stop`.
    pub fn start_invalidation(
        self: &Arc<Self>,
        sink: Arc<dyn Sink>,
        stop: StopSignal,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let publisher = {
            let me = Arc::clone(self);
            let stop = stop.clone();
            tokio::spawn(async move {
                let Some(mut queue) = me.published.lock().await.take() else {
                    return;
                };
                loop {
                    let what = tokio::select! {
                        what = queue.recv() => match what { Some(w) => w, None => return },
                        _ = stop.raised() => return,
                    };
                    if let Err(e) = me.publish_now(&what).await {
                        tracing::warn!(error = %e.0, ?what, "could not announce a change to the other replicas; they see it within the caches' TTL");
                    }
                }
            })
        };
        let subscriber = {
            let me = Arc::clone(self);
            tokio::spawn(async move { me.subscribe(sink, stop).await })
        };
        vec![publisher, subscriber]
    }

    async fn subscribe(self: Arc<Self>, sink: Arc<dyn Sink>, stop: StopSignal) {
        let channel = self.channel();
        let mut backoff = Duration::from_millis(50);
        while !stop.is_raised() {
            match self.client.get_async_pubsub().await {
                Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                    Ok(()) => {
                        // Anything announced while this replica was not listening is lost:
                        // start from an empty auth cache.
                        sink.auth_changed();
                        backoff = Duration::from_millis(50);
                        tracing::info!(%channel, "listening for the other replicas' changes");
                        let mut messages = pubsub.on_message();
                        loop {
                            let msg = tokio::select! {
                                msg = messages.next() => msg,
                                _ = stop.raised() => return,
                            };
                            let Some(msg) = msg else { break };
                            let Ok(text) = msg.get_payload::<String>() else {
                                continue;
                            };
                            match Invalidation::decode(&text) {
                                Some((from, _)) if from == self.replica => {}
                                Some((_, Invalidation::Auth)) => sink.auth_changed(),
                                Some((_, Invalidation::Lists { plugin, instance })) => {
                                    sink.lists_changed(&plugin, &instance).await
                                }
                                None => {
                                    tracing::warn!(message = %text.escape_debug(), "malformed invalidation message ignored")
                                }
                            }
                        }
                        tracing::warn!(%channel, "lost the invalidation channel; resubscribing");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not subscribe to the invalidation channel")
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "could not connect to Redis for invalidations")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.raised() => return,
            }
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_malformed_ones_are_refused() {
        for what in [
            Invalidation::Auth,
            Invalidation::Lists {
                plugin: "numbers".into(),
                instance: "ccc-test".into(),
            },
        ] {
            let msg = what.encode("r-1");
            assert_eq!(Invalidation::decode(&msg), Some(("r-1", what)));
        }
        for bad in [
            "",
            "r-1",
            "r-1\tnope",
            "r-1\tauth\textra",
            "r-1\tlists\tnumbers",
        ] {
            assert_eq!(Invalidation::decode(bad), None, "{bad:?}");
        }
    }
}
