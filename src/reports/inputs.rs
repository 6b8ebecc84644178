//! What a closed window's reports and trends are built from: its cells (scored under the
//! current rules first, if they can be), its questionnaire, and the rules its aggregates were
//! scored with.

use diesel::Connection;

use super::aggregates::{self, Cell};
use super::climate::{self, ClimateReport, Context, Scope};
use crate::authz::Visible;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::seal::SealKeys;
use crate::surveys::models::{InstrumentRow, ItemRow, WindowRow};
use crate::surveys::queries as surveys;
use crate::surveys::scoring::SCORING_RULES_VERSION;

/// What a closed window's reports are built from.
pub struct WindowInputs {
    pub cells: Vec<Cell>,
    pub instrument: InstrumentRow,
    pub items: Vec<ItemRow>,
    pub scoring_rules_version: String,
}

impl WindowInputs {
    pub fn context<'a>(&'a self, window: &'a WindowRow) -> Context<'a> {
        Context {
            window,
            instrument: &self.instrument,
            items: &self.items,
            scoring_rules_version: &self.scoring_rules_version,
        }
    }
}

/// The inputs of a closed window (409 until its box is opened).
pub fn window_inputs(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    keys: &SealKeys,
) -> Result<WindowInputs, ApiError> {
    let closed = aggregates::closed(window, db::now())?;
    rescore_if_stale(conn, window, keys)?;
    let cells = aggregates::cells_of(conn, &closed, keys)?;
    let instrument = surveys::published_instrument(conn, &window.instrument_id)?;
    let items = surveys::instrument_items(conn, &instrument.id)?;
    let scoring_rules_version = scoring_rules_version(conn, &window.id)?;
    Ok(WindowInputs {
        cells,
        instrument,
        items,
        scoring_rules_version,
    })
}

/// The rules the window's aggregates were scored with (the current ones before opening).
pub fn scoring_rules_version(conn: &mut DbConnection, window_id: &str) -> Result<String, ApiError> {
    Ok(aggregates::scoring_version(conn, window_id)?
        .unwrap_or_else(|| SCORING_RULES_VERSION.to_owned()))
}

/// One report of a closed window, assembled now.
pub fn assembled(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    scope: Scope,
    keys: &SealKeys,
) -> Result<ClimateReport, ApiError> {
    let mut inputs = window_inputs(conn, window, keys)?;
    let cells = std::mem::take(&mut inputs.cells);
    Ok(climate::assemble(&inputs.context(window), cells, scope))
}

/// Scores the window again if its aggregates are of older scoring rules (which also renders
/// its reports anew). If that fails (say its seal key is not configured here), the report is
/// rendered from the aggregates as they are and names the rules they were built with.
pub fn rescore_if_stale(
    conn: &mut DbConnection,
    window: &WindowRow,
    keys: &SealKeys,
) -> Result<(), ApiError> {
    let stale =
        aggregates::scoring_version(conn, &window.id)?.is_some_and(|v| v != SCORING_RULES_VERSION);
    if !stale {
        return Ok(());
    }
    // A savepoint, so that a failure leaves the caller's transaction usable.
    let rescored = conn.transaction(|c| super::rescoring::rescore(c, window, keys));
    match rescored {
        Ok(_) => Ok(()),
        Err(ApiError::Unavailable) => Err(ApiError::Unavailable),
        Err(e) => {
            tracing::warn!(window_id = %window.id, error = %e, "could not score the window again under the current rules");
            Ok(())
        }
    }
}
