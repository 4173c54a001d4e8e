//! The value of each configuration item in effect at a scope: the value set there, else the
//! instance's (for a skill group or a user), else the item's documented default.

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::items::{Item, Scope};
use crate::scope::Target;
use crate::storage::config_items;

/// A value in effect and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// The item.
    pub item: &'static Item,
    /// Its value.
    pub value: String,
    /// The scope it was set at; `None` for the documented default.
    pub from: Option<(Scope, String)>,
}

/// The values in effect at `target` of each of `items` (in their order). Two indexed reads at
/// most (the target's values and the instance's).
///
/// Errors: storage failures.
pub async fn effective(
    ctx: &Context,
    target: &Target,
    items: &[&'static Item],
) -> ApiResult<Vec<Effective>> {
    let instance = ctx.instance();
    let own = config_items::at(&ctx.db, instance, target.scope.as_str(), &target.object_id).await?;
    let inherited = if target.scope == Scope::Instance {
        Default::default()
    } else {
        config_items::at(&ctx.db, instance, Scope::Instance.as_str(), instance).await?
    };
    Ok(items
        .iter()
        .map(|item| {
            if let Some(v) = own.get(item.name) {
                Effective {
                    item,
                    value: v.clone(),
                    from: Some((target.scope, target.object_id.clone())),
                }
            } else if let Some(v) = inherited.get(item.name) {
                Effective {
                    item,
                    value: v.clone(),
                    from: Some((Scope::Instance, instance.to_string())),
                }
            } else {
                Effective {
                    item,
                    value: item.default.to_string(),
                    from: None,
                }
            }
        })
        .collect())
}
