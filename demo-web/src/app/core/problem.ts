import { HttpErrorResponse } from '@angular/common/http';
import type { AccessOption, ApiProblem } from '@oracle-ai/contract';

/**
 * What the app reads of a failure: demo-api's RFC 9457 problem (a 403 adds resource, action
 * and decisionId), every member optional, since a proxy or the network may answer instead.
 */
export type Problem = Partial<Pick<ApiProblem, 'type' | 'title' | 'status' | 'detail' | 'decisionId' | 'revision' | 'resource' | 'action' | 'errors' | 'access'>>;

/** Reads RFC 9457 problem details out of an HTTP error, tolerating bodies that are not JSON. */
export function problemOf(error: unknown): Problem {
  if (error instanceof HttpErrorResponse) {
    const body: unknown = error.error;
    if (body && typeof body === 'object' && !(body instanceof ProgressEvent)) {
      const p = body as Record<string, unknown>;
      return {
        type: str(p['type']),
        title: str(p['title']) ?? error.statusText,
        status: typeof p['status'] === 'number' ? p['status'] : error.status,
        detail: str(p['detail']),
        decisionId: str(p['decisionId']),
        revision: str(p['revision']),
        resource: str(p['resource']),
        action: str(p['action']),
        errors: fieldErrors(p['errors']),
        access: accessOptions(p['access']),
      };
    }
    if (error.status === 0) {
      return { title: 'Network error', status: 0, detail: 'The server could not be reached.' };
    }
    return { title: error.statusText || 'Request failed', status: error.status };
  }
  if (error instanceof Error) return { title: 'Error', detail: error.message };
  return { title: 'Error', detail: String(error) };
}

/** One line a person can read: "503 Service Unavailable: the policy service did not answer". */
export function describeProblem(problem: Problem): string {
  const head = [problem.status, problem.title].filter((x) => x !== undefined && x !== '').join(' ');
  // A problem without its own detail repeats its title there: say it once.
  return problem.detail && problem.detail !== problem.title ? `${head}: ${problem.detail}` : head;
}

/** A 400's offending fields, kept only as far as they are well formed. */
function fieldErrors(v: unknown): Problem['errors'] {
  if (!Array.isArray(v)) return undefined;
  const errors = v.filter((e): e is { pointer: string; detail: string } => typeof e?.pointer === 'string' && typeof e?.detail === 'string');
  return errors.length > 0 ? errors.map(({ pointer, detail }) => ({ pointer, detail })) : undefined;
}

/**
 * A 403's advice, only when it is well formed throughout: advice half read would name the wrong
 * groups. `[]` (no group would grant it) is kept: it says something.
 */
export function accessOptions(v: unknown): readonly AccessOption[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const ok = v.every((o) => Array.isArray(o?.groups) && o.groups.length > 0 && o.groups.every((g: unknown) => typeof g === 'string' && g !== ''));
  return ok ? v.map((o: AccessOption) => ({ groups: [...o.groups] })) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
