/** What demo-api answers, as demo-web reads it (the routes are listed in demo-api/README.md). */
import type { PageName } from './pages.js';
import type { DecisionResponse, FieldError, PoliciesView } from './pdp.js';

/** For each page, whether the PDP allows its resource and action to this user. */
export type Permissions = Readonly<Record<PageName, boolean>>;

export interface MeUser {
  readonly sub: string;
  readonly username: string;
  readonly groups: readonly string[];
}

/** `GET /api/me`: the caller and what they may open. */
export interface MeResponse {
  readonly user: MeUser;
  readonly permissions: Permissions;
  /** The policy revision that decided; null when the PDP did not say. */
  readonly revision: string | null;
  /** The PDP's decision id for each page, to quote when asking for access to a refused one. */
  readonly decisionIds: Readonly<Record<PageName, string>>;
  /** For each refused page, how to be granted it ([] when no group would); absent when the PDP could not say. */
  readonly access?: Readonly<Partial<Record<PageName, readonly AccessOption[]>>>;
}

/**
 * One way to be granted a refused request, from the PDP's `explain.wouldAllow`: join all of
 * these groups (the PDP checked that they turn the whole decision into an allow).
 */
export interface AccessOption {
  readonly groups: readonly string[];
}

/** One demo user of demo-idp: the name, the groups, and which pages the PDP opens to them now. */
export interface DemoUserView {
  readonly username: string;
  readonly groups: readonly string[];
  readonly permissions: Permissions;
}

/** `GET /api/demo/users` (no token needed): demo-idp's users, decided by the loaded policies. */
export interface DemoUsersResponse {
  readonly users: readonly DemoUserView[];
  /** The policy revision that decided; null when there were no users to decide about. */
  readonly revision: string | null;
}

/** `GET /api/authorize`: where to send the browser to sign in. */
export interface AuthorizeResponse {
  readonly authorize_url: string;
}

/** `POST /api/token` with {@link TokenRequest}. */
export interface TokenResponse {
  readonly access_token: string;
  readonly expires_in?: number;
}

export interface TokenRequest {
  readonly code: string;
  readonly state: string;
}

/** `GET /api/logout`: the IdP's end-session URL. */
export interface LogoutResponse {
  readonly logout_url: string;
}

export interface ChatMessage {
  readonly role: 'assistant' | 'user';
  readonly text: string;
}

/** `GET /api/chat`. */
export interface ChatHistory {
  readonly messages: readonly ChatMessage[];
}

/** The body of `POST /api/chat`. */
export interface ChatRequest {
  readonly message: string;
}

/** The longest chat message demo-api accepts. */
export const MAX_CHAT_MESSAGE = 2000;

/** The answer to `POST /api/chat`. */
export interface ChatReply {
  readonly reply: string;
}

export interface Figure {
  readonly label: string;
  readonly value: number;
  readonly unit?: string;
}

/** `GET /api/analytics`. */
export interface AnalyticsResponse {
  readonly figures: readonly Figure[];
}

/** `GET /api/admin/policies`: the PDP's `/v1/policies`, passed through. */
export type AdminPoliciesResponse = PoliciesView;

/** The body of `POST /api/admin/playground` (admins only): a decision request about anyone. */
export interface PlaygroundRequest {
  readonly subject: { readonly id: string; readonly groups: readonly string[]; readonly claims?: Readonly<Record<string, unknown>> };
  readonly resource: { readonly type: string; readonly id?: string; readonly attributes?: Readonly<Record<string, unknown>> };
  readonly action: string;
  readonly context?: Readonly<Record<string, unknown>>;
}

/** The answer to `POST /api/admin/playground`: the PDP's decision with its `explain` trace. */
export type PlaygroundResponse = DecisionResponse & { readonly explain: NonNullable<DecisionResponse['explain']> };

/**
 * demo-api's RFC 9457 problem: `code` is stable; a 403 adds what was refused (`resource`,
 * `action`), the PDP's `decisionId` and `revision`; a 400 for a bad body adds `errors`; a refused sign-in
 * adds the IdP's `idp_error` (code_rejected, idp_bad_response) or the failed check's `reason` (id_token_invalid).
 */
export interface ApiProblem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly decisionId?: string;
  /** With `decisionId`: the policy revision that refused. */
  readonly revision?: string;
  readonly resource?: string;
  readonly action?: string;
  readonly errors?: readonly FieldError[];
  /** On a 403: how to be granted it ([] when no group would); absent when the PDP could not say. */
  readonly access?: readonly AccessOption[];
  readonly idp_error?: string;
  readonly reason?: string;
}
