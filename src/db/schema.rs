//! Table definitions shared by both backends (kept by hand: the two migration trees must agree with it).

diesel::table! {
    districts (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
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
    }
}

diesel::table! {
    class_teachers (class_id, teacher_id) {
        class_id -> Text,
        teacher_id -> Text,
    }
}

diesel::table! {
    enrollments (class_id, student_id) {
        class_id -> Text,
        student_id -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
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

diesel::allow_tables_to_appear_in_same_query!(
    districts,
    schools,
    terms,
    users,
    classes,
    class_teachers,
    enrollments,
    refresh_tokens,
);
