//! The rows the write routes act on, made directly in the database or found in the demo seed.

use super::*;

pub(super) struct Fx {
    pub(super) district: String,
    pub(super) riverbend: String,
    pub(super) fall: String,
    /// A Riverbend 7th grader: the PATCH /users target.
    pub(super) student: String,
    /// A Riverbend 7th grader not in Advisory 7A: the enrollment body.
    pub(super) newcomer: String,
    pub(super) samuel: String,
    pub(super) class: String,
    /// A published district plan: the POST /classes/{id}/assignments body assigns it.
    pub(super) plan: String,
    /// Another published district plan: the PATCH /lesson-plans/{id} target.
    pub(super) edited_plan: String,
    /// The same starter plan in Harbor Point's library.
    pub(super) other_district_plan: String,
    /// Health & Wellness 7: taught by Samuel Ortega, Andre Green enrolled.
    pub(super) lesson_class: String,
    /// A scheduled assignment of that class that Andre has not completed yet (the PATCH
    /// /assignments/{id} and PUT /assignments/{id}/completion target).
    pub(super) assignment: String,
    /// The open demo survey window for grades 6-12 (Riverbend and Lakeview): the opt-out and
    /// response target.
    pub(super) survey_window: String,
    /// Its instrument (the published starter questionnaire for grades 6-12) and that
    /// questionnaire's lineage.
    pub(super) survey_instrument: String,
    pub(super) survey_lineage: String,
    /// Harbor Point's copy of the same starter questionnaire, and its lineage.
    pub(super) other_district_instrument: String,
    pub(super) other_district_lineage: String,
    pub(super) other_district_school: String,
    pub(super) other_district_student: String,
    /// An item of the grades 3-5 starter questionnaire: not an item of the window's survey.
    pub(super) foreign_item: String,
    /// A Riverbend 6th grader (not the student who answers): the opt-out body.
    pub(super) opted_out: String,
    /// A Lakeview High student: outside the Riverbend counselor's school.
    pub(super) lakeview_student: String,
    /// Every item of the window's questionnaire, in order, each with a valid answer
    /// (`{item_id, value}`): the response body.
    pub(super) answer_sheet: Vec<Value>,
    /// The position in `answer_sheet` of a yes/no item.
    pub(super) yes_no_item: usize,
    pub(super) mentoring: MentoringFx,
    /// A new help request of Andre Green's to the Riverbend counselors (the PATCH target).
    pub(super) help_request: String,
    /// A Riverbend teacher who does not teach Andre, and a Cedar Grove counselor: adults he
    /// may not ask.
    pub(super) other_teacher: String,
    pub(super) other_school_counselor: String,
    pub(super) goals: GoalsFx,
    /// An identity provider of the district (the PATCH /identity-providers/{id} target).
    pub(super) identity_provider: String,
}

/// Goals: the spring window (a baseline), Riverbend's demo belonging goal (owned by its
/// principal) and Andre Green's demo personal goal.
pub(super) struct GoalsFx {
    pub(super) spring_window: String,
    pub(super) riverbend: String,
    pub(super) school_goal: String,
    pub(super) andre: String,
    pub(super) student_goal: String,
}

fn goals_fixtures(conn: &mut DbConnection, riverbend: &str) -> GoalsFx {
    use securebase::db::schema::goals;
    let spring_window: String = survey_windows::table
        .inner_join(survey_window_schools::table)
        .filter(survey_window_schools::school_id.eq(riverbend))
        .filter(survey_windows::title.like("Spring 2026%"))
        .select(survey_windows::id)
        .first(conn)
        .unwrap();
    let andre = crate::helpers::lookups::user_id(conn, STUDENT);
    GoalsFx {
        spring_window,
        riverbend: riverbend.to_owned(),
        school_goal: goals::table
            .filter(goals::school_id.eq(riverbend))
            .filter(goals::title.eq("More students feel they belong"))
            .select(goals::id)
            .first(conn)
            .unwrap(),
        student_goal: goals::table
            .filter(goals::student_id.eq(&andre))
            .select(goals::id)
            .first(conn)
            .unwrap(),
        andre,
    }
}

