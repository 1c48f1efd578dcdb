import { Component, computed, inject, input, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import type { AccessOption } from '@oracle-ai/contract';
import { MeService } from '../../core/me.service';
import { RefusalService } from '../../core/refusal.service';
import { statusWhile } from '../../core/status.service';
import { GroupOptions } from '../../shared/group-options';
import { PAGE_LINKS, type PageLink } from '../../shared/page-links';

/**
 * How to get access, from the PDP's advice: the groups that would grant it, none (no group
 * would: a deny rule applies, or no rule names a group), the page being open by now, or
 * nothing known (the advice could not be had).
 */
export type Advice =
  | { readonly kind: 'groups'; readonly options: readonly AccessOption[]; readonly single: string | null }
  | { readonly kind: 'none' }
  | { readonly kind: 'open'; readonly page: PageLink }
  | { readonly kind: 'unknown' };

/**
 * The contract's page a `from` names: its path, or a URL under it. Anything else (text someone
 * put in a link) names nothing and is ignored, so it is never shown.
 */
export function pageFrom(from: string | undefined): PageLink | undefined {
  if (from === undefined) return undefined;
  return PAGE_LINKS.find((p) => from === p.path || from.startsWith(`${p.path}?`) || from.startsWith(`${p.path}/`));
}

/** Shown to a signed-in user the PDP refused: who they are, what was refused, whom to ask. */
@Component({
  selector: 'app-forbidden',
  imports: [RouterLink, GroupOptions],
  templateUrl: './forbidden.html',
})
export class Forbidden {
  readonly #meService = inject(MeService);
  protected readonly me = this.#meService.me;
  readonly #refusals = inject(RefusalService);
  /** Set once `/api/me` was asked again on arrival (or failed): its advice is the policies' of now. */
  readonly #refreshed = signal(false);

  constructor() {
    statusWhile(() => !this.#refreshed(), 'Checking how you could get access…');
    // The navigation's answer may be older than a policy edit; a failure (a 401 is the
    // interceptor's) leaves the advice unknown rather than stale.
    this.#meService
      .load()
      .catch(() => undefined)
      .finally(() => this.#refreshed.set(true));
  }

  /** `?from=/chat`, bound by the router: the page that was refused, also after a reload. */
  readonly from = input<string | undefined>();

  protected readonly refusal = computed(() => {
    const page = pageFrom(this.from());
    const last = this.#refusals.last();
    // The app's own record of the refusal, when `from` names no page or names the same URL.
    if (last && (!page || last.url === this.from())) return last;
    return page ? { url: page.path, resource: page.resource, action: page.action } : null;
  });

  /** Only ever a page label of the contract's, never a URL: the URL is anyone's to write. */
  protected readonly pageLabel = computed(() => {
    const r = this.refusal();
    return (pageFrom(r?.url) ?? PAGE_LINKS.find((p) => p.resource === r?.resource))?.label ?? 'this page';
  });

  /** "chat · read": the resource and action the PDP was asked about. */
  protected readonly refusedWhat = computed(() => {
    const r = this.refusal();
    return r?.resource ? [r.resource, r.action].filter(Boolean).join(' · ') : '';
  });

  /**
   * What to quote when asking for access: the API's refusal names its decision; a page the
   * navigation kept closed was decided by `/api/me`'s question for that page.
   */
  protected readonly quote = computed(() => {
    const r = this.refusal();
    const me = this.me();
    const page = pageFrom(r?.url);
    const decisionId = r?.decisionId ?? (page && me ? me.decisionIds[page.name] : undefined);
    if (!decisionId) return null;
    return { decisionId, revision: r?.decisionId ? r.revision : (me?.revision ?? undefined) };
  });

  /**
   * The API's refusal carries its own advice; a page the navigation kept closed takes the
   * advice of `/api/me`, asked again on arrival. Null while that answer is awaited.
   */
  protected readonly advice = computed((): Advice | null => {
    const r = this.refusal();
    let options: readonly AccessOption[] | undefined;
    if (r?.decisionId !== undefined) {
      options = r.access;
    } else {
      if (!this.#refreshed()) return null;
      const page = pageFrom(r?.url);
      const me = this.me();
      if (page && me?.permissions[page.name]) return { kind: 'open', page };
      options = page ? me?.access?.[page.name] : undefined;
    }
    if (options === undefined) return { kind: 'unknown' };
    if (options.length === 0) return { kind: 'none' };
    const only = options.length === 1 && options[0]!.groups.length === 1 ? options[0]!.groups[0]! : null;
    return { kind: 'groups', options, single: only };
  });

  protected readonly allowedPages = computed(() => {
    const me = this.me();
    return me ? PAGE_LINKS.filter((p) => me.permissions[p.name]) : [];
  });
}
