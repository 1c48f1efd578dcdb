import { describe, expect, it } from 'vitest';
import { niceCeiling, toBars } from './analytics';

describe('analytics bars', () => {
  it.each([
    [1829, 2000],
    [1.8, 2],
    [42.7, 50],
    [87, 100],
    [100, 100],
    [0.3, 0.5],
    [0, 1],
  ])('niceCeiling(%s) = %s', (value, expected) => {
    expect(niceCeiling(value)).toBeCloseTo(expected, 10);
  });

  it('gives each unit its own scale and percentages a scale of 100', () => {
    const bars = toBars([
      { label: 'a', value: 50 },
      { label: 'b', value: 100 },
      { label: 'c', value: 87, unit: '%' },
      { label: 'd', value: 1.8, unit: 's' },
    ]);
    expect(bars.map((b) => b.scale)).toEqual(['of 100', 'of 100', 'of 100 %', 'of 2 s']);
    expect(bars.map((b) => b.width)).toEqual([100, 200, 174, 180]);
  });
});