/// An identity provider of the district, made directly (as `POST
/// /districts/{id}/identity-providers` would, its secret sealed under the demo key).
fn identity_provider_fixture(conn: &mut DbConnection, district: &str) -> String {
    use securebase::auth::oidc::{
        models::ProviderRow, providers::seal_secret, queries, vocab::AccountMatch,
    };
    let id = securebase::db::new_id();
    let (key, sealed) =
        seal_secret(&securebase::seal::SealKeys::demo(), &id, "fixture-secret").unwrap();
    let now = securebase::db::now();
    queries::insert_provider(
        conn,
        &ProviderRow {
            id: id.clone(),
            district_id: district.to_owned(),
            name: "Maple Valley sign-in".to_owned(),
            issuer: "https://idp.maplevalley.example".to_owned(),
            client_id: "securebase".to_owned(),
            client_secret_key: key,
            client_secret_sealed: sealed,
            account_match: AccountMatch::Email,
            claim_name: "email".to_owned(),
            require_verified_email: true,
            redirect_uris: r#"["https://sel.maplevalley.example/signed-in"]"#.to_owned(),
            enabled: true,
            created_at: now,
            updated_at: now,
        },
    )
    .unwrap();
    id
}

/// A new help request of the student's, made directly (as `POST /help-requests` would).
fn help_request_fixture(conn: &mut DbConnection, student: &str, school: &str) -> String {
    use securebase::db::schema::help_requests;
    let id = securebase::db::new_id();
    let now = securebase::db::now();
    diesel::insert_into(help_requests::table)
        .values((
            help_requests::id.eq(&id),
            help_requests::student_id.eq(student),
            help_requests::school_id.eq(school),
            help_requests::topic.eq("friends"),
            help_requests::urgency.eq("this_week"),
            help_requests::state.eq("new"),
            help_requests::created_at.eq(now),
            help_requests::acknowledge_by.eq(now + chrono::TimeDelta::days(1)),
            help_requests::updated_at.eq(now),
        ))
        .execute(conn)
        .unwrap();
    id
}

/// The demo Riverbend mentoring program and what its write routes take.
pub(super) struct MentoringFx {
    pub(super) program: String,
    /// A Riverbend 6th grader not in the program: the participant body.
    pub(super) newcomer: String,
    /// Two Riverbend students not yet a do-not-match pair.
    pub(super) pair: (String, String),
    /// A mentor with an open place and an unmatched mentee they may be matched with.
    pub(super) mentor: String,
    pub(super) mentee: String,
    /// The program's proposed match (the PATCH target) and an active match (meetings).
    pub(super) proposed_match: String,
    pub(super) active_match: String,
    /// Yesterday: a meeting date every active demo match accepts.
    pub(super) yesterday: String,
}

pub(super) fn mentoring_fixtures(conn: &mut DbConnection, riverbend: &str) -> MentoringFx {
    let program: String = mentoring_programs::table
        .filter(mentoring_programs::school_id.eq(riverbend))
        .select(mentoring_programs::id)
        .first(conn)
        .expect("the demo Riverbend program");
    let participants: Vec<MentoringParticipant> = mentoring_participants::table
        .filter(mentoring_participants::program_id.eq(&program))
        .order(mentoring_participants::id)
        .select(MentoringParticipant::as_select())
        .load(conn)
        .unwrap();
    let matches: Vec<MentoringMatch> = mentoring_matches::table
        .filter(mentoring_matches::program_id.eq(&program))
        .order(mentoring_matches::id)
        .select(MentoringMatch::as_select())
        .load(conn)
        .unwrap();
    let blocked: Vec<(String, String)> = mentoring_do_not_match::table
        .select((
            mentoring_do_not_match::student_a,
            mentoring_do_not_match::student_b,
        ))
        .load(conn)
        .unwrap();
    let is_blocked = |a: &str, b: &str| {
        blocked
            .iter()
            .any(|(x, y)| (x == a && y == b) || (x == b && y == a))
    };
    let open = |id: &str| {
        matches
            .iter()
            .filter(|m| m.status.as_str() != "closed" && (m.mentor_id == id || m.mentee_id == id))
            .count() as i32
    };
    let (mentor, mentee) = participants
        .iter()
        .filter(|p| p.role.as_str() == "mentor" && open(&p.student_id) < p.capacity)
        .flat_map(|m| {
            participants
                .iter()
                .filter(|p| p.role.as_str() == "mentee" && open(&p.student_id) == 0)
                .map(move |e| (m.student_id.clone(), e.student_id.clone()))
        })
        .find(|(m, e)| !is_blocked(m, e))
        .expect("a free mentor and mentee in the demo program");
    let enrolled: Vec<&str> = participants.iter().map(|p| p.student_id.as_str()).collect();
    let sixth: Vec<String> = users::table
        .filter(users::school_id.eq(riverbend))
        .filter(users::grade.eq(6))
        .order(users::username)
        .select(users::id)
        .load(conn)
        .unwrap();
    let newcomer = sixth
        .iter()
        .find(|id| !enrolled.contains(&id.as_str()))
        .expect("a 6th grader outside the program")
        .clone();
    let pair = (sixth[0].clone(), sixth[1].clone());
    assert!(!is_blocked(&pair.0, &pair.1));
    let by_status = |status: &str| {
        matches
            .iter()
            .find(|m| m.status.as_str() == status)
            .unwrap_or_else(|| panic!("a {status} demo match"))
            .id
            .clone()
    };
    MentoringFx {
        proposed_match: by_status("proposed"),
        active_match: by_status("active"),
        program,
        newcomer,
        pair,
        mentor,
        mentee,
        yesterday: (chrono::Utc::now().date_naive() - chrono::TimeDelta::days(1)).to_string(),
    }
}

