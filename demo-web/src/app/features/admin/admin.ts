import { DatePipe } from '@angular/common';
import { Component, inject } from '@angular/core';
import { statusWhile } from '../../core/status.service';
import { AdminPoliciesService } from './admin-policies.service';

@Component({
  selector: 'app-admin',
  imports: [DatePipe],
  templateUrl: './admin.html',
  providers: [AdminPoliciesService],
})
export class Admin {
  protected readonly admin = inject(AdminPoliciesService);

  constructor() {
    statusWhile(this.admin.loading, 'Loading policies…');
  }
}
