import { Component, computed, inject, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { MeService } from '../../core/me.service';
import { RefusalService } from '../../core/refusal.service';
import { ACCESS_HINTS, PAGE_LINKS } from '../../shared/page-links';
import { safeReturnUrl } from '../../core/urls';

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
    const from = safeReturnUrl(this.from());
    const last = this.#refusals.last();
    if (last && (this.from() === undefined || last.url === from)) return last;
    if (from === '/') return null;
    // Only a known page maps to a resource; an unknown path is shown as it is, not guessed at.
    const page = PAGE_LINKS.find((p) => from === p.path || from.startsWith(`${p.path}?`) || from.startsWith(`${p.path}/`));
    return page ? { url: from, resource: page.resource, action: page.action } : { url: from };
  });

  protected readonly pageLabel = computed(() => {
    const r = this.refusal();
    return PAGE_LINKS.find((p) => p.path === r?.url || p.resource === r?.resource)?.label ?? r?.url ?? '';
  });

  /** "chat · read": the resource and action the PDP was asked about. */
  protected readonly refusedWhat = computed(() => {
    const r = this.refusal();
    return r?.resource ? [r.resource, r.action].filter(Boolean).join(' · ') : '';
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