/// A district's published starter questionnaire for grades from `grade_min`: (id, lineage).
pub(super) fn starter_instrument(
    conn: &mut DbConnection,
    district: &str,
    grade_min: i32,
) -> (String, String) {
    survey_instruments::table
        .filter(survey_instruments::district_id.eq(district))
        .filter(survey_instruments::grade_min.eq(grade_min))
        .filter(survey_instruments::status.eq("published"))
        .order(survey_instruments::id)
        .select((survey_instruments::id, survey_instruments::lineage_id))
        .first(conn)
        .unwrap_or_else(|e| panic!("starter instrument from grade {grade_min}: {e}"))
}

/// Every item of an instrument in questionnaire order with a valid answer (the middle option
/// of its scale), and its scale.
pub(super) fn answer_sheet(conn: &mut DbConnection, instrument: &str) -> Vec<(Value, Scale)> {
    survey_items::table
        .filter(survey_items::instrument_id.eq(instrument))
        .order(survey_items::position)
        .select((survey_items::id, survey_items::scale))
        .load::<(String, String)>(conn)
        .unwrap()
        .into_iter()
        .map(|(id, scale)| {
            let scale = Scale::parse(&scale).unwrap_or_else(|| panic!("scale {scale}"));
            let options = scale.options();
            let value = options[options.len() / 2].0;
            (json!({"item_id": id, "value": value}), scale)
        })
        .collect()
}

/// A plan of a district's starter library, by the title of its published version.
pub(super) fn starter_plan(conn: &mut DbConnection, district: &str, title: &str) -> String {
    lesson_plans::table
        .inner_join(lesson_plan_versions::table)
        .filter(lesson_plans::district_id.eq(district))
        .filter(lesson_plan_versions::title.eq(title))
        .select(lesson_plans::id)
        .first(conn)
        .unwrap_or_else(|e| panic!("starter plan {title}: {e}"))
}

