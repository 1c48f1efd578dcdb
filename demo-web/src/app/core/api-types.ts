/** Shapes of the demo-api responses this app consumes (see COMMON.md, "demo-api HTTP"). */

export type Page = 'chat' | 'analytics' | 'admin';

export const PAGES: readonly Page[] = ['chat', 'analytics', 'admin'];

export type Permissions = Readonly<Record<Page, boolean>>;

export interface MeUser {
  readonly sub: string;
  readonly username: string;
  readonly groups: readonly string[];
}

export interface Me {
  readonly user: MeUser;
  readonly permissions: Permissions;
  readonly revision?: string | null;
}

export interface AuthorizeResponse {
  readonly authorize_url: string;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly expires_in?: number;
}

export interface LogoutResponse {
  readonly logout_url: string;
}

export interface ChatMessage {
  readonly role: 'assistant' | 'user';
  readonly text: string;
}

export interface ChatHistory {
  readonly messages: readonly ChatMessage[];
}

export interface ChatReply {
  readonly reply: string;
}

export interface Figure {
  readonly label: string;
  readonly value: number;
  readonly unit?: string;
}

export interface AnalyticsResponse {
  readonly figures: readonly Figure[];
}

export interface PolicyRuleSummary {
  readonly id: string;
  readonly effect: 'allow' | 'deny';
  readonly actions: readonly string[];
}

export interface PolicySummary {
  readonly id: string;
  readonly resource: string;
  readonly description?: string;
  readonly file?: string;
  readonly rules: readonly PolicyRuleSummary[];
}

export interface PolicyLoadError {
  readonly file: string;
  readonly pointer: string;
  readonly message: string;
}

export interface PoliciesResponse {
  readonly revision: string;
  readonly loadedAt?: string;
  readonly policies: readonly PolicySummary[];
  readonly roles?: readonly string[];
  readonly lastError?: null | { readonly at: string; readonly errors: readonly PolicyLoadError[] };
}

/** RFC 9457 problem details, as demo-api sends them (403 adds resource, action and decisionId). */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly decisionId?: string;
  readonly resource?: string;
  readonly action?: string;
}
