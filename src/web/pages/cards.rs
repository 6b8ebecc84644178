//! Login cards for a school administrator: activation codes for a class or a grade, issued
//! through the rosters domain (`rosters::activation::issue_for`: on the record, only hashes
//! stored) and shown once, as cards to print and hand out.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::accounts::RosterAdmins;
use crate::dates::today;
use crate::error::ApiError;
use crate::rosters::activation::{issue_for, IssueCodes, IssuedCode};
use crate::rosters::classes::visible_classes;
use crate::rosters::dto::ClassFilter;
use crate::rosters::models::Class;
use crate::state::AppState;
use crate::web::forms::FormFields;
use crate::web::page::{field_message, render, text, Frame, Viewer, WebError};

#[derive(Template)]
#[template(path = "staff/cards_form.html")]
struct CardsForm {
    frame: Frame,
    classes: Vec<Class>,
    class_id: String,
    grade: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/cards.html")]
struct Cards {
    frame: Frame,
    codes: Vec<IssuedCode>,
    sign_in_at: String,
}

async fn school_classes(
    state: &AppState,
    viewer: &Viewer<RosterAdmins>,
) -> Result<Vec<Class>, ApiError> {
    let caller = (**viewer).clone();
    state
        .db
        .run(move |conn| {
            let term = crate::rosters::queries::current_term(conn, &caller.district_id, today())?;
            let filter = ClassFilter {
                school_id: caller.school_id.clone(),
                term_id: term.map(|t| t.id),
                teacher_id: None,
                grade: None,
                active: Some(true),
                q: None,
                updated_since: None,
                page: Some(1),
                limit: Some(200),
            };
            Ok(visible_classes(conn, &caller, &filter)?.items)
        })
        .await
}

/// The form: a class or a grade of the school.
pub async fn form(
    state: web::Data<AppState>,
    viewer: Viewer<RosterAdmins>,
) -> Result<HttpResponse, WebError> {
    let classes = school_classes(&state, &viewer).await?;
    render(
        StatusCode::OK,
        &CardsForm {
            frame: Frame::new(&viewer, text().cards_title, "/login-cards"),
            classes,
            class_id: String::new(),
            grade: String::new(),
            error: None,
        },
    )
}

/// Issues the codes and shows the cards (once: the page is never stored).
pub async fn issue(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    viewer: Viewer<RosterAdmins>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let t = text();
    let class_id = form.get("class_id").unwrap_or("").to_owned();
    let grade = form.get("grade").unwrap_or("").to_owned();
    let Some(school_id) = viewer.school_id.clone() else {
        return Err(
            ApiError::forbidden("login cards are issued by a school's administrators").into(),
        );
    };
    if class_id.is_empty() == grade.is_empty() {
        let classes = school_classes(&state, &viewer).await?;
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &CardsForm {
                frame: Frame::new(&viewer, t.cards_title, "/login-cards"),
                classes,
                class_id,
                grade,
                error: Some(t.cards_choose.to_owned()),
            },
        );
    }
    let body = IssueCodes {
        class_id: (!class_id.is_empty()).then(|| class_id.clone()),
        grade: grade.parse().ok(),
        user_ids: None,
        include_activated: form.get("include_activated").is_some(),
        expires_in_days: None,
    };
    let outcome = match validator::Validate::validate(&body) {
        Err(e) => Err(ApiError::from(e)),
        Ok(()) => {
            let who = viewer.who.clone();
            state
                .db
                .write(move |conn| issue_for(conn, &who, &school_id, &body))
                .await
        }
    };
    match outcome {
        Ok(codes) => {
            let info = req.connection_info();
            let sign_in_at = state
                .config
                .public_base_url()
                .unwrap_or_else(|| format!("{}://{}", info.scheme(), info.host()));
            render(
                StatusCode::OK,
                &Cards {
                    frame: Frame::new(&viewer, t.cards_title, "/login-cards"),
                    codes,
                    sign_in_at,
                },
            )
        }
        Err(e) => {
            let Some(message) = field_message(&e) else {
                return Err(e.into());
            };
            let classes = school_classes(&state, &viewer).await?;
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CardsForm {
                    frame: Frame::new(&viewer, t.cards_title, "/login-cards"),
                    classes,
                    class_id,
                    grade,
                    error: Some(if message.is_empty() {
                        t.cards_choose.to_owned()
                    } else {
                        message
                    }),
                },
            )
        }
    }
}
