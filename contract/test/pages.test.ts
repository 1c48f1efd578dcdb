import { describe, expect, it } from 'vitest';

import { PAGES, pageNamed } from '../src/pages.js';

describe('PAGES', () => {
  it('names and paths are unique', () => {
    expect(new Set(PAGES.map((p) => p.name)).size).toBe(PAGES.length);
    expect(new Set(PAGES.map((p) => p.path)).size).toBe(PAGES.length);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(PAGES)).toBe(true);
    for (const page of PAGES) expect(Object.isFrozen(page)).toBe(true);
  });

  it('pageNamed finds known pages only', () => {
    expect(pageNamed('chat')?.resource).toBe('chat');
    expect(pageNamed('toString')).toBeUndefined();
    expect(pageNamed(undefined)).toBeUndefined();
  });
});
