//! Page-numbered lists with a stable order (every list sorts on a unique key last).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// Gives a list's query struct, which has the `page` and `limit` fields of [`PageQuery`] (same
/// documentation, validation and bounds), its `paging()`: `paged!(ClassFilter);`.
macro_rules! paged {
    ($name:ident) => {
        impl $name {
            pub fn paging(&self) -> $crate::pagination::PageParams {
                $crate::pagination::PageParams {
                    page: self.page,
                    limit: self.limit,
                }
            }
        }
    };
}
pub(crate) use paged;

/// The query of a list that takes nothing but paging.
#[derive(Debug, Clone, Copy, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Page number, starting at 1.
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Items per page (default 50, at most 200).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

paged!(PageQuery);

/// The `page` and `limit` query parameters every list takes.
#[derive(Debug, Clone, Copy)]
pub struct PageParams {
    pub page: Option<i64>,
    pub limit: Option<i64>,
}

impl PageParams {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }

    pub fn offset(&self) -> i64 {
        (self.page() - 1) * self.limit()
    }

    pub fn wrap<T>(&self, items: Vec<T>, total: i64) -> Page<T> {
        Page {
            items,
            page: self.page(),
            limit: self.limit(),
            total,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[schema(minimum = 1, maximum = 1000000)]
    pub page: i64,
    #[schema(minimum = 1, maximum = 200)]
    pub limit: i64,
    /// Number of items across all pages.
    #[schema(minimum = 0)]
    pub total: i64,
}
