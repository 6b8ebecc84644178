// Helpers for the browser journeys (journeys.mjs): Debian's Chromium driven by playwright-core,
// axe-core run on every page seen, and every console error, page error and Content-Security-Policy
// violation collected, so that a journey fails on any of them.
//
// The pages are served with a strict CSP (`script-src 'none'`), which is left enforced: axe is
// injected with page.evaluate (a DevTools-protocol evaluation, which CSP does not govern), never
// with page.addScriptTag (blocked) or bypassCSP (would hide violations).

import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core'), 'utf8');

export const PASSWORD = 'GrowTogether-2026';
export const SCREENSHOTS = process.env.SCREENSHOTS || 'target/ci/web';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 740 };
/** Pages the crawl visits at most, per call. */
export const CRAWL_LIMIT = 80;

// Every page made by newPage() since the last takePages(): the runner checks and closes them
// after each journey.
let tracked = [];

/** Chromium with the flags it needs on a machine without a network (without them it stalls). */
export async function launch() {
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
        ],
    });
}

/**
 * A page in a fresh context (its own cookies): desktop 1280x800, or with `{ phone: true }` a
 * 375x740 touch phone. `page.problems` collects console errors, CSP violations, page errors,
 * failed subresources and server errors (5xx); `assertClean(page)` throws when there are any.
 * `page.lastStatus()` is the HTTP status of the last document the page loaded.
 */
