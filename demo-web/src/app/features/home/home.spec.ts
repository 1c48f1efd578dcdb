import { RouterTestingHarness } from '@angular/router/testing';
import type { DemoUsersResponse } from '@oracle-ai/contract';
import { describe, expect, it, vi } from 'vitest';
import { ALICE, nextRequest, setup } from '../../core/testing';

const USERS: DemoUsersResponse = {
  users: [
    { username: 'erin', groups: ['night-shift', 'auditors'], permissions: { chat: true, analytics: false, admin: true } },
    { username: 'frank', groups: [], permissions: { chat: false, analytics: false, admin: false } },
  ],
  revision: 'sha256:users',
};

/** The signed-out home's table rows, as text cells, once they are there. */
async function rows(harness: RouterTestingHarness): Promise<string[][]> {
  let cells: string[][] = [];
  await vi.waitFor(
    () => {
      harness.detectChanges();
      const trs = [...(harness.routeNativeElement?.querySelectorAll('[data-testid="demo-users"] tbody tr') ?? [])];
      cells = trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim()));
      expect(cells.length).toBeGreaterThan(0);
    },
    { timeout: 1000, interval: 5 },
  );
  return cells;
}

describe('the home page', () => {
  it('signed out, lists the users and what each may open as /api/demo/users says, nothing written into the app', async () => {
    const { http } = setup();
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/');
    harness.detectChanges();
    (await nextRequest(http, '/api/demo/users')).flush(USERS);
    expect(await rows(harness)).toEqual([
      ['erin', 'night-shift, auditors', 'Chat, Admin'],
      ['frank', '(none)', 'nothing'],
    ]);
    expect(harness.routeNativeElement?.textContent).toContain('sha256:users');
  });

  it('signed out, says so when the users cannot be listed (and still offers to sign in)', async () => {
    const { http } = setup();
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/');
    harness.detectChanges();
    (await nextRequest(http, '/api/demo/users')).flush({ title: 'Not found', status: 404, detail: 'no demo users' }, { status: 404, statusText: 'Not Found' });
    await vi.waitFor(() => {
      harness.detectChanges();
      expect(harness.routeNativeElement?.querySelector('[data-testid="demo-users-error"]')?.textContent).toContain('404 Not found: no demo users');
    });
    expect(harness.routeNativeElement?.querySelector('button.primary')?.textContent).toContain('Sign in');
  });

  it('signed in, names the groups /api/me\'s advice gives for a page not open, and asks for no user list', async () => {
    const { http } = setup({ token: 'tok' });
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/');
    (await nextRequest(http, '/api/me')).flush({ ...ALICE, access: { admin: [{ groups: ['oracle-ai-admins'] }] } });
    await vi.waitFor(() => {
      harness.detectChanges();
      expect(harness.routeNativeElement?.textContent?.replace(/\s+/g, ' ')).toContain('Not open to you: Admin (members of oracle-ai-admins may open it).');
    });
    http.expectNone('/api/demo/users');
  });
});
