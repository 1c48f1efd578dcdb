export { startIdp, type IdpHandle, type StartIdpOptions } from './server.js';
export { buildIdpConfig, idpConfigFromEnv, type IdpConfig, type IdpConfigInput } from './config.js';
export { UserStore, type DemoUser } from './users.js';
export { generateJwks, rotateJwks, type PrivateJwks, type JWK } from './keys.js';
export { hashPassword } from './password.js';
export { IdpError, type IdpErrorCode } from './errors.js';
