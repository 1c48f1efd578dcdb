import { Component, computed, inject, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { MeService } from '../../core/me.service';
import { RefusalService } from '../../core/refusal.service';
import { ACCESS_HINTS, PAGE_LINKS, type PageLink } from '../../shared/page-links';

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
  imports: [RouterLink],
  templateUrl: './forbidden.html',
})
export class Forbidden {
  protected readonly me = inject(MeService).me;
  readonly #refusals = inject(RefusalService);

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

  protected readonly group = computed(() => {
    const resource = this.refusal()?.resource;
    return resource ? ACCESS_HINTS[resource] : undefined;
  });

  protected readonly allowedPages = computed(() => {
    const me = this.me();
    return me ? PAGE_LINKS.filter((p) => me.permissions[p.name]) : [];
  });
}
