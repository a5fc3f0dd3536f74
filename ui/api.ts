/**
 * The page's calls to its server: same-origin JSON with the session cookie; sign-in and sign-out
 * carry the CSRF header. A 401 means the session is gone: the page shows the sign-in form.
 */
import type { DashboardAgents, DashboardExperiment, DashboardExperimentList, DashboardSession } from "../core/index.js";

/** Must equal DASHBOARD_CSRF_HEADER in core/dashboard.ts (the page imports no runtime code from core). */
const CSRF_HEADER = "x-assay-dashboard";

export class Unauthorized extends Error {}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: "same-origin", headers: { accept: "application/json" } });
  if (res.status === 401) throw new Unauthorized("sign in first");
  if (!res.ok) throw new Error(await errorOf(res));
  return (await res.json()) as T;
}

async function errorOf(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: unknown };
    return typeof body.error === "string" ? body.error : `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

export const session = (): Promise<DashboardSession> => getJson<DashboardSession>("/api/session");
export const experiments = (): Promise<DashboardExperimentList> => getJson<DashboardExperimentList>("/api/experiments");
export const experiment = (id: string): Promise<DashboardExperiment> => getJson<DashboardExperiment>(`/api/experiments/${encodeURIComponent(id)}`);
export const agents = (): Promise<DashboardAgents> => getJson<DashboardAgents>("/api/agents");
export const eventsUrl = (id: string): string => `/api/experiments/${encodeURIComponent(id)}/events`;

/** Exchanges a token for the session cookie; the token goes in the body, never in a URL. */
export async function signIn(token: string): Promise<void> {
  const res = await fetch("/api/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", [CSRF_HEADER]: "1" },
    body: JSON.stringify({ token }),
  });
  if (!res.ok) throw new Error(res.status === 401 ? "That token is not valid." : await errorOf(res));
}

export async function signOut(): Promise<void> {
  await fetch("/api/session", { method: "DELETE", credentials: "same-origin", headers: { [CSRF_HEADER]: "1" } });
}
