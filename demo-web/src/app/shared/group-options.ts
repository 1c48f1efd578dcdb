import { Component, input } from '@angular/core';
import type { AccessOption } from '@oracle-ai/contract';

/**
 * The PDP's advice in words, inline: "`a` or `b` and `c`" (join every group of one option; any
 * one option will do). Group names come from the loaded policies, through demo-api.
 */
@Component({
  selector: 'app-group-options',
  template: `@for (option of options(); track $index; let lastOption = $last) {@for (group of option.groups; track group; let lastGroup = $last) {<code>{{ group }}</code>@if (!lastGroup) { and }}@if (!lastOption) { or }}`,
})
export class GroupOptions {
  readonly options = input.required<readonly AccessOption[]>();
}
