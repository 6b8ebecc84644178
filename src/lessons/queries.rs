//! All lesson-library and assignment queries.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::dto::{MyAssignmentState, PlanFilter};
use super::models::{
    Assignment, AssignmentRow, AssignmentStatus, CompletionRow, LessonPlan, OwnerLevel,
    PlanContent, PlanRow, PlanSummary, StudentCompletion, VersionRow, VersionStatus,
};
use super::vocab::Emotion;
use crate::accounts::{Caller, Role};
use crate::authz::{Enrolled, Managed, Teaching, Visible};
use crate::db::schema::{
    assignments, classes, enrollments, lesson_completions, lesson_plan_versions as versions,
    lesson_plans as plans, users,
};
use crate::db::{self, DbBackend, DbConnection};
use crate::error::ApiError;
use crate::pagination::{Page, PageParams};

fn search_text(c: &PlanContent) -> String {
    format!("{} {} {}", c.title, c.summary, c.objectives.join(" ")).to_lowercase()
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

pub fn version_row(
    plan_id: &str,
    version: i32,
    status: VersionStatus,
    c: &PlanContent,
) -> VersionRow {
    let now = db::now();
    VersionRow {
        id: db::new_id(),
        plan_id: plan_id.to_owned(),
        version,
        status,
        title: c.title.trim().to_owned(),
        summary: c.summary.trim().to_owned(),
        competency: c.competency,
        component: c.component,
        grade_band: c.grade_band,
        duration_minutes: c.duration_minutes,
        objectives: json(&c.objectives),
        materials: json(&c.materials),
        steps: json(&c.steps),
        reflection_prompt: c.reflection_prompt.trim().to_owned(),
        search_text: search_text(c),
        published_at: (status == VersionStatus::Published).then_some(now),
        created_at: now,
        updated_at: now,
    }
}

pub fn insert_plan(
    conn: &mut DbConnection,
    plan: &PlanRow,
    version: &VersionRow,
) -> Result<(), ApiError> {
    diesel::insert_into(plans::table)
        .values(plan)
        .execute(conn)?;
    diesel::insert_into(versions::table)
        .values(version)
        .execute(conn)?;
    Ok(())
}

/// The newest published version and the working draft of a plan.
pub fn plan_versions(
    conn: &mut DbConnection,
    plan: &PlanRow,
) -> Result<(Option<VersionRow>, Option<VersionRow>), ApiError> {
    let published = match plan.latest_version {
        Some(v) => versions::table
            .filter(versions::plan_id.eq(&plan.id))
            .filter(versions::version.eq(v))
            .select(VersionRow::as_select())
            .first(conn)
            .optional()?,
        None => None,
    };
    let draft = versions::table
        .filter(versions::plan_id.eq(&plan.id))
        .filter(versions::status.eq(VersionStatus::Draft))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?;
    Ok((published, draft))
}

pub fn plan_view(
    conn: &mut DbConnection,
    plan: &PlanRow,
    editable: bool,
) -> Result<LessonPlan, ApiError> {
    let (published, draft) = plan_versions(conn, plan)?;
    Ok(LessonPlan {
        id: plan.id.clone(),
        owner_level: plan.owner_level,
        school_id: plan.school_id.clone(),
        created_by: plan.created_by.clone(),
        archived: plan.archived,
        editable,
        published: published.map(|v| v.to_api()),
        draft: if editable {
            draft.map(|v| v.to_api())
        } else {
            None
        },
        created_at: plan.created_at,
        updated_at: plan.updated_at,
    })
}

/// Writes `content` as the plan's draft: updates the existing draft, or starts a new draft
/// version after the newest published one.
pub fn save_draft(
    conn: &mut DbConnection,
    plan: &Managed<PlanRow>,
    content: &PlanContent,
) -> Result<(), ApiError> {
    let (_, draft) = plan_versions(conn, plan)?;
    match draft {
        Some(draft) => {
            let row = version_row(&plan.id, draft.version, VersionStatus::Draft, content);
            diesel::update(versions::table.find(&draft.id))
                .set((
                    versions::title.eq(&row.title),
                    versions::summary.eq(&row.summary),
                    versions::competency.eq(&row.competency),
                    versions::component.eq(&row.component),
                    versions::grade_band.eq(&row.grade_band),
                    versions::duration_minutes.eq(row.duration_minutes),
                    versions::objectives.eq(&row.objectives),
                    versions::materials.eq(&row.materials),
                    versions::steps.eq(&row.steps),
                    versions::reflection_prompt.eq(&row.reflection_prompt),
                    versions::search_text.eq(&row.search_text),
                    versions::updated_at.eq(row.updated_at),
                ))
                .execute(conn)?;
        }
        None => {
            let next = plan.latest_version.unwrap_or(0) + 1;
            let row = version_row(&plan.id, next, VersionStatus::Draft, content);
            diesel::insert_into(versions::table)
                .values(&row)
                .execute(conn)?;
        }
    }
    touch_plan(conn, &plan.id)
}

fn touch_plan(conn: &mut DbConnection, plan_id: &str) -> Result<(), ApiError> {
    diesel::update(plans::table.find(plan_id))
        .set(plans::updated_at.eq(db::now()))
        .execute(conn)?;
    Ok(())
}

pub fn set_archived(
    conn: &mut DbConnection,
    plan: &Managed<PlanRow>,
    archived: bool,
) -> Result<(), ApiError> {
    diesel::update(plans::table.find(&plan.id))
        .set((
            plans::archived.eq(archived),
            plans::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Freezes the draft as the newest published version.
pub fn publish(conn: &mut DbConnection, plan: &Managed<PlanRow>) -> Result<(), ApiError> {
    let (_, draft) = plan_versions(conn, plan)?;
    let draft = draft.ok_or_else(|| {
        ApiError::conflict(None, "the plan has no draft to publish; edit it first")
    })?;
    let now = db::now();
    diesel::update(versions::table.find(&draft.id))
        .set((
            versions::status.eq(VersionStatus::Published),
            versions::published_at.eq(Some(now)),
            versions::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(plans::table.find(&plan.id))
        .set((
            plans::latest_version.eq(Some(draft.version)),
            plans::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn search(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &PlanFilter,
) -> Result<Page<PlanSummary>, ApiError> {
    let status = filter.status.unwrap_or(VersionStatus::Published);
    let school = caller.school().unwrap_or_default().to_owned();
    let build = || {
        let mut q = plans::table
            .inner_join(versions::table)
            .filter(plans::district_id.eq(caller.district_id.clone()))
            .into_boxed::<DbBackend>();
        let mine = plans::owner_level
            .eq(OwnerLevel::Private)
            .and(plans::created_by.eq(caller.user_id.clone()));
        let own_school = plans::owner_level
            .eq(OwnerLevel::School)
            .and(plans::school_id.assume_not_null().eq(school.clone()));
        q = match status {
            VersionStatus::Published => {
                q = q
                    .filter(versions::status.eq(VersionStatus::Published))
                    .filter(versions::version.nullable().eq(plans::latest_version));
                match caller.role {
                    Role::DistrictAdmin => {
                        q.filter(plans::owner_level.ne(OwnerLevel::Private).or(mine))
                    }
                    _ => q.filter(
                        plans::owner_level
                            .eq(OwnerLevel::District)
                            .or(own_school)
                            .or(mine),
                    ),
                }
            }
            VersionStatus::Draft => {
                q = q.filter(versions::status.eq(VersionStatus::Draft));
                match caller.role {
                    Role::DistrictAdmin => {
                        q.filter(plans::owner_level.eq(OwnerLevel::District).or(mine))
                    }
                    Role::SchoolAdmin | Role::Counselor => q.filter(own_school.or(mine)),
                    _ => q.filter(mine),
                }
            }
        };
        q = q.filter(plans::archived.eq(filter.archived.unwrap_or(false)));
        if let Some(v) = filter.competency {
            q = q.filter(versions::competency.eq(v));
        }
        if let Some(v) = filter.component {
            q = q.filter(versions::component.eq(v));
        }
        if let Some(v) = filter.grade_band {
            q = q.filter(versions::grade_band.eq(v));
        }
        if let Some(v) = filter.max_duration {
            q = q.filter(versions::duration_minutes.le(v));
        }
        if let Some(v) = filter.owner {
            q = q.filter(plans::owner_level.eq(v));
        }
        for word in filter
            .q
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .take(8)
        {
            q = q.filter(
                versions::search_text
                    .like(crate::rosters::queries::contains_pattern(word))
                    .escape('\\'),
            );
        }
        q
    };
    let paging = filter.paging();
    let total = build().count().get_result(conn)?;
    let rows: Vec<(PlanRow, VersionRow)> = build()
        .order((versions::title.asc(), plans::id.asc()))
        .limit(paging.limit())
        .offset(paging.offset())
        .select((PlanRow::as_select(), VersionRow::as_select()))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(plan, v)| {
            let c = v.to_api();
            PlanSummary {
                plan_id: plan.id.clone(),
                version_id: v.id,
                version: v.version,
                status: c.status,
                owner_level: plan.owner_level,
                archived: plan.archived,
                title: c.content.title,
                summary: c.content.summary,
                competency: c.content.competency,
                component: c.content.component,
                grade_band: c.content.grade_band,
                duration_minutes: c.content.duration_minutes,
            }
        })
        .collect();
    Ok(paging.wrap(items, total))
}

/// The term of a class (callers hold a scope proof for the class or one of its assignments).
pub fn term_of_class(
    conn: &mut DbConnection,
    class_id: &str,
) -> Result<crate::rosters::models::Term, ApiError> {
    Ok(classes::table
        .inner_join(crate::db::schema::terms::table)
        .filter(classes::id.eq(class_id))
        .select(crate::rosters::models::Term::as_select())
        .first(conn)?)
}

pub fn insert_assignment(conn: &mut DbConnection, row: &AssignmentRow) -> Result<(), ApiError> {
    diesel::insert_into(assignments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Assignments with the pinned version's headline fields.
fn to_api(rows: Vec<(AssignmentRow, VersionRow)>) -> Vec<Assignment> {
    rows.into_iter()
        .map(|(a, v)| Assignment {
            status: a.status,
            plan_version: v.version,
            title: v.title,
            competency: v.competency,
            grade_band: v.grade_band,
            duration_minutes: v.duration_minutes,
            id: a.id,
            class_id: a.class_id,
            plan_id: a.plan_id,
            plan_version_id: a.plan_version_id,
            assigned_by: a.assigned_by,
            scheduled_on: a.scheduled_on,
            due_on: a.due_on,
            delivered_on: a.delivered_on,
            teacher_note: a.teacher_note,
            created_at: a.created_at,
            updated_at: a.updated_at,
        })
        .collect()
}

pub fn assignment_with_version(
    conn: &mut DbConnection,
    a: &AssignmentRow,
) -> Result<(Assignment, PlanContent), ApiError> {
    let version: VersionRow = versions::table
        .find(&a.plan_version_id)
        .select(VersionRow::as_select())
        .first(conn)?;
    let content = version.content();
    let assignment = to_api(vec![(a.clone(), version)]).remove(0);
    Ok((assignment, content))
}

pub fn list_class_assignments(
    conn: &mut DbConnection,
    class: &Visible<crate::rosters::models::ClassRow>,
    include_cancelled: bool,
    paging: PageParams,
) -> Result<Page<Assignment>, ApiError> {
    let build = || {
        let mut q = assignments::table
            .inner_join(versions::table)
            .filter(assignments::class_id.eq(class.id.clone()))
            .into_boxed::<DbBackend>();
        if !include_cancelled {
            q = q.filter(assignments::status.ne(AssignmentStatus::Cancelled));
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((assignments::scheduled_on.asc(), assignments::id.asc()))
        .limit(paging.limit())
        .offset(paging.offset())
        .select((AssignmentRow::as_select(), VersionRow::as_select()))
        .load(conn)?;
    Ok(paging.wrap(to_api(rows), total))
}

pub fn update_assignment(
    conn: &mut DbConnection,
    a: &Teaching<AssignmentRow>,
    changed: &AssignmentRow,
) -> Result<(), ApiError> {
    diesel::update(assignments::table.find(&a.id))
        .set((
            assignments::scheduled_on.eq(changed.scheduled_on),
            assignments::due_on.eq(changed.due_on),
            assignments::status.eq(&changed.status),
            assignments::delivered_on.eq(changed.delivered_on),
            assignments::teacher_note.eq(&changed.teacher_note),
            assignments::updated_at.eq(changed.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn completion_of(
    conn: &mut DbConnection,
    assignment_id: &str,
    student_id: &str,
) -> Result<Option<CompletionRow>, ApiError> {
    Ok(lesson_completions::table
        .find((assignment_id, student_id))
        .select(CompletionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Records the caller's completion; a second call updates it. Returns true when it was new.
/// Insert first, inside a savepoint: of two simultaneous first completions one inserts and
/// the other meets the primary key and updates instead, on both backends.
pub fn upsert_completion(
    conn: &mut DbConnection,
    a: &Enrolled<AssignmentRow>,
    student_id: &str,
    emotion: Option<Emotion>,
    reflection: Option<&str>,
) -> Result<bool, ApiError> {
    let now = db::now();
    let row = CompletionRow {
        assignment_id: a.id.clone(),
        student_id: student_id.to_owned(),
        emotion,
        reflection: reflection.map(str::to_owned),
        completed_at: now,
        updated_at: now,
    };
    let inserted = conn.transaction(|c| {
        diesel::insert_into(lesson_completions::table)
            .values(&row)
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if db::is_unique_violation(&e) => {
            diesel::update(lesson_completions::table.find((&a.id, student_id)))
                .set((
                    lesson_completions::emotion.eq(emotion),
                    lesson_completions::reflection.eq(reflection),
                    lesson_completions::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Completions with reflections, for the class's teachers only.
pub fn list_completions(
    conn: &mut DbConnection,
    a: &Teaching<AssignmentRow>,
    paging: PageParams,
) -> Result<Page<StudentCompletion>, ApiError> {
    let filtered =
        || lesson_completions::table.filter(lesson_completions::assignment_id.eq(a.id.clone()));
    let total = filtered().count().get_result(conn)?;
    let rows: Vec<(CompletionRow, String, String)> = filtered()
        .inner_join(users::table)
        .order((
            users::family_name.asc(),
            users::given_name.asc(),
            users::id.asc(),
        ))
        .limit(paging.limit())
        .offset(paging.offset())
        .select((
            CompletionRow::as_select(),
            users::given_name,
            users::family_name,
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(c, given_name, family_name)| StudentCompletion {
            given_name,
            family_name,
            completion: c.into(),
        })
        .collect();
    Ok(paging.wrap(items, total))
}

/// A student's lessons across the classes they are enrolled in, soonest first.
pub fn my_assignments(
    conn: &mut DbConnection,
    student_id: &str,
    state: Option<MyAssignmentState>,
    today: NaiveDate,
    paging: PageParams,
) -> Result<Page<(Assignment, String, Option<CompletionRow>)>, ApiError> {
    let build = || {
        let mut q = assignments::table
            .inner_join(versions::table)
            .inner_join(classes::table)
            .left_join(
                lesson_completions::table.on(lesson_completions::assignment_id
                    .eq(assignments::id)
                    .and(lesson_completions::student_id.eq(student_id.to_owned()))),
            )
            .filter(assignments::status.ne(AssignmentStatus::Cancelled))
            .filter(
                assignments::class_id.eq_any(
                    enrollments::table
                        .filter(enrollments::student_id.eq(student_id.to_owned()))
                        .filter(enrollments::active.eq(true))
                        .select(enrollments::class_id),
                ),
            )
            .into_boxed::<DbBackend>();
        q = match state {
            Some(MyAssignmentState::Done) => q.filter(lesson_completions::student_id.is_not_null()),
            Some(MyAssignmentState::Due) => q
                .filter(lesson_completions::student_id.is_null())
                .filter(assignments::scheduled_on.le(today)),
            Some(MyAssignmentState::Upcoming) => q
                .filter(lesson_completions::student_id.is_null())
                .filter(assignments::scheduled_on.gt(today)),
            None => q,
        };
        q
    };
    let total = build().count().get_result(conn)?;
    let rows: Vec<(AssignmentRow, VersionRow, String, Option<CompletionRow>)> = build()
        .order((assignments::scheduled_on.asc(), assignments::id.asc()))
        .limit(paging.limit())
        .offset(paging.offset())
        .select((
            AssignmentRow::as_select(),
            VersionRow::as_select(),
            classes::name,
            Option::<CompletionRow>::as_select(),
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(a, v, class_name, completion)| {
            (to_api(vec![(a, v)]).remove(0), class_name, completion)
        })
        .collect();
    Ok(paging.wrap(items, total))
}

pub fn owner_level_for(role: Role) -> OwnerLevel {
    match role {
        Role::DistrictAdmin => OwnerLevel::District,
        Role::SchoolAdmin | Role::Counselor => OwnerLevel::School,
        Role::Teacher | Role::Student => OwnerLevel::Private,
    }
}
