/**
 * @oracle-ai/pdp-client: the PDP's HTTP API for services, fail closed.
 *
 *   const pdp = new PdpClient({ url: 'http://127.0.0.1:8181', timeoutMs: 500 });
 *   const { allow } = await pdp.decide({ subject, resource, action });   // throws PdpClientError → deny
 *   const plan = await pdp.plan({ subject, resourceType: 'document', action: 'read' });
 *   const where = planToSql(plan, { columns: { 'resource.attributes.owner': { column: 'owner', type: 'text' } } });
 */
export { PdpClient } from './client.js';
export type { Asker, BatchItem, BatchRequest, CallOptions, Decision, DecideRequest, PdpClientOptions, PlanRequest, Resource, Subject } from './client.js';
export { PdpClientError } from './errors.js';
export type { PdpClientErrorCode } from './errors.js';
export { checkCondition, planToPredicate } from './residual.js';
export type { ResourceRow } from './residual.js';
export { conditionToSql, planToSql } from './sql.js';
export type { ColumnSpec, ColumnType, SqlOptions, SqlWhere } from './sql.js';
export { PLAN_OPERATORS } from '@oracle-ai/contract';
export type { PlanKind, PlanOperator, PlanResponse } from '@oracle-ai/contract';
