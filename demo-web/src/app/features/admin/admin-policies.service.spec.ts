import { TestBed } from '@angular/core/testing';
import type { AdminPoliciesResponse } from '@oracle-ai/contract';
import { describe, expect, it, vi } from 'vitest';
import { nextRequest, setup } from '../../core/testing';
import { AdminPoliciesService } from './admin-policies.service';

const LISTING: AdminPoliciesResponse = {
  revision: 'sha256:abc',
  loadedAt: '2026-01-02T03:04:05.000Z',
  policies: [{ id: 'chat', resource: 'chat', file: 'chat.json', rules: [{ id: 'r', effect: 'allow', actions: ['read'] }] }],
  roles: [],
  lastError: null,
  lastChange: null,
  source: { type: 'directory', location: '/policies', fetchedAt: '2026-01-02T03:04:05.000Z' },
  data: [],
};

describe('AdminPoliciesService', () => {
  it('asks /api/admin/policies once and holds the listing', async () => {
    const { http } = setup({ token: 'tok', providers: [AdminPoliciesService] });
    const admin = TestBed.inject(AdminPoliciesService);
    expect(admin.policies()).toBeNull();
    (await nextRequest(http, '/api/admin/policies')).flush(LISTING);
    await vi.waitFor(() => expect(admin.policies()).toEqual(LISTING));
    expect(admin.error()).toBeNull();
    http.verify();
  });

  it('a network failure becomes a message', async () => {
    const { http } = setup({ token: 'tok', providers: [AdminPoliciesService] });
    const admin = TestBed.inject(AdminPoliciesService);
    (await nextRequest(http, '/api/admin/policies')).error(new ProgressEvent('error'), { status: 0, statusText: '' });
    await vi.waitFor(() => expect(admin.error()).toBe('0 Network error: The server could not be reached.'));
    expect(admin.policies()).toBeNull();
  });
});
