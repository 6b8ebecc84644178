//! What a closed window's reports and trends are built from: its cells (scored under the
//! current rules first, if they can be), its questionnaire, and the rules its aggregates were
//! scored with.

use super::aggregates::{self, Cell};
use super::climate::{self, ClimateReport, Context, Scope};
use super::rescoring;
use crate::authz::Visible;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::seal::SealKeys;
use crate::surveys::models::{InstrumentRow, ItemRow, WindowRow};
use crate::surveys::queries as surveys;

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
    rescoring::rescore_if_stale(conn, window, keys)?;
    let cells = aggregates::cells_of(conn, &closed, keys)?;
    let instrument = surveys::published_instrument(conn, &window.instrument_id)?;
    let items = surveys::instrument_items(conn, &instrument.id)?;
    let scoring_rules_version = aggregates::scoring_rules_version(conn, &window.id)?;
    Ok(WindowInputs {
        cells,
        instrument,
        items,
        scoring_rules_version,
    })
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
