import { DecimalPipe } from '@angular/common';
import { Component, computed, inject } from '@angular/core';
import type { Figure } from '@oracle-ai/contract';
import { statusWhile } from '../../core/status.service';
import { AnalyticsService } from './analytics.service';

interface Bar {
  readonly label: string;
  readonly text: string;
  readonly scale: string;
  readonly y: number;
  readonly width: number;
}

// Label above its bar, so the chart stays legible at phone width (it scales with its box).
const ROW = 46;
const BAR_SPACE = 200;
const CHART_WIDTH = 380;

/** The round number just above `value` (1, 2, 2.5, 5 × 10^k): the end of a bar's scale. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= value) ?? 10;
  return step * magnitude;
}

/**
 * Figures in different units cannot share one axis, so each unit gets its own scale: percentages
 * run to 100, other units to the round number above their largest figure. The scale is printed.
 */
export function toBars(figures: readonly Figure[]): Bar[] {
  const scaleOf = (unit: string | undefined): number =>
    unit === '%' ? 100 : niceCeiling(Math.max(0, ...figures.filter((f) => f.unit === unit).map((f) => Math.abs(f.value))));
  const format = (value: number, unit?: string) => `${value.toLocaleString('en')}${unit ? ` ${unit}` : ''}`;
  return figures.map((f, i) => {
    const scale = scaleOf(f.unit);
    return {
      label: f.label,
      text: format(f.value, f.unit),
      scale: `of ${format(scale, f.unit)}`,
      y: i * ROW,
      width: Math.max(1, Math.min(1, Math.abs(f.value) / scale) * BAR_SPACE),
    };
  });
}

@Component({
  selector: 'app-analytics',
  imports: [DecimalPipe],
  templateUrl: './analytics.html',
  providers: [AnalyticsService],
})
export class Analytics {
  protected readonly analytics = inject(AnalyticsService);
  protected readonly chartWidth = CHART_WIDTH;

  /** Bars in SVG attributes, not inline styles: the CSP allows no style attributes. */
  protected readonly bars = computed(() => toBars(this.analytics.figures() ?? []));
  protected readonly barSpace = BAR_SPACE;
  protected readonly chartHeight = computed(() => Math.max(1, this.bars().length) * ROW);

  constructor() {
    statusWhile(this.analytics.loading, 'Loading figures…');
  }
}
