import { DatePipe } from '@angular/common';
import { Component, computed, inject } from '@angular/core';
import type { PolicyRuleSummary } from '@oracle-ai/contract';
import { statusWhile } from '../../core/status.service';
import { conditionText } from '../../shared/condition-text';
import { attributeRows, subjectText } from '../../shared/rule-text';
import { AdminPoliciesService } from './admin-policies.service';
import { Playground } from './playground';

@Component({
  selector: 'app-admin',
  imports: [DatePipe, Playground],
  templateUrl: './admin.html',
  providers: [AdminPoliciesService],
})
export class Admin {
  protected readonly admin = inject(AdminPoliciesService);
  protected readonly attributes = computed(() => {
    const schema = this.admin.policies()?.schema;
    return schema ? attributeRows(schema) : [];
  });

  constructor() {
    statusWhile(this.admin.loading, 'Loading policies…');
  }

  protected who(rule: PolicyRuleSummary): string {
    return subjectText(rule.subject);
  }

  /** The condition as text, or null for a rule without one (it holds whenever actions and subject do). */
  protected when(rule: PolicyRuleSummary): string | null {
    return rule.when === undefined ? null : conditionText(rule.when);
  }
}
