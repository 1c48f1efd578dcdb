export { startApi, type ApiHandle, type StartApiOptions } from './server.js';
export { createApp, PUBLIC_API_PATHS } from './app.js';
export { apiConfigFromEnv, buildApiConfig, type ApiConfig, type ApiConfigInput } from './config.js';
export { ApiError, ConfigError, PROBLEMS, type ProblemCode } from './errors.js';
export { PdpClient, type PdpDecision, type PdpSubject } from './pdp-client.js';
export { sealTransaction, openTransaction, newTransaction, TXN_COOKIE, txnCookieName, type Transaction } from './oidc/transaction.js';
export { userFromClaims } from './http/auth.js';
