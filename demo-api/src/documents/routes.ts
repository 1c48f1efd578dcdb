import type { JSONSchemaType } from 'ajv';
import type { Router } from '@koa/router';
import type { Logger } from 'pino';
import {
  DOCUMENT_ID_PATTERN,
  DOCUMENT_STATUSES,
  MAX_DOCUMENT_BODY,
  MAX_DOCUMENT_TITLE,
  type DocumentListResponse,
  type DocumentStatus,
  type DocumentSummary,
  type DocumentView,
} from '@oracle-ai/contract';

import { ApiError } from '../errors.js';
import { subjectOf } from '../http/authorize.js';
import { jsonBody } from '../http/body.js';
import type { ApiContext, ApiState, AuthUser } from '../http/state.js';
import { PdpClientError, planToSql } from '@oracle-ai/pdp-client';

import type { PdpClient, PdpDecision, PdpItem } from '../pdp-client.js';
import { userOf } from '../routes/app.js';
import type { Documents } from './index.js';
import { parseListQuery } from './list-query.js';
import { DOCUMENT_COLUMNS, attributesOf, type DocumentRow } from './store.js';

export const DOCUMENT_TYPE = 'document';

interface UpdateBody {
  title?: string;
  body?: string;
  status?: DocumentStatus;
}

const updateProperties = {
  // A title must show something: not empty, not only spaces.
  title: { type: 'string', minLength: 1, maxLength: MAX_DOCUMENT_TITLE, pattern: '\\S' },
  body: { type: 'string', maxLength: MAX_DOCUMENT_BODY },
  status: { type: 'string', enum: [...DOCUMENT_STATUSES] },
} as const;

const patchSchema: JSONSchemaType<UpdateBody> = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    title: { ...updateProperties.title, nullable: true },
    body: { ...updateProperties.body, nullable: true },
    status: { ...updateProperties.status, enum: [...DOCUMENT_STATUSES], nullable: true },
  },
};

const putSchema: JSONSchemaType<Required<UpdateBody>> = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'body', 'status'],
  properties: { title: { ...updateProperties.title }, body: { ...updateProperties.body }, status: { ...updateProperties.status, enum: [...DOCUMENT_STATUSES] } },
};

const ID = new RegExp(DOCUMENT_ID_PATTERN);

/** The decision request for one document: its id and the attributes the policies read. */
export function documentItem(doc: { id: string } & Parameters<typeof attributesOf>[0], action: string): PdpItem {
  return { resource: { type: DOCUMENT_TYPE, id: doc.id, attributes: { ...attributesOf(doc) } }, action };
}

// The same answer for a document that does not exist and one the caller may not read, so a 404
// tells nothing about which ids exist.
function notFound(): ApiError {
  return new ApiError('not_found', 'No such document.');
}

function viewOf(doc: DocumentRow, read: PdpDecision, write: PdpDecision): DocumentView {
  return { ...doc, permissions: { read: read.allow, write: write.allow } };
}

async function decideBoth(pdp: PdpClient, user: AuthUser, doc: DocumentRow): Promise<{ read: PdpDecision; write: PdpDecision }> {
  const [read, write] = await pdp.decideBatch(subjectOf(user), [documentItem(doc, 'read'), documentItem(doc, 'write')]);
  // decideBatch answers one decision per item; this only satisfies the type checker.
  if (!read || !write) throw new ApiError('pdp_unavailable', 'The policy decision point gave a malformed batch answer.');
  return { read, write };
}

export interface DocumentRouteDeps {
  pdp: PdpClient;
  documents: Documents;
  logger: Logger;
}

/** `GET`, `PUT` and `PATCH /api/documents/:id`: one document, decided by the PDP on its attributes. */
export function addDocumentRoutes(router: Router<ApiState>, { pdp, documents, logger }: DocumentRouteDeps): void {
  async function readable(ctx: ApiContext): Promise<{ doc: DocumentRow; read: PdpDecision; write: PdpDecision }> {
    const user = userOf(ctx);
    const id = String(ctx.params.id);
    if (!ID.test(id)) throw notFound();
    const doc = await (await documents.store()).get(id);
    if (!doc) throw notFound();
    const { read, write } = await decideBoth(pdp, user, doc);
    if (read.allow !== true) {
      logger.info({ sub: user.sub, resource: DOCUMENT_TYPE, id, action: 'read', decisionId: read.decisionId, revision: read.revision }, 'denied by the PDP');
      throw notFound();
    }
    return { doc, read, write };
  }

  // The PDP's plan for the caller becomes one parameterised WHERE: the list is exactly what
  // /v1/decide would allow row by row, in one query, whatever the table's size.
  router.get('/api/documents', async (ctx) => {
    const user = userOf(ctx);
    const { filters, limit, offset } = parseListQuery(ctx.query);
    const plan = await pdp.plan(subjectOf(user), { resourceType: DOCUMENT_TYPE, action: 'read' });
    let page: { documents: DocumentSummary[]; total: number } = { documents: [], total: 0 };
    if (plan.kind !== 'always_denied') {
      let allowed;
      try {
        // The first $n after the policy's are the filters': the store appends them.
        allowed = planToSql(plan, { columns: DOCUMENT_COLUMNS });
      } catch (err) {
        if (!(err instanceof PdpClientError)) throw err;
        logger.warn({ sub: user.sub, revision: plan.revision, message: err.message }, 'the documents plan cannot be turned into SQL');
        throw new ApiError('documents_unavailable', 'The policy for documents cannot be listed as one query; ask an administrator.');
      }
      page = await (await documents.store()).list(allowed, filters, { limit, offset });
    }
    ctx.body = { ...page, limit, offset, revision: plan.revision } satisfies DocumentListResponse;
  });

  router.get('/api/documents/:id', async (ctx) => {
    const { doc, read, write } = await readable(ctx);
    ctx.body = viewOf(doc, read, write) satisfies DocumentView;
  });

  const update = async (ctx: ApiContext): Promise<void> => {
    const user = userOf(ctx);
    const { doc, write } = await readable(ctx);
    if (write.allow !== true) {
      logger.info({ sub: user.sub, resource: DOCUMENT_TYPE, id: doc.id, action: 'write', decisionId: write.decisionId, revision: write.revision }, 'denied by the PDP');
      throw new ApiError('forbidden', `${user.username} may not edit this document: only its owner may, while it is a draft.`, { decisionId: write.decisionId, resource: DOCUMENT_TYPE, action: 'write' });
    }
    const updated = await (await documents.store()).update(doc.id, attributesOf(doc), ctx.state.body as UpdateBody);
    if (!updated) throw new ApiError('conflict', 'The document changed while it was being saved; load it again.');
    const after = await decideBoth(pdp, user, updated);
    ctx.body = viewOf(updated, after.read, after.write) satisfies DocumentView;
  };
  router.patch('/api/documents/:id', jsonBody(patchSchema), update);
  router.put('/api/documents/:id', jsonBody(putSchema), update);
}