pub(super) fn fixtures(conn: &mut DbConnection) -> Fx {
    let id_of_user = |conn: &mut DbConnection, username: &str| -> String {
        users::table
            .filter(users::username.eq(username))
            .select(users::id)
            .first(conn)
            .unwrap()
    };
    let district = securebase::seed::district_id("Maple Valley Unified School District");
    let riverbend: String = schools::table
        .filter(schools::name.eq(MIDDLE))
        .select(schools::id)
        .first(conn)
        .unwrap();
    let fall: String = terms::table
        .filter(terms::district_id.eq(&district))
        .filter(terms::name.eq("Fall 2026"))
        .select(terms::id)
        .first(conn)
        .unwrap();
    let class: String = classes::table
        .filter(classes::name.eq("Advisory 7A"))
        .select(classes::id)
        .first(conn)
        .unwrap();
    let in_class = enrollments::table
        .filter(enrollments::class_id.eq(class.clone()))
        .select(enrollments::student_id);
    let newcomer: String = users::table
        .filter(users::school_id.eq(&riverbend))
        .filter(users::role.eq("student"))
        .filter(users::grade.eq(7))
        .filter(users::id.ne_all(in_class))
        .order(users::id)
        .select(users::id)
        .first(conn)
        .unwrap();
    let lesson_class: String = classes::table
        .filter(classes::name.eq(LESSON_CLASS))
        .select(classes::id)
        .first(conn)
        .unwrap();
    let andre = id_of_user(conn, STUDENT);
    let completed_by_andre = lesson_completions::table
        .filter(lesson_completions::student_id.eq(andre))
        .select(lesson_completions::assignment_id);
    let assignment: String = assignments::table
        .filter(assignments::class_id.eq(&lesson_class))
        .filter(assignments::status.eq("scheduled"))
        .filter(
            assignments::scheduled_on.le(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
        )
        .filter(assignments::id.ne_all(completed_by_andre))
        .order(assignments::id)
        .select(assignments::id)
        .first(conn)
        .unwrap();
    let harbor = securebase::seed::district_id("Harbor Point School District");
    let breathing = "Box Breathing: A Reset You Can Use Anywhere";
    let riverbend_windows = survey_window_schools::table
        .filter(survey_window_schools::school_id.eq(riverbend.clone()))
        .select(survey_window_schools::window_id);
    let (survey_window, survey_instrument): (String, String) = survey_windows::table
        .filter(survey_windows::district_id.eq(&district))
        .filter(survey_windows::id.eq_any(riverbend_windows))
        // The open one: the demo also has closed windows with answers.
        .filter(survey_windows::closes_at.gt(securebase::db::now()))
        .order(survey_windows::id)
        .select((survey_windows::id, survey_windows::instrument_id))
        .first(conn)
        .expect("the open demo survey window of Riverbend");
    let (starter, survey_lineage) = starter_instrument(conn, &district, 6);
    assert_eq!(
        starter, survey_instrument,
        "the Riverbend window uses the 6-12 starter"
    );
    let (other_district_instrument, other_district_lineage) = starter_instrument(conn, &harbor, 6);
    let (elementary_instrument, _) = starter_instrument(conn, &district, 3);
    let foreign_item = answer_sheet(conn, &elementary_instrument)[0].0["item_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sheet = answer_sheet(conn, &survey_instrument);
    let yes_no_item = sheet
        .iter()
        .position(|(_, scale)| *scale == Scale::YesNo)
        .expect("a yes/no item in the 6-12 questionnaire");
    let opted_out: String = users::table
        .filter(users::school_id.eq(&riverbend))
        .filter(users::role.eq("student"))
        .filter(users::grade.eq(6))
        .order(users::id)
        .select(users::id)
        .first(conn)
        .unwrap();
    let lakeview: String = schools::table
        .filter(schools::name.eq(HIGH))
        .select(schools::id)
        .first(conn)
        .unwrap();
    let lakeview_student: String = users::table
        .filter(users::school_id.eq(lakeview))
        .filter(users::role.eq("student"))
        .order(users::id)
        .select(users::id)
        .first(conn)
        .unwrap();
    let other_district_school: String = schools::table
        .filter(schools::district_id.eq(&harbor))
        .select(schools::id)
        .first(conn)
        .unwrap();
    Fx {
        survey_window,
        survey_instrument,
        survey_lineage,
        other_district_instrument,
        other_district_lineage,
        other_district_school,
        other_district_student: id_of_user(conn, "hp.student"),
        foreign_item,
        opted_out,
        lakeview_student,
        answer_sheet: sheet.into_iter().map(|(answer, _)| answer).collect(),
        mentoring: mentoring_fixtures(conn, &riverbend),
        help_request: {
            let andre = id_of_user(conn, STUDENT);
            help_request_fixture(conn, &andre, &riverbend)
        },
        other_teacher: id_of_user(conn, "hannah.lindqvist"),
        other_school_counselor: id_of_user(conn, "kenji.watanabe"),
        goals: goals_fixtures(conn, &riverbend),
        identity_provider: identity_provider_fixture(conn, &district),
        yes_no_item,
        student: id_of_user(conn, "amaraa251"),
        samuel: id_of_user(conn, "samuel.ortega"),
        plan: starter_plan(conn, &district, breathing),
        edited_plan: starter_plan(
            conn,
            &district,
            "More Than Mad, Sad, or Fine: Building an Emotion Vocabulary",
        ),
        other_district_plan: starter_plan(conn, &harbor, breathing),
        district,
        riverbend,
        fall,
        newcomer,
        class,
        lesson_class,
        assignment,
    }
}
