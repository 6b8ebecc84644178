use std::io::BufRead;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

// The system allocator spent ~10% of a submission in malloc/free under load (perf); mimalloc
// handles many small, short-lived allocations across worker threads faster. It is built without
// transparent huge pages (feature `no_thp`): with them, its arenas were backed by 2 MiB pages as
// soon as touched, which kept ~20 MB more resident at start and took the server past 150 MB
// under a storm of 1,000 concurrent sign-ins (benches/sign-in.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use securebase::config::Config;
use securebase::ops;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "securebase",
    version,
    about = "Self-hostable REST API for school social-emotional learning"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify each district's hash chain; prints each head and exits 1 when a row was changed,
    /// removed or inserted, or is not in its chain. With --against, also checks that each chain
    /// still holds the heads of a signed heads file (`audit heads`): a chain rewritten, or cut
    /// below a head kept off-site, fails.
    Verify(AuditVerifyArgs),
    /// Chain the events recorded but not chained yet (a running server does this every
    /// AUDIT_SEAL_INTERVAL_MS).
    Seal(DatabaseArgs),
    /// Write the current head of every district's chain, signed (HMAC-SHA256) with
    /// AUDIT_HEADS_KEY, to keep off-site and check later with `audit verify --against`.
    Heads(AuditHeadsArgs),
}

// The database a command works on: the server's.
#[derive(clap::Args)]
struct DatabaseArgs {
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    database_url: String,
}

#[derive(clap::Args)]
struct AuditVerifyArgs {
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    database_url: String,
    /// A heads file written by `securebase audit heads`.
    #[arg(long)]
    against: Option<std::path::PathBuf>,
    /// The key the heads file was signed with (at least 32 characters; keep it out of the
    /// database's reach).
    #[arg(long, env = "AUDIT_HEADS_KEY", hide_env_values = true)]
    heads_key: Option<String>,
}

#[derive(clap::Args)]
struct AuditHeadsArgs {
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    database_url: String,
    /// Where to write the heads (stdout by default).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    #[arg(long, env = "AUDIT_HEADS_KEY", hide_env_values = true)]
    heads_key: Option<String>,
}

/// The survey seal keys, for commands that seal or open responses.
#[derive(clap::Args)]
struct SealArgs {
    /// See `serve --help`.
    #[arg(long, env = "SURVEY_SEAL_KEY", hide_env_values = true)]
    survey_seal_key: Option<String>,
    #[arg(
        long,
        env = "SURVEY_SEAL_KEY_PREVIOUS",
        value_delimiter = ',',
        default_value = "",
        hide_env_values = true
    )]
    survey_seal_key_previous: Vec<String>,
    /// See `serve --help`.
    #[arg(long, env = "SURVEY_SETTLE_DAYS", default_value_t = 30)]
    survey_settle_days: u32,
}

impl SealArgs {
    fn config(&self, database_url: &str) -> Config {
        let mut config = Config::for_database(database_url);
        config.survey_seal_key = self.survey_seal_key.clone();
        config.survey_seal_key_previous = self.survey_seal_key_previous.clone();
        config.survey_settle_days = self.survey_settle_days;
        config
    }

    fn resolve_seal_keys(&self, demo: bool) -> anyhow::Result<securebase::seal::SealKeys> {
        self.config("").resolve_seal_keys(demo)
    }
}

#[derive(Subcommand)]
enum SurveysCommand {
    /// Run the survey job once: freeze windows that have opened, open the boxes of windows
    /// that have closed. Safe to run beside servers doing the same.
    CloseDue(CloseDueArgs),
    /// After a seal key rotation: wrap every window's data key under the current
    /// SURVEY_SEAL_KEY (the old one listed in SURVEY_SEAL_KEY_PREVIOUS).
    Rewrap(RewrapArgs),
}

#[derive(clap::Args)]
struct CloseDueArgs {
    /// Open each due window in a transaction that is then rolled back: nothing changes;
    /// prints how long each opening takes and which could not be opened.
    #[arg(long)]
    dry_run: bool,
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    database_url: String,
    #[command(flatten)]
    seal: SealArgs,
}

#[derive(clap::Args)]
struct RewrapArgs {
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    database_url: String,
    #[command(flatten)]
    seal: SealArgs,
}

