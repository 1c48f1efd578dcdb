import {
  DOCUMENT_CLASSIFICATIONS,
  DOCUMENT_STATUSES,
  MAX_DOCUMENT_PAGE,
  type DocumentClassification,
  type DocumentStatus,
  type FieldError,
} from '@oracle-ai/contract';
import type { ParsedUrlQuery } from 'node:querystring';

import { ApiError } from '../errors.js';
import { pointerToken } from '../http/body.js';
import type { ListFilters } from './store.js';

export const DEFAULT_DOCUMENT_PAGE = 20;
/** Far past any real listing; bounds the database's work for a silly offset. */
const MAX_OFFSET = 1_000_000;
const MAX_SEARCH = 100;
const MAX_DEPARTMENT = 64;
// Visible characters and plain spaces only, as in a title: nothing that hides what is matched.
const VISIBLE = /^(?:[^\p{Cc}\p{Cf}\p{Z}]| )+$/u;

export interface ListQuery {
  filters: ListFilters;
  limit: number;
  offset: number;
}

const KNOWN = ['status', 'classification', 'department', 'q', 'limit', 'offset'] as const;

/**
 * The query string of `GET /api/documents`, checked whole: every problem comes back at once, each
 * with a pointer naming the parameter (`/limit`). Values only ever become SQL parameters.
 */
export function parseListQuery(query: ParsedUrlQuery): ListQuery {
  const errors: FieldError[] = [];
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (Array.isArray(value)) {
      errors.push({ pointer: `/${name}`, detail: 'must be given at most once' });
      return undefined;
    }
    return value;
  };
  for (const name of Object.keys(query)) {
    if (!(KNOWN as readonly string[]).includes(name)) errors.push({ pointer: `/${pointerToken(name)}`, detail: `is not a parameter of this list (${KNOWN.join(', ')})` });
  }
  const enumOf = <T extends string>(name: string, values: readonly T[]): T | undefined => {
    const value = one(name);
    if (value === undefined) return undefined;
    if ((values as readonly string[]).includes(value)) return value as T;
    errors.push({ pointer: `/${name}`, detail: `must be one of ${values.join(', ')}` });
    return undefined;
  };
  const text = (name: string, max: number): string | undefined => {
    const value = one(name);
    if (value === undefined) return undefined;
    if (value.length === 0 || value.length > max || !VISIBLE.test(value)) {
      errors.push({ pointer: `/${name}`, detail: `must be 1-${max} visible characters` });
      return undefined;
    }
    return value;
  };
  const integer = (name: string, min: number, max: number, fallback: number): number => {
    const value = one(name);
    if (value === undefined) return fallback;
    if (!/^\d{1,7}$/.test(value) || Number(value) < min || Number(value) > max) {
      errors.push({ pointer: `/${name}`, detail: `must be an integer ${min}-${max}` });
      return fallback;
    }
    return Number(value);
  };

  const status = enumOf<DocumentStatus>('status', DOCUMENT_STATUSES);
  const classification = enumOf<DocumentClassification>('classification', DOCUMENT_CLASSIFICATIONS);
  const department = text('department', MAX_DEPARTMENT);
  const q = text('q', MAX_SEARCH);
  const limit = integer('limit', 1, MAX_DOCUMENT_PAGE, DEFAULT_DOCUMENT_PAGE);
  const offset = integer('offset', 0, MAX_OFFSET, 0);
  if (errors.length) throw new ApiError('invalid_request', 'The query string does not match the expected parameters.', { errors });
  return {
    filters: {
      ...(status !== undefined ? { status } : {}),
      ...(classification !== undefined ? { classification } : {}),
      ...(department !== undefined ? { department } : {}),
      ...(q !== undefined ? { q } : {}),
    },
    limit,
    offset,
  };
}
