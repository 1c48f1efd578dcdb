/** demo-idp's users (demo-idp/users.json), as the home page and the admin playground offer them. */
export interface DemoUser {
  readonly name: string;
  readonly groups: readonly string[];
  /** What the demo policies open to them, in words. */
  readonly may: string;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { name: 'alice', groups: ['oracle-ai-users'], may: 'Chat, Analytics' },
  { name: 'bob', groups: [], may: 'Analytics only' },
  { name: 'carol', groups: ['oracle-ai-admins'], may: 'Chat, Analytics, Admin' },
];
