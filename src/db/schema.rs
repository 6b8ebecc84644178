//! Table definitions shared by both backends (kept by hand: the two migration trees must agree with it).

diesel::table! {
    districts (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        source_id -> Nullable<Text>,
        student_passwords -> Bool,
    }
}

diesel::table! {
    schools (id) {
        id -> Text,
        district_id -> Text,
        name -> Text,
        low_grade -> Integer,
        high_grade -> Integer,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        source_id -> Nullable<Text>,
        source_modified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    terms (id) {
        id -> Text,
        district_id -> Text,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        source_id -> Nullable<Text>,
        source_modified_at -> Nullable<Timestamp>,
        session_type -> Nullable<Text>,
        parent_id -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        district_id -> Text,
        school_id -> Nullable<Text>,
        role -> Text,
        username -> Text,
        email -> Nullable<Text>,
        given_name -> Text,
        family_name -> Text,
        grade -> Nullable<Integer>,
        password_hash -> Nullable<Text>,
        active -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        search_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        source_id -> Nullable<Text>,
        source_modified_at -> Nullable<Timestamp>,
        deactivated_at -> Nullable<Timestamp>,
        anonymized_at -> Nullable<Timestamp>,
        placed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    classes (id) {
        id -> Text,
        school_id -> Text,
        term_id -> Text,
        name -> Text,
        grade -> Nullable<Integer>,
        active -> Bool,
        search_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        source_id -> Nullable<Text>,
        source_modified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    class_teachers (class_id, teacher_id) {
        class_id -> Text,
        teacher_id -> Text,
        source_id -> Nullable<Text>,
        source_modified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    enrollments (class_id, student_id) {
        class_id -> Text,
        student_id -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        source_id -> Nullable<Text>,
        source_modified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    activation_codes (code_hash) {
        code_hash -> Text,
        user_id -> Text,
        created_by -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        user_id -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked -> Bool,
        created_at -> Timestamp,
    }
}

diesel::joinable!(schools -> districts (district_id));
diesel::joinable!(terms -> districts (district_id));
diesel::joinable!(classes -> schools (school_id));
diesel::joinable!(classes -> terms (term_id));
diesel::joinable!(class_teachers -> classes (class_id));
diesel::joinable!(class_teachers -> users (teacher_id));
diesel::joinable!(enrollments -> classes (class_id));
diesel::joinable!(enrollments -> users (student_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::table! {
    lesson_plans (id) {
        id -> Text,
        district_id -> Text,
        school_id -> Nullable<Text>,
        owner_level -> Text,
        created_by -> Text,
        archived -> Bool,
        latest_version -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lesson_plan_versions (id) {
        id -> Text,
        plan_id -> Text,
        version -> Integer,
        status -> Text,
        title -> Text,
        summary -> Text,
        competency -> Text,
        component -> Text,
        grade_band -> Text,
        duration_minutes -> Integer,
        objectives -> Text,
        materials -> Text,
        steps -> Text,
        reflection_prompt -> Text,
        search_text -> Text,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> Text,
        class_id -> Text,
        plan_id -> Text,
        plan_version_id -> Text,
        assigned_by -> Text,
        scheduled_on -> Date,
        due_on -> Nullable<Date>,
        status -> Text,
        delivered_on -> Nullable<Date>,
        teacher_note -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lesson_completions (assignment_id, student_id) {
        assignment_id -> Text,
        student_id -> Text,
        emotion -> Nullable<Text>,
        reflection -> Nullable<Text>,
        completed_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(lesson_plan_versions -> lesson_plans (plan_id));
diesel::joinable!(assignments -> lesson_plan_versions (plan_version_id));
diesel::joinable!(assignments -> classes (class_id));
diesel::joinable!(lesson_completions -> assignments (assignment_id));
diesel::joinable!(lesson_completions -> users (student_id));

diesel::table! {
    survey_instruments (id) {
        id -> Text,
        district_id -> Text,
        lineage_id -> Text,
        version -> Integer,
        status -> Text,
        title -> Text,
        description -> Text,
        grade_min -> Integer,
        grade_max -> Integer,
        created_by -> Text,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    survey_items (id) {
        id -> Text,
        instrument_id -> Text,
        position -> Integer,
        section -> Text,
        prompt -> Text,
        scale -> Text,
        indicator -> Text,
        reverse_scored -> Bool,
        required -> Bool,
        ppra_areas -> Text,
        bullying_form -> Nullable<Text>,
    }
}

diesel::table! {
    survey_windows (id) {
        id -> Text,
        district_id -> Text,
        instrument_id -> Text,
        title -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        grades -> Text,
        min_cell_size -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        sealed_key -> Nullable<Text>,
        frozen_at -> Nullable<Timestamp>,
        opened_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    survey_window_schools (window_id, school_id) {
        window_id -> Text,
        school_id -> Text,
    }
}

diesel::table! {
    survey_opt_outs (window_id, student_id) {
        window_id -> Text,
        student_id -> Text,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    survey_participation (window_id, student_id) {
        window_id -> Text,
        student_id -> Text,
        idempotency_key_hash -> Nullable<Text>,
    }
}

diesel::table! {
    survey_cell_responses (window_id, school_id, grade) {
        window_id -> Text,
        school_id -> Text,
        grade -> Integer,
        item_ids -> Text,
        answers -> Text,
        respondents -> Integer,
    }
}

diesel::joinable!(survey_items -> survey_instruments (instrument_id));
diesel::joinable!(survey_windows -> survey_instruments (instrument_id));
diesel::joinable!(survey_window_schools -> survey_windows (window_id));
diesel::joinable!(survey_window_schools -> schools (school_id));
diesel::joinable!(survey_participation -> survey_windows (window_id));
diesel::joinable!(survey_participation -> users (student_id));
diesel::joinable!(survey_opt_outs -> users (student_id));

diesel::table! {
    mentoring_programs (id) {
        id -> Text,
        district_id -> Text,
        school_id -> Text,
        name -> Text,
        goals -> Text,
        mentor_grades -> Text,
        mentee_grades -> Text,
        min_grade_gap -> Integer,
        preferred_grade_gap -> Integer,
        mentor_capacity -> Integer,
        starts_on -> Date,
        ends_on -> Date,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    mentoring_participants (id) {
        id -> Text,
        program_id -> Text,
        student_id -> Text,
        role -> Text,
        capacity -> Integer,
        interests -> Text,
        availability -> Text,
        enrolled_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    mentoring_do_not_match (id) {
        id -> Text,
        school_id -> Text,
        student_a -> Text,
        student_b -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mentoring_matches (id) {
        id -> Text,
        program_id -> Text,
        mentor_id -> Text,
        mentee_id -> Text,
        status -> Text,
        score -> Nullable<Text>,
        started_on -> Nullable<Date>,
        closed_on -> Nullable<Date>,
        closure_reason -> Nullable<Text>,
        closure_note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    mentoring_meetings (id) {
        id -> Text,
        match_id -> Text,
        met_on -> Date,
        minutes -> Integer,
        topics -> Text,
        note -> Nullable<Text>,
        logged_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(mentoring_programs -> schools (school_id));
diesel::joinable!(mentoring_participants -> mentoring_programs (program_id));
diesel::joinable!(mentoring_participants -> users (student_id));
diesel::joinable!(mentoring_matches -> mentoring_programs (program_id));
diesel::joinable!(mentoring_meetings -> mentoring_matches (match_id));

diesel::table! {
    survey_window_cells (window_id, school_id, grade) {
        window_id -> Text,
        school_id -> Text,
        grade -> Integer,
        eligible -> Integer,
        opted_out -> Integer,
        respondents -> Integer,
        aggregates -> Text,
        settled_respondents -> Integer,
    }
}

diesel::table! {
    survey_sealed_responses (id) {
        id -> Text,
        window_id -> Text,
        sealed -> Text,
    }
}

diesel::table! {
    survey_window_roster (window_id, student_id) {
        window_id -> Text,
        student_id -> Text,
        school_id -> Text,
        grade -> Integer,
        settled -> Bool,
        opted_out -> Bool,
    }
}

diesel::table! {
    survey_window_aggregations (window_id) {
        window_id -> Text,
        responses -> Integer,
        built_at -> Timestamp,
        scoring_rules_version -> Text,
    }
}

diesel::table! {
    survey_window_reports (window_id, scope) {
        window_id -> Text,
        scope -> Text,
        json -> Text,
        csv -> Text,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        district_id -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        action -> Text,
        scope -> Text,
        occurred_at -> Timestamp,
        seq -> BigInt,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_pending (pos) {
        pos -> BigInt,
        id -> Text,
        district_id -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        action -> Text,
        scope -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    district_retention (district_id) {
        district_id -> Text,
        participation_days -> Nullable<Integer>,
        deactivated_account_days -> Nullable<Integer>,
        reflection_days -> Nullable<Integer>,
        updated_at -> Timestamp,
        check_in_note_days -> Nullable<Integer>,
        closed_help_request_days -> Nullable<Integer>,
    }
}

diesel::table! {
    district_support_settings (district_id) {
        district_id -> Text,
        teachers_see_check_ins -> Bool,
        time_zone -> Text,
        school_day_start_minute -> Integer,
        school_day_end_minute -> Integer,
        acknowledge_school_days -> Integer,
        today_school_hours -> Integer,
        crisis_message -> Text,
        reporting_threshold -> Integer,
        notice_intensity -> Integer,
        notice_days -> Integer,
        notice_lookback_days -> Integer,
        notice_sudden_change -> Bool,
        updated_at -> Timestamp,
        teachers_see_student_goals -> Bool,
    }
}

diesel::table! {
    check_ins (id) {
        id -> Text,
        student_id -> Text,
        school_id -> Text,
        grade -> Integer,
        on_day -> Date,
        emotion -> Text,
        intensity -> Integer,
        note -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    help_requests (id) {
        id -> Text,
        student_id -> Text,
        school_id -> Text,
        recipient_id -> Nullable<Text>,
        topic -> Text,
        urgency -> Text,
        message -> Nullable<Text>,
        state -> Text,
        check_in_id -> Nullable<Text>,
        created_at -> Timestamp,
        acknowledge_by -> Timestamp,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        meeting_at -> Nullable<Timestamp>,
        met_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        closing_reason -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    help_request_notes (id) {
        id -> Text,
        request_id -> Text,
        author_id -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_chains (district_id) {
        district_id -> Text,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    support_figures (kind, scope_id, period) {
        kind -> Text,
        scope_id -> Text,
        period -> Date,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    identity_providers (id) {
        id -> Text,
        district_id -> Text,
        name -> Text,
        issuer -> Text,
        client_id -> Text,
        client_secret_key -> Text,
        client_secret_sealed -> Text,
        account_match -> Text,
        claim_name -> Text,
        require_verified_email -> Bool,
        redirect_uris -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    oidc_sign_ins (state_hash) {
        state_hash -> Text,
        provider_id -> Text,
        pkce_verifier -> Text,
        nonce -> Text,
        redirect_uri -> Text,
        client_state -> Nullable<Text>,
        client_challenge -> Text,
        browser_hash -> Text,
        started_at -> Timestamp,
        expires_at -> Timestamp,
        returned_at -> Nullable<Timestamp>,
        replayed_at -> Nullable<Timestamp>,
        foreign_browser_at -> Nullable<Timestamp>,
        user_id -> Nullable<Text>,
        handoff_hash -> Nullable<Text>,
        handoff_expires_at -> Nullable<Timestamp>,
        handoff_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    goals (id) {
        id -> Text,
        district_id -> Text,
        kind -> Text,
        school_id -> Nullable<Text>,
        student_id -> Nullable<Text>,
        title -> Text,
        metric -> Nullable<Text>,
        baseline -> Nullable<Text>,
        measure -> Nullable<Text>,
        target -> Double,
        deadline -> Nullable<Date>,
        cadence -> Nullable<Text>,
        review_on -> Nullable<Date>,
        owner_id -> Text,
        strategies -> Text,
        state -> Text,
        version -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    goal_versions (goal_id, version) {
        goal_id -> Text,
        version -> Integer,
        body -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
        review_id -> Nullable<Text>,
    }
}

diesel::table! {
    goal_reviews (id) {
        id -> Text,
        goal_id -> Text,
        due_on -> Nullable<Date>,
        reviewed_by -> Text,
        reviewed_at -> Timestamp,
        what_happened -> Text,
        what_changes -> Text,
        status -> Text,
        value -> Nullable<Double>,
        version_before -> Integer,
        version_after -> Integer,
    }
}

diesel::table! {
    student_goal_progress (id) {
        id -> Text,
        goal_id -> Text,
        on_day -> Date,
        value -> Integer,
        check_in_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(goal_versions -> goals (goal_id));
diesel::joinable!(goal_reviews -> goals (goal_id));
diesel::joinable!(student_goal_progress -> goals (goal_id));

diesel::table! {
    web_sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(web_sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    districts,
    schools,
    terms,
    users,
    classes,
    class_teachers,
    enrollments,
    refresh_tokens,
    activation_codes,
    lesson_plans,
    lesson_plan_versions,
    assignments,
    lesson_completions,
    survey_instruments,
    survey_items,
    survey_windows,
    survey_window_schools,
    survey_opt_outs,
    survey_participation,
    survey_cell_responses,
    mentoring_programs,
    mentoring_participants,
    mentoring_do_not_match,
    mentoring_matches,
    mentoring_meetings,
    survey_window_cells,
    survey_sealed_responses,
    survey_window_roster,
    survey_window_aggregations,
    survey_window_reports,
    audit_events,
    audit_pending,
    audit_chains,
    district_retention,
    district_support_settings,
    check_ins,
    help_requests,
    goals,
    goal_versions,
    identity_providers,
    oidc_sign_ins,
    goal_reviews,
    student_goal_progress,
    help_request_notes,
    support_figures,
    web_sessions,
);
