import { HttpErrorResponse } from '@angular/common/http';
import type { Problem } from './api-types';

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
        resource: str(p['resource']),
        action: str(p['action']),
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
  return problem.detail ? `${head}: ${problem.detail}` : head;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