export async function newPage(browser, { phone = false } = {}) {
    const context = await browser.newContext(
        phone
            ? { viewport: PHONE, screen: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
            : { viewport: DESKTOP, screen: DESKTOP },
    );
    context.setDefaultTimeout(15_000);
    context.setDefaultNavigationTimeout(30_000);
    const problems = [];
    // Documents answered 4xx: Chromium logs "Failed to load resource: … status of 403" for them,
    // which is not a problem of the page (the journeys assert the statuses they expect).
    const documentErrors = new Set();

    // The `securitypolicyviolation` DOM event, reported through a binding. Both the binding and
    // the init script are installed over the DevTools protocol, so the page's CSP does not
    // block them.
    await context.exposeBinding('__reportCspViolation', ({ page }, v) => {
        problems.push(
            `CSP violation on ${v.documentURI}: ${v.effectiveDirective} blocked ` +
                `${v.blockedURI || '(inline)'}${v.sample ? ` "${v.sample}"` : ''}` +
                `${v.lineNumber ? ` at line ${v.lineNumber}` : ''}`,
        );
    });
    await context.addInitScript(() => {
        window.addEventListener(
            'securitypolicyviolation',
            (e) =>
                window.__reportCspViolation({
                    documentURI: e.documentURI,
                    effectiveDirective: e.effectiveDirective,
                    blockedURI: e.blockedURI,
                    sample: e.sample,
                    lineNumber: e.lineNumber,
                }),
            true,
        );
    });

    const page = await context.newPage();
    page.problems = problems;
    let lastDocument = null;
    page.lastStatus = () => lastDocument?.status() ?? null;

    page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const text = msg.text();
        const url = msg.location()?.url;
        if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text) && documentErrors.has(url)) {
            return;
        }
        // Chromium asks for /favicon.ico by itself; a page without one logs a 404 (serve one, or
        // name one under 'self' with <link rel="icon">: a data: icon is blocked by img-src).
        const hint = url && new URL(url).pathname === '/favicon.ico' ? ' (the browser asks for a favicon by itself)' : '';
        problems.push(`console error${url ? ` (${url})` : ''}: ${text}${hint}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('response', (response) => {
        const request = response.request();
        const status = response.status();
        if (request.isNavigationRequest() && response.frame() === page.mainFrame()) {
            if (status < 300 || status >= 400) lastDocument = response;
            if (status >= 400 && status < 500) documentErrors.add(response.url());
        }
        if (status >= 500) {
            problems.push(`server error: ${request.method()} ${response.url()} answered ${status}`);
        } else if (status >= 400 && request.resourceType() !== 'document') {
            problems.push(`${request.resourceType()} ${response.url()} answered ${status}`);
        }
    });
    page.on('requestfailed', (request) => {
        // A download aborts its navigation (net::ERR_ABORTED): not a problem.
        if (request.resourceType() === 'document') return;
        problems.push(`${request.resourceType()} ${request.url()} failed: ${request.failure()?.errorText}`);
    });

    tracked.push(page);
    return page;
}

/** The pages made by newPage() since the last call, and forget them. */
export function takePages() {
    const pages = tracked;
    tracked = [];
    return pages;
}

/** Throws when a console error, CSP violation, page error or failed request was seen. */
export function assertClean(page, where = page.url()) {
    if (page.problems.length) {
        const list = page.problems.splice(0).map((p) => `  - ${p}`).join('\n');
        throw new Error(`problems in the browser (up to ${where}):\n${list}`);
    }
}

/** A file-name-safe name for a path: `/` → `home`, `/surveys/12?x=1` → `surveys-12-x-1`. */
export function slug(urlOrPath) {
    const u = new URL(urlOrPath, 'http://x');
    const s = `${u.pathname}${u.search}`
        .replace(/[^A-Za-z0-9_.]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 100);
    return s || 'home';
}

/** Runs axe-core on the page; the violations of the WCAG 2.0/2.1 A and AA rules. */
export async function axe(page) {
    // A CDP evaluation: not subject to the page's CSP (script-src 'none').
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
        await page.evaluate(`${AXE_SOURCE}\n;undefined`);
    }
    return page.evaluate(async (tags) => {
        const results = await window.axe.run(document, {
            runOnly: { type: 'tag', values: tags },
            resultTypes: ['violations'],
        });
        return results.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            helpUrl: v.helpUrl,
            targets: v.nodes.map((n) => n.target.join(' ')),
        }));
    }, AXE_TAGS);
}

/**
 * Checks the current page: no axe violation (WCAG 2.0/2.1 A and AA), no horizontal overflow
 * (documentElement.scrollWidth within the viewport's width + 1), no console error, CSP violation
 * or page error so far; saves a full-page screenshot
 * to $SCREENSHOTS/<name>.png (before throwing, so a failure can be looked at).
 */
export async function check(page, name) {
    await page.waitForLoadState('load');
    const failures = [];
    const violations = await axe(page);
    for (const v of violations) {
        failures.push(
            `axe ${v.id} (${v.impact}): ${v.help}\n      at ${v.targets.slice(0, 8).join('\n         ')}` +
                (v.targets.length > 8 ? `\n         … and ${v.targets.length - 8} more` : ''),
        );
    }
    // The width to fit: the layout viewport (less a vertical scrollbar), and never more than the
    // window asked for. Not window.innerWidth alone: on a phone (isMobile) Chromium zooms out to
    // show a too-wide page, and innerWidth then grows with the page.
    const { scrollWidth, width, wide } = await page.evaluate((asked) => {
        const width = Math.min(document.documentElement.clientWidth, window.innerWidth, asked);
        // The elements sticking out, to say where the overflow comes from.
        const wide = [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > width + 1)
            .slice(0, 5)
            .map((el) => {
                const r = el.getBoundingClientRect();
                const id = el.id ? `#${el.id}` : '';
                const cls = typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
                return `${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(r.right)})`;
            });
        return { scrollWidth: document.documentElement.scrollWidth, width, wide };
    }, page.viewportSize()?.width ?? Infinity);
    if (scrollWidth > width + 1) {
        failures.push(
            `horizontal overflow: the page is ${scrollWidth}px wide in a ${width}px viewport` +
                (wide.length ? `; sticking out: ${wide.join(', ')}` : ''),
        );
    }
    for (const p of page.problems.splice(0)) failures.push(p);

    const file = path.join(SCREENSHOTS, `${name}.png`);
    mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file, fullPage: true });
    if (failures.length) {
        throw new Error(`${name} (${page.url()}):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    }
    return file;
}

/**
 * Runs `action` (a click, a key press…) and waits until the main frame has loaded the document
 * it navigates to. Returns the HTTP status of that document.
 */
export async function navigate(page, action) {
    const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
    navigated.catch(() => {}); // when the action fails, its error is the one to report
    await action();
    await navigated;
    await page.waitForLoadState('load');
    return page.lastStatus();
}

/** Goes to `url` and returns its status (after redirects). */
export async function go(page, url) {
    const response = await page.goto(url, { waitUntil: 'load' });
    return response?.status() ?? null;
}

/**
 * Signs in through the sign-in page: `${base}/sign-in`, or with `{ here: true }` the sign-in
 * form the page shows already (after a redirect to /sign-in?next=…).
 */
export async function signIn(page, base, username, password = PASSWORD, { here = false } = {}) {
    if (!here) await go(page, `${base}/sign-in`);
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await navigate(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
    if (new URL(page.url()).pathname === '/sign-in') {
        const said = (await page.locator('main').innerText().catch(() => '')).trim().slice(0, 300);
        throw new Error(`signing in as ${username} failed (status ${page.lastStatus()}): ${said}`);
    }
}

/** Whether a same-origin URL is one the crawl leaves alone. */
function skipped(url, exclude) {
    const p = url.pathname;
    if (p.startsWith('/api/') || p === '/docs' || p.startsWith('/docs/') || p === '/openapi.json') return true;
    if (/\.(csv|svg)$/i.test(p)) return true;
    const target = `${p}${url.search}`;
    return exclude.some((e) =>
        typeof e === 'function' ? e(url) : e instanceof RegExp ? e.test(target) : target.startsWith(e),
    );
}

/**
 * "axe on every page": breadth-first over the same-origin `<a href>` links (GET only) from
 * `startPath`, at most CRAWL_LIMIT pages, calling check() on each as `<prefix>-<slug of path>`.
 * Skips /api/, /docs, /openapi.json, .csv and .svg links and whatever `exclude` matches (path
 * prefixes, regular expressions over path+query, or functions of the URL). A page that answers
 * 4xx/5xx or fails check() is a failure; all of them are reported together at the end.
 * Returns the paths visited.
 */
export async function crawl(page, startPath, { exclude = [], prefix = 'page', base, limit = CRAWL_LIMIT } = {}) {
    const origin = new URL(base || page.url()).origin;
    const key = (u) => `${u.pathname}${u.search}`;
    const start = new URL(startPath, origin);
    const queue = [start];
    const seen = new Set([key(start)]);
    const visited = [];
    const failures = [];
    let left = 0;
    while (queue.length) {
        if (visited.length >= limit) {
            left = queue.length;
            break;
        }
        const url = queue.shift();
        let status;
        try {
            status = await go(page, url.href);
        } catch (e) {
            failures.push(`${key(url)}: ${e.message.split('\n')[0]}`);
            continue;
        }
        const landed = new URL(page.url());
        seen.add(key(landed));
        visited.push(key(url));
        if (landed.origin === origin && landed.pathname === '/sign-in' && url.pathname !== '/sign-in') {
            failures.push(`${key(url)}: redirected to ${key(landed)} (signed out?)`);
            break;
        }
        if (status === null || status >= 400) {
            failures.push(`${key(url)}: answered ${status}`);
        }
        try {
            await check(page, `${prefix}-${slug(key(url))}`);
        } catch (e) {
            failures.push(e.message);
        }
        const hrefs = await page.$$eval('a[href]', (as) =>
            as.filter((a) => !a.hasAttribute('download')).map((a) => a.href),
        );
        for (const href of hrefs) {
            let next;
            try {
                next = new URL(href);
            } catch {
                continue;
            }
            if (next.origin !== origin || !/^https?:$/.test(next.protocol)) continue;
            next.hash = '';
            if (seen.has(key(next)) || skipped(next, exclude)) continue;
            seen.add(key(next));
            queue.push(next);
        }
    }
    if (left) console.log(`    crawl ${prefix}: stopped at ${limit} pages, ${left} more not visited`);
    if (failures.length) {
        throw new Error(
            `crawl ${prefix}: ${failures.length} of ${visited.length} pages failed:\n` +
                failures.map((f) => `  * ${f.replace(/\n/g, '\n    ')}`).join('\n'),
        );
    }
    return visited;
}

/**
 * Presses Tab (at most `max` times) until `locator` has the keyboard focus; fails otherwise.
 * Used by the keyboard-only journey: what Tab never reaches, a keyboard user cannot use.
 */
export async function tabTo(page, locator, { max = 150, what = String(locator) } = {}) {
    const target = await locator.elementHandle();
    for (let i = 0; i <= max; i++) {
        if (await target.evaluate((el) => el === document.activeElement)) return;
        await page.keyboard.press('Tab');
    }
    throw new Error(`Tab never reached ${what} (${max} presses)`);
}

/** Fails unless `cond`. */
export function assert(cond, message) {
    if (!cond) throw new Error(message);
}

/** The text of the page's one h1. */
export async function h1(page) {
    const h = page.locator('h1');
    const n = await h.count();
    assert(n === 1, `${page.url()}: ${n} h1 elements, expected 1`);
    return (await h.innerText()).trim();
}

/** Fails unless the page's h1 is `text`. */
export async function expectH1(page, text) {
    const got = await h1(page);
    assert(got === text, `${page.url()}: h1 is "${got}", expected "${text}"`);
}

/** Today's date on this machine, YYYY-MM-DD. */
export function today() {
    const d = new Date();
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
