// Browser journeys over the server-rendered pages, against a demo server (`securebase serve
// --demo`) at BASE_URL, in Debian's Chromium. Every page seen is checked with axe-core (WCAG 2.0
// and 2.1, A and AA), for horizontal overflow, and for console errors, CSP violations and page
// errors; a full-page screenshot of each goes to $SCREENSHOTS (default target/ci/web).
//
//   BASE_URL=http://localhost:18080 node tests/web/journeys.mjs          (all journeys)
//   JOURNEYS=a,e,h BASE_URL=… node tests/web/journeys.mjs                (some, by letter)
//   ROLE_SHOTS=docs/screenshots BASE_URL=… node tests/web/journeys.mjs   (also one picture per role)
//
// The server is reached over plain http on a loopback host: the session cookie is Secure, and
// browsers keep Secure cookies over http only from loopback hosts (a real deployment is https).
// The journeys change the demo data (a survey taken, a lesson assigned, pairs accepted): run
// them against a fresh demo database (tests/ci/web.sh does).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
    SCREENSHOTS,
    assert,
    check,
    crawl,
    expectH1,
    go,
    h1,
    launch,
    navigate,
    newPage,
    signIn,
    tabTo,
    takePages,
    today,
} from './lib.mjs';

const BASE = (process.env.BASE_URL || 'http://localhost:18080').replace(/\/+$/, '');
const ROLE_SHOTS = process.env.ROLE_SHOTS || '';
const ONLY = (process.env.JOURNEYS || '').split(',').map((s) => s.trim()).filter(Boolean);
const JOURNEY_TIMEOUT_MS = Number(process.env.JOURNEY_TIMEOUT_MS || 5 * 60_000);

const STUDENT = 'andreg197';
const TEACHER = 'samuel.ortega';
const COUNSELOR = 'daniel.kim';
const SCHOOL_ADMIN = 'gregory.tan';
const DISTRICT_ADMIN = 'denise.whitfield';
const ROLES = [
    ['student', STUDENT],
    ['teacher', TEACHER],
    ['counselor', COUNSELOR],
    ['school_admin', SCHOOL_ADMIN],
    ['district_admin', DISTRICT_ADMIN],
];
const CLASS_NAME = 'Health & Wellness 7';
// A Riverbend grade 7 student whose survey no journey takes.
const STUDENT_OPTED_OUT = 'amaraa251';

// --- small helpers ---------------------------------------------------------------------------

const pathOf = (page) => {
    const u = new URL(page.url());
    return `${u.pathname}${u.search}`;
};

/** Clicks `locator` and waits for the document it leads to; returns its status. */
const follow = (page, locator) => navigate(page, () => locator.click());

/** The first integer in the element's text. */
async function numberIn(locator, what) {
    const text = (await locator.innerText()).trim();
    const m = text.match(/\d+/);
    assert(m, `${what}: no number in "${text}"`);
    return Number(m[0]);
}

