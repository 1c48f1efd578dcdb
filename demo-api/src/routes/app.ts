import type { JSONSchemaType } from 'ajv';
import type { Router } from '@koa/router';
import {
  MAX_CHAT_MESSAGE,
  PAGES,
  type AdminPoliciesResponse,
  type AnalyticsResponse,
  type ChatHistory,
  type ChatReply,
  type ChatRequest,
  type MeResponse,
  type PageName,
} from '@oracle-ai/contract';

import { ApiError } from '../errors.js';
import type { Logger } from 'pino';

import type { Authorize } from '../http/authorize.js';
import { accessAdvice, subjectOf } from '../http/authorize.js';
import { jsonBody } from '../http/body.js';
import type { ApiContext, ApiState, AuthUser } from '../http/state.js';
import type { PdpClient, PdpDecision, PdpItem } from '../pdp-client.js';

const chatRequestSchema: JSONSchemaType<ChatRequest> = {
  type: 'object',
  additionalProperties: false,
  required: ['message'],
  properties: { message: { type: 'string', minLength: 1, maxLength: MAX_CHAT_MESSAGE } },
};

/** What `/api/me` (and `/api/demo/users`) asks the PDP: each page's resource and action, in one batch. */
export const PAGE_ITEMS: readonly PdpItem[] = PAGES.map((page) => ({ resource: { type: page.resource }, action: page.action }));

/** The pages the decisions (one per PAGE_ITEMS entry) allow: only an explicit allow counts. */
export function permissionsOf(results: readonly PdpDecision[]): Record<PageName, boolean> {
  return Object.fromEntries(PAGES.map((page, i) => [page.name, results[i]?.allow === true])) as Record<PageName, boolean>;
}

export function userOf(ctx: ApiContext): AuthUser {
  const user = ctx.state.user;
  if (!user) throw new ApiError('token_missing');
  return user;
}

/** A small echo-style assistant: enough to show that the request got through. */
export function assistantReply(username: string, message: string): string {
  const text = message.trim().replace(/\s+/g, ' ');
  if (!text) return `I am listening, ${username}.`;
  if (/^(hi|hello|hey)\b/i.test(text)) return `Hello ${username}! Ask me anything about the Oracle AI platform.`;
  if (text.endsWith('?')) return `Good question, ${username}. In this demo I can only echo: "${text}"`;
  const words = text.split(' ').length;
  return `You said: "${text}" (${words} word${words === 1 ? '' : 's'}).`;
}

export interface AppRouteDeps {
  authorize: Authorize;
  pdp: PdpClient;
  logger: Logger;
}

/** The protected routes: each names the (resource, action) it needs, and the PDP decides. */
export function addAppRoutes(router: Router<ApiState>, { authorize, pdp, logger }: AppRouteDeps): void {
  router.get('/api/me', async (ctx) => {
    const user = userOf(ctx);
    const subject = subjectOf(user);
    const results = await pdp.decideBatch(subject, PAGE_ITEMS);
    const permissions = permissionsOf(results);
    // The refused pages' advice: one more, explained, batch, only when something was refused.
    const refused = PAGES.flatMap((page, i) => (permissions[page.name] ? [] : [{ page, item: PAGE_ITEMS[i]! }]));
    const advice = refused.length > 0 ? await accessAdvice(pdp, logger, subject, refused.map((r) => r.item)) : [];
    const access = Object.fromEntries(refused.flatMap(({ page }, i) => (advice[i] ? [[page.name, advice[i]]] : [])));
    ctx.body = {
      user: { sub: user.sub, username: user.username, groups: user.groups },
      permissions,
      revision: results[0]?.revision ?? null,
      decisionIds: Object.fromEntries(PAGES.map((page, i) => [page.name, results[i]?.decisionId ?? ''])) as Record<PageName, string>,
      ...(refused.length > 0 ? { access } : {}),
    } satisfies MeResponse;
  });

  router.get('/api/chat', authorize('chat', 'read'), (ctx) => {
    const user = userOf(ctx);
    ctx.body = {
      messages: [
        { role: 'assistant', text: `Hello ${user.username}, I am the Oracle AI assistant.` },
        { role: 'assistant', text: 'You are here because the policy decision point allowed chat for you.' },
      ],
    } satisfies ChatHistory;
  });

  router.post('/api/chat', authorize('chat', 'write'), jsonBody(chatRequestSchema), (ctx) => {
    const { message } = ctx.state.body as ChatRequest;
    ctx.body = { reply: assistantReply(userOf(ctx).username, message) } satisfies ChatReply;
  });

  router.get('/api/analytics', authorize('analytics', 'read'), (ctx) => {
    // Figures move a little with the hour, so the page does not look frozen.
    const hour = new Date().getUTCHours();
    ctx.body = {
      figures: [
        { label: 'Chat sessions today', value: 1200 + hour * 37 },
        { label: 'Median answer time', value: 1.8, unit: 's' },
        { label: 'Answers rated helpful', value: 87, unit: '%' },
        { label: 'Tokens served this month', value: 42.7, unit: 'M' },
      ],
    } satisfies AnalyticsResponse;
  });

  router.get('/api/admin/policies', authorize('admin', 'read'), async (ctx) => {
    ctx.body = (await pdp.policies()) satisfies AdminPoliciesResponse;
  });
}
