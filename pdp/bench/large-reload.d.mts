export function writeLargePolicySet(dir: string, options?: { files?: number; rulesPerFile?: number; tag?: string }): Promise<void>;
export function decideStream(
  url: string,
  until: Promise<unknown>,
  options?: { intervalMs?: number; tailMs?: number; timeoutMs?: number },
): Promise<{ requests: number; failures: number; failureCodes: (number | string)[]; p50: number; p99: number; max: number }>;
