// Compiled by tests/ci/contract.sh under `tsc --strict --noEmit` against the TypeScript types
// that openapi-typescript generates from openapi/openapi.json (./schema.d.ts). It fails to
// compile when a documented model loses its name or its shape changes under a client.
import type { components, operations, paths } from "./schema";

type Schemas = components["schemas"];
type Class = Schemas["Class"];
type PageOfClasses = Schemas["Page_Class"];
type Problem = Schemas["Problem"];
type ProblemType = Schemas["ProblemType"];
type ClimateReport = Schemas["ClimateReport"];
type LoginRequest = Schemas["LoginRequest"];
type TokenResponse = Schemas["TokenResponse"];

// A list page holds the named item type, not an anonymous copy of it.
export function classNames(page: PageOfClasses): string[] {
    const items: Class[] = page.items;
    return items.map((c: Class) => c.name);
}

// Problem types are a closed set of URNs.
export function isRetryable(problem: Problem): boolean {
    const type: ProblemType = problem.type;
    return type === "urn:securebase:problem:rate-limited" || type === "urn:securebase:problem:busy";
}

// Report rates: `response_percent` is 0–100.
export function responsePercent(report: ClimateReport): number | null {
    return report.total.response_percent ?? null;
}

export const signIn: LoginRequest = { username: "denise.whitfield", password: "GrowTogether-2026" };

export function bearer(tokens: TokenResponse): string {
    return `${tokens.token_type} ${tokens.access_token}`;
}

// Operations and their documented headers.
type Login = operations["login"];
export type LoginOk = Login["responses"][200]["content"]["application/json"];
export type RequestId = Login["responses"][200]["headers"]["X-Request-Id"];
export type ClassesPath = paths["/api/v1/classes"]["get"];
