import { describe, expect, it } from 'vitest';

import { acceptedRequestId } from '../src/index.js';

describe('acceptedRequestId', () => {
  it('keeps printable ASCII without spaces, 1-128 characters', () => {
    for (const id of ['a', 'req-1', 'x'.repeat(128), '!~{}[]"\\']) expect(acceptedRequestId(id)).toBe(id);
  });

  it('refuses what could break a header or a log line, and repeated headers', () => {
    for (const id of [undefined, '', 'x'.repeat(129), 'has space', 'tab\there', 'new\nline', 'é', ['a', 'b']]) {
      expect(acceptedRequestId(id)).toBeUndefined();
    }
  });
});
