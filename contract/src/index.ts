export type {
  AttributeSchemaView,
  AttributeSetView,
  AttributeView,
  ConditionView,
  SubjectMatcherView,
} from './pdp.js';
export type {
  BatchResponse,
  DataFileSummary,
  DataRead,
  DecisionExplain,
  DecisionReason,
  DecisionResponse,
  Effect,
  FieldError,
  PoliciesView,
  PolicyChange,
  PolicyIds,
  PolicyLoadError,
  PolicyRuleSummary,
  PolicySource,
  PolicySummary,
  Problem,
  RuleTrace,
} from './pdp.js';
export type { PlanKind, PlanResponse } from './pdp.js';
export { PLAN_OPERATORS, type PlanOperator } from './plan-operators.js';
export type { WouldAllow } from './pdp.js';
export {
  MAX_CHAT_MESSAGE,
  type AdminPoliciesResponse,
  type AnalyticsResponse,
  type ApiProblem,
  type AuthorizeResponse,
  type ChatHistory,
  type ChatMessage,
  type ChatReply,
  type ChatRequest,
  type Figure,
  type LogoutResponse,
  type MeResponse,
  type MeUser,
  type Permissions,
  type PlaygroundRequest,
  type PlaygroundResponse,
  type TokenRequest,
  type TokenResponse,
} from './demo-api.js';
export {
  DOCUMENT_CLASSIFICATIONS,
  DOCUMENT_ID_PATTERN,
  DOCUMENT_STATUSES,
  MAX_DOCUMENT_BODY,
  MAX_DOCUMENT_PAGE,
  MAX_DOCUMENT_TITLE,
  type DocumentClassification,
  type DocumentListResponse,
  type DocumentStatus,
  type DocumentSummary,
  type DocumentUpdate,
  type DocumentView,
} from './documents.js';
export { PAGES, pageNamed, type Page, type PageDefinition, type PageName } from './pages.js';
export { ALLOWED_JWT_ALGORITHMS, DEFAULT_JWT_ALGORITHMS, isAllowedJwtAlgorithm, type JwtAlgorithm } from './jwt.js';
export { LOG_LEVELS, isLogLevel, type LogLevel } from './log-levels.js';
export { claimPathProblem, groupsFromClaims, readClaimPath } from './groups-claim.js';
export { REQUEST_ID_HEADER, acceptedRequestId } from './request-id.js';
export type {
  AuthzenAction,
  AuthzenActionSearchResponse,
  AuthzenDecision,
  AuthzenDecisionContext,
  AuthzenEntity,
  AuthzenEntitySearchResponse,
  AuthzenEvaluationsResponse,
  AuthzenMetadata,
  AuthzenPage,
  AuthzenSearchContext,
} from './authzen.js';
export { ACCESS_TOKEN_TYP, NOT_ACCESS_TOKEN_CLAIMS, NOT_ACCESS_TOKEN_TYPS, normalizeTokenTyp, otherTokenKind } from './token-kind.js';
export type { AccessOption, DemoUserView, DemoUsersResponse } from './demo-api.js';
