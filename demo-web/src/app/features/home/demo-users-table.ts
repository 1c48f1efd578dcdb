import { Component, inject } from '@angular/core';
import type { Permissions } from '@oracle-ai/contract';
import { DemoUsersService } from '../../shared/demo-users.service';
import { PAGE_LINKS } from '../../shared/page-links';

/** The signed-out home's table: demo-idp's users, their groups, and what the PDP opens to each now. */
@Component({
  selector: 'app-demo-users-table',
  providers: [DemoUsersService],
  template: `
    @if (demoUsers.answer(); as answer) {
      <div class="table-wrap">
        <table data-testid="demo-users">
          <caption class="visually-hidden">Demo users, their groups and what they may open</caption>
          <thead>
            <tr><th scope="col">User</th><th scope="col">Groups</th><th scope="col">May open</th></tr>
          </thead>
          <tbody>
            @for (user of answer.users; track user.username) {
              <tr>
                <th scope="row">{{ user.username }}</th>
                <td>{{ user.groups.length > 0 ? user.groups.join(', ') : '(none)' }}</td>
                <td>{{ mayOpen(user.permissions) }}</td>
              </tr>
            }
          </tbody>
        </table>
      </div>
      <p class="muted">Decided just now by the policy decision point (revision <code>{{ answer.revision ?? 'unknown' }}</code>).</p>
    } @else if (demoUsers.error(); as message) {
      <p class="muted" data-testid="demo-users-error">The demo users could not be listed. {{ message }}</p>
    }
  `,
})
export class DemoUsersTable {
  // No "Loading…" in the live region: the table is a side note to the page, not what it is for.
  protected readonly demoUsers = inject(DemoUsersService);

  protected mayOpen(permissions: Permissions): string {
    const labels = PAGE_LINKS.filter((page) => permissions[page.name] === true).map((page) => page.label);
    return labels.length > 0 ? labels.join(', ') : 'nothing';
  }
}