#[derive(Subcommand)]
enum ImportSource {
    /// A OneRoster 1.1 CSV bundle: a zip file or a folder holding manifest.csv, orgs.csv,
    /// academicSessions.csv, users.csv, classes.csv, enrollments.csv (and courses.csv).
    Oneroster(OnerosterArgs),
}

#[derive(clap::Args)]
struct OnerosterArgs {
    path: PathBuf,
    /// The id of the district to import into (`district_id` of `GET /api/v1/me`, or as
    /// printed by `create-admin`).
    #[arg(long)]
    district: String,
    /// Check the bundle and report what would change, without writing.
    #[arg(long)]
    dry_run: bool,
    /// Print the whole report as JSON instead of a summary.
    #[arg(long)]
    json: bool,
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    database_url: String,
    /// Most bytes the bundle may expand to when unzipped.
    #[arg(long, env = "IMPORT_MAX_UNCOMPRESSED_BYTES", default_value_t = 512 * 1024 * 1024)]
    max_uncompressed_bytes: u64,
}

// Parsed once at start: the size of the server's configuration beside the other commands'
// arguments costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Load a roster data set (a directory of CSV files like seed/demo) into the database.
    Seed(SeedArgs),
    /// Apply each district's retention settings: remove participation rows of windows closed
    /// long enough ago, anonymize long-deactivated students, clear old reflection texts.
    Purge(PurgeArgs),
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Import roster data from a student information system.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Time one password check (Argon2id, as sign-in does) on this machine: the median of RUNS,
    /// in milliseconds. For benches/sign-in.sh.
    #[command(hide = true)]
    HashTiming(HashTimingArgs),
    /// Generate a synthetic district (N schools × M students) and submit its survey answers
    /// through the same code path as the API: load data for benchmarks and reports.
    Synthetic(SyntheticArgs),
    /// Survey windows: fix the population of windows that opened and open the sealed responses
    /// of windows that closed (what the server does every SURVEY_JOB_INTERVAL_SECS), or wrap
    /// every window's data key under the current seal key after a rotation.
    Surveys {
        #[command(subcommand)]
        command: SurveysCommand,
    },
    /// Create a district (or reuse the one with that name) and a district administrator. Reads the password from
    /// SECUREBASE_ADMIN_PASSWORD or, if unset, from the first line of standard input.
    CreateAdmin(CreateAdminArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    config: Config,
    /// Load the demo district into an empty database and allow the built-in demo JWT secret.
    #[arg(long)]
    demo: bool,
    /// Do not apply migrations on start.
    #[arg(long)]
    no_migrate: bool,
    /// Log as JSON lines (for log shippers).
    #[arg(long, env = "LOG_JSON")]
    log_json: bool,
}

#[derive(clap::Args)]
struct SeedArgs {
    dir: PathBuf,
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    database_url: String,
}

#[derive(clap::Args)]
struct PurgeArgs {
    /// Report what would be removed, without removing it.
    #[arg(long)]
    dry_run: bool,
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    database_url: String,
}

#[derive(clap::Args)]
struct HashTimingArgs {
    #[arg(long, default_value_t = 21)]
    runs: usize,
}

#[derive(clap::Args)]
struct SyntheticArgs {
    /// Number of schools (grades 6-12) to create.
    #[arg(long, default_value_t = 5)]
    schools: usize,
    /// Students per school, spread evenly over the grades.
    #[arg(long, default_value_t = 200)]
    students_per_school: usize,
    /// Share of students who answer, from 0 to 1.
    #[arg(long, default_value_t = 0.8, value_parser = parse_rate)]
    response_rate: f64,
    /// Random seed: the same seed gives the same answers.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Close the window after submitting, so its results become reportable.
    #[arg(long)]
    close: bool,
    /// Also create this many earlier, closed windows that the same students answered.
    #[arg(long, default_value_t = 0)]
    past_windows: usize,
    /// Write an access token of the district's administrator to this file (for report
    /// benchmarks); needs the server's JWT secret.
    #[arg(long, requires = "jwt_secret")]
    admin_token_out: Option<PathBuf>,
    /// Write an access token for every student who has not answered to this file, one per
    /// line (for load benchmarks); needs the server's JWT secret.
    #[arg(long, requires = "jwt_secret")]
    tokens_out: Option<PathBuf>,
    /// The server's token-signing secret (only used with --tokens-out).
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Lifetime of the written tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl_secs: i64,
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    database_url: String,
    #[command(flatten)]
    seal: SealArgs,
}

