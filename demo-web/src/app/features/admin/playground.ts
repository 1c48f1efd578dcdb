import { Component, computed, inject, input, linkedSignal, signal } from '@angular/core';
import type { PlaygroundRequest, PolicySummary, RuleTrace } from '@oracle-ai/contract';
import { conditionText, varsOf } from '../../shared/condition-text';
import { DemoUsersService } from '../../shared/demo-users.service';
import { subjectText } from '../../shared/rule-text';
import { PlaygroundService, type PlaygroundFailure } from './playground.service';

/** One rule of the trace, as the table shows it. */
export interface TraceRow {
  readonly id: string;
  readonly effect: RuleTrace['effect'];
  readonly actionMatched: boolean;
  readonly subjectMatched: boolean;
  readonly who: string;
  readonly condition: string | null;
  readonly whenResult: boolean | null;
  /** "subject.claims.account_status = (absent)": what the condition read from the request. */
  readonly values: readonly string[];
  readonly applied: boolean;
  readonly error?: string;
}

/**
 * The value at a request path, as a condition's `var` reads it (own properties only), shown as
 * JSON; the roles are the PDP's derived ones, never the request's.
 */
export function valueAt(request: PlaygroundRequest, roles: readonly string[], path: string): string {
  const root: Record<string, unknown> = {
    subject: { ...request.subject, claims: request.subject.claims ?? {}, roles },
    resource: request.resource,
    action: request.action,
    context: request.context ?? {},
  };
  let value: unknown = root;
  for (const key of path.split('.')) {
    if (path === 'action.name' && key === 'name') return JSON.stringify(request.action);
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return '(absent)';
    value = (value as Record<string, unknown>)[key];
  }
  return JSON.stringify(value) ?? '(absent)';
}

/** The trace of an answer as rows, each rule's condition and subject written out from the loaded policies. */
export function traceRows(rules: readonly RuleTrace[], policies: readonly PolicySummary[], request: PlaygroundRequest, roles: readonly string[]): TraceRow[] {
  return rules.map((trace) => {
    const rule = policies.find((p) => p.id === trace.policy)?.rules.find((r) => r.id === trace.rule);
    const when = rule?.when;
    return {
      id: `${trace.policy}/${trace.rule}`,
      effect: trace.effect,
      actionMatched: trace.actionMatched,
      subjectMatched: trace.subjectMatched,
      who: subjectText(rule?.subject),
      condition: when === undefined ? null : conditionText(when),
      whenResult: trace.whenResult,
      values: when === undefined ? [] : varsOf(when).map((path) => `${path} = ${valueAt(request, roles, path)}`),
      applied: trace.applied,
      ...(trace.error ? { error: trace.error } : {}),
    };
  });
}

/** A JSON object typed into a field, or the failure naming the field. */
function objectField(text: string, pointer: string, label: string): Record<string, unknown> | PlaygroundFailure {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below, the same as a value that is not an object.
  }
  return { message: `${label} must be a JSON object, e.g. {"account_status": "active"}.`, errors: [{ pointer, detail: 'must be a JSON object' }] };
}

const isFailure = (value: unknown): value is PlaygroundFailure => typeof value === 'object' && value !== null && 'errors' in value && 'message' in value;

/** The admin page's playground: ask the PDP about anyone, and read its explained answer. */
@Component({
  selector: 'app-playground',
  templateUrl: './playground.html',
  providers: [PlaygroundService, DemoUsersService],
})
export class Playground {
  readonly policies = input.required<readonly PolicySummary[]>();
  protected readonly playground = inject(PlaygroundService);
  /** demo-idp's users, to pick from (the fields stay free to type anyone). */
  readonly #demoUsers = inject(DemoUsersService);
  protected readonly users = computed(() => this.#demoUsers.answer()?.users ?? []);

  // The first demo user until one is picked or typed (the list arrives after the first render).
  protected readonly subjectId = linkedSignal(() => this.users()[0]?.username ?? '');
  protected readonly groups = linkedSignal(() => this.users()[0]?.groups.join(', ') ?? '');
  protected readonly claims = signal('');
  protected readonly resourceType = signal('chat');
  protected readonly action = signal('read');
  protected readonly attributes = signal('');
  protected readonly context = signal('');

  protected readonly resourceTypes = computed(() => [...new Set(this.policies().map((p) => p.resource))].sort());
  protected readonly actions = computed(() => {
    const type = this.resourceType();
    const named = this.policies()
      .filter((p) => p.resource === type || p.resource === '*')
      .flatMap((p) => p.rules.flatMap((r) => r.actions))
      .filter((a) => a !== '*');
    return [...new Set(named)].sort();
  });

  protected readonly rows = computed(() => {
    const answer = this.playground.answer();
    return answer ? traceRows(answer.decision.explain.rules, this.policies(), answer.request, answer.decision.explain.roles) : [];
  });

  /** Which field a failure's pointer names, for aria-invalid and its message. */
  protected invalid(pointer: string): boolean {
    return (this.playground.failure()?.errors ?? []).some((e) => e.pointer === pointer || e.pointer.startsWith(`${pointer}/`));
  }

  protected text(target: EventTarget | null): string {
    return (target as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement).value;
  }

  protected pickUser(name: string): void {
    const user = this.users().find((u) => u.username === name);
    if (!user) return;
    this.subjectId.set(user.username);
    this.groups.set(user.groups.join(', '));
  }

  protected ask(event: SubmitEvent): void {
    event.preventDefault();
    const claims = objectField(this.claims(), '/subject/claims', 'Claims');
    const attributes = objectField(this.attributes(), '/resource/attributes', 'Resource attributes');
    const context = objectField(this.context(), '/context', 'Context');
    for (const parsed of [claims, attributes, context]) {
      if (isFailure(parsed)) {
        this.playground.refuse(parsed);
        return;
      }
    }
    const groups = this.groups().split(',').map((g) => g.trim()).filter((g) => g !== '');
    void this.playground.ask({
      subject: { id: this.subjectId().trim(), groups, claims: claims as Record<string, unknown> },
      resource: { type: this.resourceType(), ...(Object.keys(attributes).length > 0 ? { attributes: attributes as Record<string, unknown> } : {}) },
      action: this.action().trim(),
      ...(Object.keys(context).length > 0 ? { context: context as Record<string, unknown> } : {}),
    });
  }
}
