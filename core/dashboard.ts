/**
 * The contract between the dashboard's server (coordinator/service/dashboard, `assay run --ui`,
 * `assay report -o html`) and its page (ui/): the JSON the page reads and the names both sides
 * use. Types only, plus a few constants, so the browser bundle can import it without Node code.
 */
import type { LatencyBucketCount } from "./histogram.js";
import type * as api from "./proto/service.js";
import type { ResultDocument } from "./result.js";

/** The session cookie (HttpOnly, SameSite=Strict; Secure under TLS). */
export const DASHBOARD_SESSION_COOKIE = "assay_session";
/**
 * Every state-changing request (sign in, sign out) carries this header: a cross-site form cannot
 * set it, and a cross-site script cannot send it without a CORS preflight the server never allows.
 */
export const DASHBOARD_CSRF_HEADER = "x-assay-dashboard";

/** GET /api/session. */
export interface DashboardSession {
  /** The server needs a token (else everyone may look). */
  auth: boolean;
  signedIn: boolean;
  /** The token's name or role, when signed in. */
  name?: string;
  role?: string;
  /** "coordinator": many experiments; "run": the one experiment of `assay run --ui`. */
  mode: "coordinator" | "run";
}

/**
 * One experiment as the page draws it (GET /api/experiments/ID, and the data embedded in a static
 * report). `result` is the result document without its encoded histograms and sample statistics
 * (`distributions` carries what the page needs of the histograms); null while queued.
 */
export interface DashboardExperiment {
  summary: api.ExperimentSummary;
  result: ResultDocument | null;
  /** version -> the merged latency histogram of its load tasks in log-spaced buckets. */
  distributions: Record<string, LatencyBucketCount[]>;
}

/** GET /api/experiments. */
export interface DashboardExperimentList {
  experiments: api.ExperimentSummary[];
}

/** GET /api/agents. */
export interface DashboardAgents {
  agents: api.AgentSummary[];
}

/** What a static report (`assay report -o html`) embeds for the page. */
export interface DashboardStaticData {
  experiment: DashboardExperiment;
  /** When the file was written (ISO 8601). */
  generatedAt: string;
}