#[derive(clap::Args)]
struct CreateAdminArgs {
    #[arg(long)]
    district: String,
    #[arg(long)]
    username: String,
    #[arg(long)]
    given_name: String,
    #[arg(long)]
    family_name: String,
    #[arg(long)]
    email: Option<String>,
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    database_url: String,
}

/// A spinner on stderr naming what a long command is doing and for how long. indicatif draws
/// it only when stderr is a terminal, so scripts, pipes and logs get nothing extra.
fn working(what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err("must be between 0 and 1".to_owned())
    }
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve(args) => serve(args),
        Command::Migrate(args) => migrate(args),
        Command::Seed(args) => seed(args),
        Command::Purge(args) => purge(args),
        Command::Audit { command } => match command {
            AuditCommand::Verify(args) => audit_verify(args),
            AuditCommand::Seal(args) => audit_seal(args),
            AuditCommand::Heads(args) => audit_heads(args),
        },
        Command::Import {
            source: ImportSource::Oneroster(args),
        } => import_oneroster(args),
        Command::HashTiming(args) => hash_timing(args),
        Command::Synthetic(args) => synthetic(args),
        Command::Surveys { command } => match command {
            SurveysCommand::CloseDue(args) => surveys_close_due(args),
            SurveysCommand::Rewrap(args) => surveys_rewrap(args),
        },
        Command::CreateAdmin(args) => create_admin(args),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    actix_web::rt::System::new().block_on(ops::serve(args.config, args.demo, !args.no_migrate))
}

fn migrate(DatabaseArgs { database_url }: DatabaseArgs) -> anyhow::Result<()> {
    init_logging(false);
    let applied = ops::migrate(&database_url)?;
    println!("applied {applied} migration(s)");
    Ok(())
}

fn seed(SeedArgs { dir, database_url }: SeedArgs) -> anyhow::Result<()> {
    init_logging(false);
    ops::migrate(&database_url)?;
    let loaded = ops::seed_dir(&database_url, &dir)?;
    println!(
        "loaded {} schools, {} terms, {} users, {} classes, {} enrollments, {} lesson plans, {} assignments",
        loaded.schools,
        loaded.terms,
        loaded.users,
        loaded.classes,
        loaded.enrollments,
        loaded.lesson_plans,
        loaded.assignments
    );
    Ok(())
}

