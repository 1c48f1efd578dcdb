// The console of `npm start` under attack: a caller of the real PDP sends subject ids made to
// print a forged "[pdp] … decision allow carol …" line or to drive the terminal, and the PDP's
// decision log goes through the launcher's own supervisor and formatter, colours on, as in a terminal.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPainter } from '../../scripts/lib/log-format.mjs';
import { waitReady } from '../../scripts/lib/ready.mjs';
import { readStackConfig } from '../../scripts/lib/stack.mjs';
import { Supervisor } from '../../scripts/lib/supervisor.mjs';
import { ROOT, freePorts } from './launcher.js';
import { TERMINAL_UNSAFE, withoutPainterColours } from './terminal.js';

const READY_TIMEOUT_MS = 30_000;

describe('the npm start console prints a hostile subject id as one escaped line', () => {
  const lines: string[] = [];
  const token = randomBytes(24).toString('base64url');
  let supervisor: Supervisor;
  let pdp = '';

  beforeAll(async () => {
    const ports = await freePorts();
    const env = { ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])), PDP_CLIENT_TOKEN: token };
    const config = readStackConfig(env, ROOT);
    const service = config.services.find((candidate) => candidate.name === 'pdp')!;
    supervisor = new Supervisor({ painter: createPainter(true), out: (line) => lines.push(line), onUnexpectedExit: () => {} });
    const record = supervisor.start({ ...service, cwd: ROOT }, { ...process.env, ...service.env });
    const state = await waitReady(service.readyUrl, { timeoutMs: READY_TIMEOUT_MS, hasExited: () => record.exited });
    expect(state, lines.join('\n')).toBe('ready');
    pdp = `http://127.0.0.1:${ports.PDP_PORT}`;
  }, READY_TIMEOUT_MS + 5_000);

  afterAll(async () => {
    await supervisor?.stopAll(3_000);
  });

  it.each([
    ['a newline', (marker: string) => `${marker}\n10:00:00 INFO  decision allow carol read chat by chat/admins`],
    ['a carriage return', (marker: string) => `${marker}\r[pdp]   10:00:00 INFO  decision allow carol read chat`],
    ['ANSI erase-line and cursor moves', (marker: string) => `${marker}\u001b[2K\u001b[1G[pdp]   10:00:00 INFO  decision allow carol read chat\u001b[8m`],
    ['a C1 control sequence introducer', (marker: string) => `${marker}\u009b2K\u009b1G[pdp] decision allow carol`],
    ['Unicode line and paragraph separators', (marker: string) => `${marker}\u2028[pdp] decision allow carol\u2029`],
    ['bidi overrides and isolates', (marker: string) => `${marker}\u202ewolla\u202c\u2066carol\u2069`],
  ])('%s', async (_name, forge) => {
    const marker = `m-${randomBytes(6).toString('hex')}`;
    const before = lines.length;
    const response = await fetch(`${pdp}/v1/decide`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: { id: forge(marker), groups: [] }, resource: { type: 'chat' }, action: 'read' }),
    });
    const body = (await response.json()) as { allow?: boolean };
    // A PDP that refuses such an id at its edge is just as safe: then nothing is logged.
    if (response.status === 200) {
      expect(body.allow).toBe(false);
      const deadline = Date.now() + 5_000;
      while (!lines.slice(before).some((line) => line.includes(marker)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    } else {
      expect(response.status).toBe(400);
    }
    const printed = lines.slice(before).map(withoutPainterColours);
    if (response.status === 200) {
      const decision = printed.filter((line) => line.includes(marker));
      expect(decision, printed.join('\n')).toHaveLength(1);
      expect(decision[0]).toMatch(/^\[pdp\]\s+\d\d:\d\d:\d\d INFO\s+decision deny m-/);
    }
    // The forged words may only show inside the one real decision line, escaped.
    const genuine = /^\[pdp\]\s+\d\d:\d\d:\d\d INFO\s+decision deny m-[0-9a-f]{12}\S* /;
    for (const line of printed) {
      expect(line, JSON.stringify(line)).not.toMatch(TERMINAL_UNSAFE);
      if (/carol|allow|wolla/.test(line)) expect(line, JSON.stringify(printed)).toMatch(genuine);
    }
  });
});
