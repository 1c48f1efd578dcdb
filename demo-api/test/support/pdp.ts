import { fileURLToPath } from 'node:url';
import { startPdpServer, type PdpServer } from '@oracle-ai/pdp';

export const POLICIES_DIR = fileURLToPath(new URL('../../../policies', import.meta.url));

export type RunningPdp = PdpServer;

/** The real PDP with the demo's policies, on 127.0.0.1 (port 0 = a free one). */
export function startPdp(clientToken: string, port = 0): Promise<RunningPdp> {
  return startPdpServer({ policiesDir: POLICIES_DIR, host: '127.0.0.1', port, clientTokens: [clientToken], logLevel: 'silent', decisionLog: false, watch: false });
}