fn purge(
    PurgeArgs {
        dry_run,
        database_url,
    }: PurgeArgs,
) -> anyhow::Result<()> {
    init_logging(false);
    ops::migrate(&database_url)?;
    let bar = working("purging data past its retention period");
    let purged = ops::purge(&database_url, dry_run);
    bar.finish_and_clear();
    let purged = purged?;
    if purged.is_empty() {
        println!("no district has retention settings: nothing to purge");
    }
    for p in &purged {
        println!(
            "district {}: {} participation rows and {} opt-outs of {} closed windows, \
             {} accounts anonymized, {} reflections cleared, {} check-in notes cleared, \
             {} closed help requests removed{}",
            p.district_id,
            p.participation_rows,
            p.opt_outs,
            p.windows,
            p.accounts_anonymized,
            p.reflections_cleared,
            p.check_in_notes_cleared,
            p.help_requests_removed,
            if dry_run {
                " (dry run: nothing changed)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// Exits 1 when a chain is broken.
fn audit_verify(
    AuditVerifyArgs {
        database_url,
        against,
        heads_key,
    }: AuditVerifyArgs,
) -> anyhow::Result<()> {
    init_logging(false);
    let against = match against {
        Some(path) => Some((path, ops::audit_heads_key(heads_key.as_deref())?)),
        None => None,
    };
    let (reports, against_problems) = ops::audit_verify(&database_url, against)?;
    let mut broken = false;
    for r in &reports {
        println!(
            "district {}: {} events, head {} {}{}",
            r.district_id,
            r.events,
            r.head_seq,
            r.head_hash,
            if r.pending > 0 {
                format!(" ({} recorded, not chained yet)", r.pending)
            } else {
                String::new()
            }
        );
        for problem in &r.problems {
            broken = true;
            println!("  BROKEN: {problem}");
        }
    }
    for problem in &against_problems {
        broken = true;
        println!("BROKEN: {problem}");
    }
    if broken {
        std::process::exit(1);
    }
    println!("audit trail intact");
    Ok(())
}

fn audit_seal(DatabaseArgs { database_url }: DatabaseArgs) -> anyhow::Result<()> {
    init_logging(false);
    println!("{} event(s) chained", ops::audit_seal(&database_url)?);
    Ok(())
}

fn audit_heads(
    AuditHeadsArgs {
        database_url,
        out,
        heads_key,
    }: AuditHeadsArgs,
) -> anyhow::Result<()> {
    init_logging(false);
    let key = ops::audit_heads_key(heads_key.as_deref())?;
    let heads = ops::audit_heads(&database_url, &key)?;
    let json = serde_json::to_string_pretty(&heads)?;
    match out {
        Some(path) => std::fs::write(&path, json + "\n")
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?,
        None => println!("{json}"),
    }
    Ok(())
}

/// Exits 1 when the bundle has problems.
fn import_oneroster(
    OnerosterArgs {
        path,
        district,
        dry_run,
        json,
        database_url,
        max_uncompressed_bytes,
    }: OnerosterArgs,
) -> anyhow::Result<()> {
    init_logging(false);
    ops::migrate(&database_url)?;
    let limits = securebase::oneroster::Limits {
        max_uncompressed_bytes,
    };
    let bar = working(if dry_run {
        "checking the roster bundle"
    } else {
        "importing the roster bundle"
    });
    let report = ops::import_oneroster(&database_url, &district, &path, limits, dry_run);
    bar.finish_and_clear();
    let report = report?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_import_summary(&report);
    }
    if report.error_count > 0 {
        std::process::exit(1);
    }
    Ok(())
}

fn hash_timing(HashTimingArgs { runs }: HashTimingArgs) -> anyhow::Result<()> {
    let hash = securebase::auth::password::hash("a password nobody uses")?;
    let mut took: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let started = std::time::Instant::now();
            securebase::auth::password::verify(&hash, "a password nobody uses");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    took.sort_by(f64::total_cmp);
    println!("{:.2}", took[took.len() / 2]);
    Ok(())
}

fn synthetic(
    SyntheticArgs {
        schools,
        students_per_school,
        response_rate,
        seed,
        close,
        past_windows,
        admin_token_out,
        tokens_out,
        jwt_secret,
        token_ttl_secs,
        database_url,
        seal,
    }: SyntheticArgs,
) -> anyhow::Result<()> {
    init_logging(false);
    ops::migrate(&database_url)?;
    let mut conn = securebase::db::establish(&database_url)?;
    let spec = securebase::surveys::synthetic::Spec {
        schools,
        students_per_school,
        response_rate,
        seed,
        close,
        past_windows,
    };
    let keys = seal.resolve_seal_keys(false)?;
    let bar = working(&format!(
        "generating {schools} schools of {students_per_school} students and their answers"
    ));
    let g = securebase::surveys::synthetic::generate(&mut conn, &spec, &keys);
    bar.finish_and_clear();
    let g = g?;
    println!(
        "district {}\nwindow {}\n{} students, {} responses in {:.1} s",
        g.district_id, g.window_id, g.students, g.responses, g.seconds
    );
    let bar = working("opening the closed windows and building their reports");
    let run = securebase::reports::opening::run_job(&mut conn, &keys, chrono::TimeDelta::zero());
    bar.finish_and_clear();
    let run = run.map_err(|e| anyhow::anyhow!("{}", e.problem().detail))?;
    print_opened(&run);
    if let (Some(path), Some(secret)) = (tokens_out, jwt_secret.as_ref()) {
        let written = ops::write_tokens(&path, secret.as_bytes(), token_ttl_secs, &g.pending)?;
        println!("{written} tokens written to {}", path.display());
    }
    for id in &g.past_window_ids {
        println!("past window {id}");
    }
    if let (Some(path), Some(secret)) = (admin_token_out, jwt_secret.as_ref()) {
        let admin = securebase::accounts::Caller {
            user_id: g.admin_id.clone(),
            role: securebase::accounts::Role::DistrictAdmin,
            district_id: g.district_id.clone(),
            school_id: None,
            grade: None,
        };
        ops::write_tokens(&path, secret.as_bytes(), token_ttl_secs, &[admin])?;
        println!("administrator token written to {}", path.display());
    }
    Ok(())
}

/// Exits 1 when a window could not be opened.
fn surveys_close_due(
    CloseDueArgs {
        dry_run,
        database_url,
        seal,
    }: CloseDueArgs,
) -> anyhow::Result<()> {
    init_logging(false);
    ops::migrate(&database_url)?;
    let config = seal.config(&database_url);
    let keys = config.resolve_seal_keys(false)?;
    let mut conn = securebase::db::establish(&database_url)?;
    let run = if dry_run {
        securebase::reports::opening::rehearse(&mut conn, &keys, config.settle_period())
    } else {
        securebase::reports::opening::run_job(&mut conn, &keys, config.settle_period())
    }
    .map_err(|e| anyhow::anyhow!("{}", e.problem().detail))?;
    println!("{} window(s) frozen", run.frozen);
    print_opened(&run);
    println!(
        "{} window(s) opened{}",
        run.opened.len(),
        if dry_run {
            " (dry run: rolled back, nothing changed)"
        } else {
            ""
        }
    );
    if !run.failed.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

fn surveys_rewrap(RewrapArgs { database_url, seal }: RewrapArgs) -> anyhow::Result<()> {
    init_logging(false);
    let keys = seal.resolve_seal_keys(false)?;
    let mut conn = securebase::db::establish(&database_url)?;
    let (rewrapped, current) = ops::rewrap(&mut conn, &keys)?;
    println!(
        "{rewrapped} key(s) rewrapped (survey windows, identity-provider secrets); {current} already under the current key"
    );
    Ok(())
}

/// The password comes from SECUREBASE_ADMIN_PASSWORD or the first line of standard input.
fn create_admin(
    CreateAdminArgs {
        district,
        username,
        given_name,
        family_name,
        email,
        database_url,
    }: CreateAdminArgs,
) -> anyhow::Result<()> {
    init_logging(false);
    let password = match std::env::var("SECUREBASE_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let (district_id, user_id) = ops::create_admin(
        &database_url,
        ops::NewAdmin {
            district_name: district,
            username,
            given_name,
            family_name,
            email,
            password,
        },
    )?;
    println!("district {district_id}\nadministrator {user_id}");
    Ok(())
}

fn print_opened(run: &securebase::reports::opening::JobRun) {
    for o in &run.opened {
        println!(
            "opened window {}: {} responses in {:.3} s",
            o.window_id,
            o.responses,
            o.took.as_secs_f64()
        );
    }
    for (window, error) in &run.failed {
        eprintln!("window {window} could not be opened (it stays sealed): {error}");
    }
    for window in &run.rescored {
        println!("scored window {window} again under the current scoring rules");
    }
    for (window, error) in &run.rescore_failed {
        eprintln!("window {window} could not be scored again: {error}");
    }
}

fn print_import_summary(report: &securebase::oneroster::ImportReport) {
    for file in &report.files {
        println!("{:<22} {:>9} rows  ({})", file.file, file.rows, file.mode);
    }
    let kinds = [
        ("schools", &report.schools),
        ("terms", &report.terms),
        ("users", &report.users),
        ("classes", &report.classes),
        ("enrollments", &report.enrollments),
        ("class teachers", &report.class_teachers),
    ];
    for (kind, c) in kinds {
        println!(
            "{kind:<15} created {:>7}  updated {:>7}  deactivated {:>7}  unchanged {:>7}  stale {:>5}",
            c.created, c.updated, c.deactivated, c.unchanged, c.stale
        );
    }
    for (reason, count) in &report.skipped {
        println!("skipped: {reason}: {count}");
    }
    for notice in &report.notices {
        println!("notice: {notice}");
    }
    for line in report.error_lines() {
        eprintln!("error: {line}");
    }
    if report.error_count > report.errors.len() as u64 {
        eprintln!(
            "... and {} more problems",
            report.error_count - report.errors.len() as u64
        );
    }
    println!(
        "{}",
        match (report.error_count, report.dry_run) {
            (0, true) => "dry run: nothing was written".to_owned(),
            (0, false) => "imported".to_owned(),
            (n, _) => format!("{n} problem(s): nothing was written"),
        }
    );
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