/** Of the links `locator` matches, the one whose href names `id` when several do, else the first. */
async function pickLink(locator, id) {
    const n = await locator.count();
    assert(n > 0, `no link matches ${locator}`);
    if (n > 1 && id) {
        for (let i = 0; i < n; i++) {
            const href = (await locator.nth(i).getAttribute('href')) || '';
            if (href.split(/[/?#]/).includes(String(id))) return locator.nth(i);
        }
    }
    return locator.first();
}

/** Teacher: My classes → the class → "Assign a lesson". */
async function openAssignForm(page, name) {
    await expectH1(page, 'My classes');
    await follow(page, page.getByRole('link', { name: CLASS_NAME }).first());
    await check(page, `${name}-class`);
    await follow(page, page.getByRole('link', { name: 'Assign a lesson' }).first());
    await page.getByLabel('Search the library').waitFor();
    await page.getByRole('button', { name: 'Search', exact: true }).waitFor();
}

/** The number of body rows of the table captioned "Matches" (0 when there is no such table). */
async function matchRows(page) {
    const table = page.getByRole('table', { name: 'Matches' });
    if ((await table.count()) === 0) return 0;
    return table.locator('tbody tr').count();
}

/** The ids ending in -error that an element's aria-describedby names, with their texts. */
function describedErrors(locator) {
    return locator.evaluate((el) =>
        (el.getAttribute('aria-describedby') || '')
            .split(/\s+/)
            .filter((id) => id.endsWith('-error'))
            .map((id) => ({ id, text: (document.getElementById(id)?.textContent || '').trim() })),
    );
}

// --- the journeys ----------------------------------------------------------------------------

const journeys = [];
const journey = (id, name, fn) => journeys.push({ id, name, fn });

// First, before the journeys change the demo: each role's start page (and, with ROLE_SHOTS, the
// README's picture of it, window-sized).
journey('0', "each role's start page", async (browser) => {
    for (const [role, username] of ROLES) {
        const page = await newPage(browser);
        await signIn(page, BASE, username);
        await check(page, `${role}-start`);
        if (ROLE_SHOTS) {
            mkdirSync(ROLE_SHOTS, { recursive: true });
            await page.screenshot({ path: path.join(ROLE_SHOTS, `${role}.png`) });
        }
        await page.context().close();
    }
});

journey('a', 'student takes a survey with the keyboard only', async (browser) => {
    const page = await newPage(browser);
    await signIn(page, BASE, STUDENT);
    assert(new URL(page.url()).pathname === '/', `after sign-in: ${page.url()}, expected /`);
    await expectH1(page, 'Today');
    await check(page, 'student-today');

    const take = page.getByRole('link', { name: /^Take the survey/ }).first();
    const surveyPath = new URL(await take.getAttribute('href'), BASE).pathname;
    assert(/^\/surveys\/[^/]+$/.test(surveyPath), `"Take the survey" leads to ${surveyPath}, expected /surveys/{id}`);

    // From here on, the keyboard only.
    await tabTo(page, take, { what: '"Take the survey" link' });
    await navigate(page, () => page.keyboard.press('Enter'));
    assert(new URL(page.url()).pathname === surveyPath, `Enter on the link led to ${page.url()}`);
    await check(page, 'student-survey');
    const start = page.getByRole('button', { name: 'Start', exact: true });
    await tabTo(page, start, { what: '"Start" button' });
    await navigate(page, () => page.keyboard.press('Enter'));

    for (let section = 1; ; section++) {
        assert(section <= 40, 'more than 40 survey pages: no "Send my answers"');
        const radios = page.locator('main input[type=radio]');
        const groups = await radios.evaluateAll((rs) => [...new Set(rs.map((r) => r.name))]);
        assert(groups.length > 0, `survey page ${section} (${page.url()}) has no radio buttons`);
        // Each question is a fieldset whose legend asks it.
        const loose = await radios.evaluateAll((rs) =>
            rs
                .filter((r) => !r.closest('fieldset')?.querySelector(':scope > legend')?.textContent.trim())
                .map((r) => r.name),
        );
        assert(loose.length === 0, `radio groups outside a fieldset with a legend: ${[...new Set(loose)].join(', ')}`);
        for (const [i, name] of groups.entries()) {
            const options = page.locator(`main input[type=radio][name=${JSON.stringify(name)}]`);
            const first = options.first();
            await tabTo(page, first, { what: `the first option of question "${name}"` });
            await page.keyboard.press('Space');
            if (i === 0 && (await options.count()) > 1) {
                // The arrow keys move the choice within the group; back to the first.
                await page.keyboard.press('ArrowDown');
                assert(await options.nth(1).isChecked(), `ArrowDown did not choose the second option of "${name}"`);
                await page.keyboard.press('ArrowUp');
            }
            assert(await first.isChecked(), `question "${name}": the first option is not chosen`);
        }
        await check(page, `student-survey-section-${section}`);
        const next = page.getByRole('button', { name: 'Next', exact: true });
        if ((await next.count()) > 0) {
            await tabTo(page, next, { what: '"Next" button' });
            await navigate(page, () => page.keyboard.press('Enter'));
            continue;
        }
        const send = page.getByRole('button', { name: 'Send my answers', exact: true });
        assert((await send.count()) > 0, `survey page ${section}: neither "Next" nor "Send my answers"`);
        await tabTo(page, send, { what: '"Send my answers" button' });
        const status = await navigate(page, () => page.keyboard.press('Space'));
        assert(status < 400, `sending the answers answered ${status}`);
        break;
    }
    await expectH1(page, 'Thank you');
    await check(page, 'student-survey-thank-you');

    await go(page, `${BASE}/`);
    const stillListed = await page
        .locator('a[href]')
        .evaluateAll((as, p) => as.filter((a) => new URL(a.href).pathname === p).length, surveyPath);
    assert(stillListed === 0, `"Today" still links to ${surveyPath} after the survey was taken`);
    await check(page, 'student-today-after-survey');
    await go(page, `${BASE}${surveyPath}`);
    await page.getByText('You have already taken this survey').first().waitFor();
    await check(page, 'student-survey-already-taken');
});

journey('b', 'teacher assigns a lesson, the student finishes it, the teacher sees it', async (browser) => {
    const teacher = await newPage(browser);
    await signIn(teacher, BASE, TEACHER);
    await check(teacher, 'teacher-my-classes');
    await openAssignForm(teacher, 'teacher');
    await check(teacher, 'teacher-assign-lesson');

    const lesson = teacher.getByRole('group', { name: 'Lesson', exact: true }).getByRole('radio').first();
    const label = await lesson.evaluate((el) =>
        (el.labels?.[0]?.innerText || el.getAttribute('aria-label') || '').trim(),
    );
    await lesson.check();
    await teacher.getByLabel('Scheduled on').fill(today());
    const status = await follow(teacher, teacher.getByRole('button', { name: 'Assign', exact: true }));
    assert(status < 400, `Assign answered ${status}`);
    const title = await h1(teacher);
    assert(title && label.includes(title), `the assignment page's h1 "${title}" is not the chosen lesson ("${label}")`);
    await teacher.getByRole('heading', { name: 'Progress' }).first().waitFor();
    const assignmentPath = new URL(teacher.url()).pathname;
    const assignmentId = assignmentPath.split('/').filter(Boolean).pop();
    const before = await numberIn(teacher.getByTestId('completed-count'), 'completed-count');
    assert(before === 0, `completed-count is ${before} on a new assignment, expected 0`);
    await check(teacher, 'teacher-assignment');

    const student = await newPage(browser);
    await signIn(student, BASE, STUDENT);
    await expectH1(student, 'Today');
    await follow(student, await pickLink(student.getByRole('link', { name: title }), assignmentId));
    await check(student, 'student-lesson');
    await student.getByRole('group', { name: 'How do you feel now?' }).getByRole('radio').first().check();
    await student.getByLabel('Your reflection (optional)').fill('Breathing slowly helped me calm down before the test.');
    const done = await follow(student, student.getByRole('button', { name: 'I finished this lesson', exact: true }));
    assert(done < 400, `"I finished this lesson" answered ${done}`);
    await student.getByText('Well done').first().waitFor();
    await check(student, 'student-lesson-finished');

    await teacher.reload({ waitUntil: 'load' });
    const after = await numberIn(teacher.getByTestId('completed-count'), 'completed-count');
    assert(after === 1, `completed-count went from ${before} to ${after}, expected 1`);
    await check(teacher, 'teacher-assignment-completed');
});

journey('c', 'counselor accepts the suggested mentoring pairs', async (browser) => {
    const page = await newPage(browser);
    await signIn(page, BASE, COUNSELOR);
    await follow(page, page.getByRole('link', { name: 'Mentoring', exact: true }).first());
    await check(page, 'counselor-mentoring');
    // The first link in main below the mentoring page's own path (/mentoring/…), else the first.
    const here = new URL(page.url()).pathname.replace(/\/$/, '');
    const programs = page.locator(`main a[href^="${here}/"]`);
    await follow(page, (await programs.count()) ? programs.first() : page.locator('main a[href]').first());
    const before = await matchRows(page);
    await page.getByText('Suggested pairs').first().waitFor();
    const accept = page.getByRole('button', { name: 'Accept the selected pairs', exact: true });
    const form = page.locator('form').filter({ has: accept });
    const boxes = form.getByRole('checkbox');
    const n = await boxes.count();
    assert(n > 0, 'no suggested pair to accept');
    for (let i = 0; i < n; i++) assert(await boxes.nth(i).isChecked(), `suggested pair ${i + 1} is not checked`);
    await check(page, 'counselor-mentoring-program');

    const status = await follow(page, accept);
    assert(status < 400, `accepting the pairs answered ${status}`);
    const said = page.getByRole('status').filter({ hasText: /accepted/i });
    assert((await said.count()) > 0, `no status message saying pairs were accepted (status: "${
        (await page.getByRole('status').allInnerTexts()).join(' | ')}")`);
    const after = await matchRows(page);
    assert(after > before, `the Matches table has ${after} rows, ${before} before accepting`);
    await check(page, 'counselor-mentoring-accepted');
});

journey('d', 'district admin reads a closed window report and downloads its CSV', async (browser) => {
    const page = await newPage(browser);
    await signIn(page, BASE, DISTRICT_ADMIN);
    await expectH1(page, 'Climate reports');
    await check(page, 'district_admin-climate-reports');
    // The first link of a closed window: in a region named "…closed…", else in a row or list
    // item that says "closed".
    const candidates = [
        page.getByRole('region', { name: /closed/i }).getByRole('link'),
        page.locator('main').locator('tr, li, article').filter({ hasText: /\bclosed\b/i }).getByRole('link'),
    ];
    let link = null;
    for (const c of candidates) {
        if ((await c.count()) > 0) {
            link = c.first();
            break;
        }
    }
    assert(link, 'no link to a closed window (looked in a region named "closed", then rows/items saying "closed")');
    await follow(page, link);
    await check(page, 'district_admin-report');

    const images = await page.locator('img').evaluateAll((imgs) =>
        imgs.map((i) => ({ src: i.src, alt: (i.getAttribute('alt') || '').trim(), loaded: i.complete && i.naturalWidth > 0 })),
    );
    assert(images.some((i) => i.alt && i.loaded), `no loaded image with alt text: ${JSON.stringify(images)}`);
    const captions = await page.locator('table > caption').allInnerTexts();
    assert(captions.some((c) => c.trim()), 'no table with a caption');

    const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download CSV' }).first().click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
    const file = path.join(SCREENSHOTS, `district_admin-${download.suggestedFilename() || 'report.csv'}`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(file, csv);
    const lines = csv.split(/\r?\n/).filter((l) => l.trim());
    const header = (lines[0] || '').split(',').map((f) => f.trim().replace(/^"|"$/g, ''));
    assert(
        header.length >= 2 && header.every((f) => f && !/^-?\d+(\.\d+)?$/.test(f)),
        `the CSV does not start with a header line: "${lines[0]}"`,
    );
    assert(lines.length > 1, `the CSV has ${lines.length} line(s), expected a header and data`);
});

journey('e', 'teacher is refused the district reports (403)', async (browser) => {
    const page = await newPage(browser);
    await signIn(page, BASE, TEACHER);
    const status = await go(page, `${BASE}/reports`);
    assert(status === 403, `/reports answered ${status} to a teacher, expected 403`);
    await expectH1(page, 'Not allowed');
    await check(page, 'teacher-reports-not-allowed');
});

journey('f', 'expired session: sign in again and land on the page asked for', async (browser) => {
    const page = await newPage(browser);
    await signIn(page, BASE, STUDENT);
    // A page deeper than /: the first link of the main navigation that is not home or sign-out.
    const navPaths = await page
        .locator('nav a[href]')
        .evaluateAll((as) => as.map((a) => new URL(a.href)).filter((u) => u.origin === location.origin).map((u) => u.pathname + u.search));
    const target = navPaths.find((p) => p !== '/' && !p.startsWith('/sign-out') && !p.startsWith('/api/')) || '/';
    await page.context().clearCookies();
    await go(page, `${BASE}${target}`);
    const landed = new URL(page.url());
    assert(
        landed.pathname === '/sign-in' && landed.searchParams.get('next') === target,
        `without a session ${target} led to ${pathOf(page)}, expected /sign-in?next=${encodeURIComponent(target)}`,
    );
    await check(page, 'student-sign-in-again');
    await signIn(page, BASE, STUDENT, undefined, { here: true });
    assert(pathOf(page) === target, `after signing in again: ${pathOf(page)}, expected ${target}`);
});

journey('g', 'bad input on "Assign a lesson": errors next to the fields, 422', async (browser) => {
    const page = await newPage(browser);
    await signIn(page, BASE, TEACHER);
    await openAssignForm(page, 'teacher-bad-input');
    // The browser's own checks would stop an invalid form before it is sent (what a person sees);
    // here the server's answer is tested: no validation in the browser, a date the date input
    // could not hold (as an old browser without date inputs sends it), no lesson chosen.
    await page.evaluate(() => {
        for (const f of document.forms) f.noValidate = true;
    });
    const group = page.getByRole('group', { name: 'Lesson', exact: true });
    await group.getByRole('radio').evaluateAll((rs) => rs.forEach((r) => (r.checked = false)));
    await page.getByLabel('Scheduled on').evaluate((el) => (el.type = 'text'));
    await page.getByLabel('Scheduled on').fill('2026-02-31');
    const status = await follow(page, page.getByRole('button', { name: 'Assign', exact: true }));
    assert(status === 422, `an invalid "Assign a lesson" answered ${status}, expected 422`);

    const dateErrors = await describedErrors(page.getByLabel('Scheduled on'));
    assert(
        dateErrors.some((e) => e.text),
        `"Scheduled on" names no error message (aria-describedby → an element whose id ends in -error): ${JSON.stringify(dateErrors)}`,
    );
    const lessonGroup = page.getByRole('group', { name: 'Lesson', exact: true });
    const lessonErrors = [
        ...(await describedErrors(lessonGroup)),
        ...(await describedErrors(lessonGroup.getByRole('radio').first())),
    ];
    assert(
        lessonErrors.some((e) => e.text),
        `"Lesson" names no error message (aria-describedby on the fieldset or its radios → an id ending in -error)`,
    );
    await check(page, 'teacher-assign-lesson-errors');
});

journey('i', 'student checks in and asks an adult for help', async (browser) => {
    const page = await newPage(browser);
    await signIn(page, BASE, STUDENT);
    await follow(page, page.getByRole('link', { name: /^(Check in|Change my check-in)$/ }).first());
    await expectH1(page, 'How are you today?');
    // Sent without a feeling: the error is named beside the question, nothing is saved.
    let status = await follow(page, page.getByRole('button', { name: 'Save my check-in' }));
    assert(status === 422, `a check-in without a feeling answered ${status}`);
    await check(page, 'student-check-in-errors');
    await page.getByRole('group', { name: 'How do you feel?' }).getByRole('radio').first().check();
    await page.getByRole('group', { name: 'How strong is the feeling?' }).getByRole('radio').nth(2).check();
    await page.getByLabel('Anything you want to say? (optional)').fill('A good day.');
    status = await follow(page, page.getByRole('button', { name: 'Save my check-in' }));
    assert(status < 400, `the check-in answered ${status}`);
    assert((await page.getByRole('status').filter({ hasText: 'Thank you for checking in' }).count()) > 0, 'no thanks for the check-in');
    await check(page, 'student-checked-in');
    await follow(page, page.getByRole('link', { name: 'Ask an adult for help' }));
    await page.getByRole('group', { name: 'What is it about?' }).getByRole('radio', { name: 'Friends' }).check();
    status = await follow(page, page.getByRole('button', { name: 'Send my request' }));
    assert(status < 400, `the request for help answered ${status}`);
    assert((await page.getByRole('status').filter({ hasText: 'Your request was sent' }).count()) > 0, 'no word that the request was sent');
    assert((await page.getByRole('heading', { name: 'Your requests' }).count()) > 0, 'the request is not listed');
    await check(page, 'student-asked-for-help');
});

journey('j', 'school admin prints login cards; counselor records an opt-out', async (browser) => {
    const admin = await newPage(browser);
    await signIn(admin, BASE, SCHOOL_ADMIN);
    await follow(admin, admin.getByRole('link', { name: 'Login cards', exact: true }));
    await admin.getByLabel('A class').selectOption({ label: CLASS_NAME });
    await admin.getByLabel('Also for students who already have a password').check();
    const status = await follow(admin, admin.getByRole('button', { name: 'Make the cards' }));
    assert(status === 200, `making cards answered ${status}`);
    const cards = admin.locator('.login-card');
    assert((await cards.count()) > 0, 'no login card printed');
    await check(admin, 'school_admin-login-cards');

    const counselor = await newPage(browser);
    await signIn(counselor, BASE, COUNSELOR);
    await follow(counselor, counselor.getByRole('link', { name: 'Survey opt-outs', exact: true }));
    const survey = counselor.getByLabel('Survey');
    const options = await survey.locator('option').count();
    assert(options > 1, 'no open or upcoming survey to opt a student out of');
    await survey.selectOption({ index: 1 });
    await counselor.getByLabel("Student's username").fill('no-such-student');
    let answered = await follow(counselor, counselor.getByRole('button', { name: 'Record the opt-out' }));
    assert(answered === 422, `an unknown student answered ${answered}`);
    await check(counselor, 'counselor-opt-out-error');
    await counselor.getByLabel("Student's username").fill(STUDENT_OPTED_OUT);
    answered = await follow(counselor, counselor.getByRole('button', { name: 'Record the opt-out' }));
    assert(answered < 400, `the opt-out answered ${answered}`);
    assert((await counselor.getByRole('status').filter({ hasText: 'Recorded' }).count()) > 0, 'no word that it was recorded');
    await check(counselor, 'counselor-opt-out-recorded');
});

for (const [role, username] of ROLES) {
    journey(`h`, `crawl as ${role} (${username}), desktop`, async (browser) => {
        const page = await newPage(browser);
        await signIn(page, BASE, username);
        const visited = await crawl(page, '/', { prefix: role, exclude: ['/sign-out'] });
        console.log(`    ${role}: ${visited.length} pages`);
    });
}
journey('h', `crawl as student (${STUDENT}), phone`, async (browser) => {
    const page = await newPage(browser, { phone: true });
    await signIn(page, BASE, STUDENT);
    const visited = await crawl(page, '/', { prefix: 'student-phone', exclude: ['/sign-out'] });
    console.log(`    student (phone): ${visited.length} pages`);
});

// --- the runner ------------------------------------------------------------------------------

const chosen = journeys.filter((j) => !ONLY.length || ONLY.includes(j.id));
if (!chosen.length) {
    console.error(`no journey among: ${[...new Set(journeys.map((j) => j.id))].join(',')}`);
    process.exit(2);
}
// A stray promise of a failed journey must not end the run.
process.on('unhandledRejection', (e) => console.log(`    (late error: ${String(e?.message || e).split('\n')[0]})`));
console.log(`web journeys against ${BASE}; screenshots in ${SCREENSHOTS}`);
const browser = await launch();
let passed = 0;
let failed = 0;
for (const j of chosen) {
    const t0 = Date.now();
    let error = null;
    let timer;
    try {
        await Promise.race([
            j.fn(browser),
            new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error(`timed out after ${JOURNEY_TIMEOUT_MS / 1000} s`)), JOURNEY_TIMEOUT_MS);
            }),
        ]);
    } catch (e) {
        error = e;
    } finally {
        clearTimeout(timer);
    }
    // Whatever went wrong in a page after its last check() fails the journey too.
    const late = [];
    for (const page of takePages()) {
        late.push(...page.problems.splice(0).map((p) => `${page.url()}: ${p}`));
        await page.context().close().catch(() => {});
    }
    if (!error && late.length) error = new Error(`problems in the browser:\n${late.map((p) => `  - ${p}`).join('\n')}`);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (error) {
        failed++;
        console.log(`FAIL ${j.id}. ${j.name} (${secs} s)`);
        const text = error.message || String(error);
        console.log(text.split('\n').map((l) => `     ${l}`).join('\n'));
        if (process.env.WEB_DEBUG) console.log(error.stack);
    } else {
        passed++;
        console.log(`ok   ${j.id}. ${j.name} (${secs} s)`);
    }
}
await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
