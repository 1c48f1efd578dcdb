/**
 * The pdp library: load a policy directory, compile it once, decide many times.
 *
 *   const loaded = await loadPolicies('policies');
 *   if (!loaded.ok) throw new Error(loaded.errors.map(formatPolicyError).join('\n'));
 *   const compiled = compile(loaded.policySet);
 *   const { allow } = decide(compiled, { subject, resource, action });
 */
export { loadPolicies, checkPolicySources, ROLES_FILE, TESTS_DIR } from './policy/loader.js';
export type { PolicyError, LoadResult, PolicySources, SourceFile } from './policy/loader.js';
export { formatPolicyError } from './policy/format.js';
export { computeRevision, canonicalJson } from './policy/revision.js';
export { readSchema, getValidators, SCHEMAS_DIR } from './policy/schemas.js';
export { checkRequest } from './policy/request.js';
export { SCHEMA_FILE } from './policy/attribute-schema.js';
export { requestCheckFor, DECIDE_POINTERS, AUTHZEN_POINTERS, SCHEMA_ENFORCE_MODES } from './policy/request-attributes.js';
export type { RequestAttributeCheck, RequestPointers, SchemaEnforceMode } from './policy/request-attributes.js';
export type { FieldError } from './common/errors.js';
export { checkPolicySet } from './policy/check.js';
export { loadPolicyTests, runPolicyTests } from './policy/testing.js';
export type { PolicyTestCase, PolicyTestFile, PolicyTestReport, CaseResult, LoadTestsResult } from './policy/testing.js';
// The public compile checks a hand-built set first (a loaded one was checked by the loader).
export { compilePolicySet as compile, compilePolicySet, InvalidPolicySetError } from './policy/compile.js';
export type { CompiledPolicySet } from './engine/compile.js';
export { decide, REASON_CODES } from './engine/decide.js';
export { plan, PlanUnsupportedError } from './engine/plan.js';
export type { PlanKind, PlanRequest, PlanResult } from './engine/plan.js';
export { ALLOWED_OPERATORS, VAR_ROOTS } from './engine/logic.js';
export type * from './engine/types.js';

// The HTTP decision service: `startPdpServer` for embedding and tests, `loadConfig` for the
// configuration `pdp serve` reads (other packages' tests check their deployment files with it).
export { startPdpServer } from './runtime/server.js';
export type { StartPdpServerOptions, PdpServer } from './runtime/server.js';
export { loadConfig } from './runtime/config.js';
export type { Config, ConfigFlags, ConfigOptions, LoadConfigSources, LogLevel } from './runtime/config.js';
export type { JwtConfig, TokenOptions, TokenSettings } from './token/config.js';
export { PdpError, ConfigError, errorTable } from './common/errors.js';
export type { ConfigProblem, ErrorCode } from './common/errors.js';
export type { PoliciesView, ReloadResult } from './store/policy-store.js';
export type { DecisionResponse } from './server/decisions.js';

// Policy bundles (docs/bundles.md): build and sign one from a directory, read and verify one.
// `loadPolicies(file, { bundleKeys })` loads a bundle file as the server does.
export { buildBundle, signBundle } from './bundle/build.js';
export type { BuildOptions, BuildResult } from './bundle/build.js';
export { loadBundleFile, loadBundleText, readBundleFile, readBundleText } from './bundle/read.js';
export type { ReadBundleResult } from './bundle/read.js';
export { parsePublicKeys, readPublicKeys, readSigningKey } from './bundle/keys.js';
export type { SigningKey } from './bundle/keys.js';
export { BUNDLE_ALGORITHMS, BUNDLE_FORMAT, BUNDLE_VERSION, MAX_BUNDLE_BYTES } from './bundle/format.js';
export type { BundleAlgorithm, BundleDocument, ManifestEntry, SignedClaims } from './bundle/format.js';
export type { LoadOptions } from './policy/loader.js';
