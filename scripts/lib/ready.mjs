/**
 * Polls `url` until it answers 2xx, the process exits, or `timeoutMs` passes. Every
 * `noticeEveryMs` without success, `onWaiting` hears what the last attempt got (a status code or
 * a connection error), so a slow start is never silent.
 * @param {string} url
 * @param {{
 *   timeoutMs: number,
 *   hasExited: () => boolean,
 *   onWaiting?: (last: string, elapsedMs: number) => void,
 *   intervalMs?: number,
 *   noticeEveryMs?: number,
 * }} options
 * @returns {Promise<'ready' | 'exited' | 'timeout'>}
 */
export async function waitReady(url, { timeoutMs, hasExited, onWaiting = () => {}, intervalMs = 150, noticeEveryMs = 10_000 }) {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let nextNotice = started + noticeEveryMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (hasExited()) return 'exited';
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
      await response.body?.cancel();
      if (response.ok) return 'ready';
      last = `answers ${response.status}`;
    } catch (error) {
      last = `no answer (${error.cause?.code ?? error.name})`;
    }
    if (Date.now() >= nextNotice) {
      onWaiting(last, Date.now() - started);
      nextNotice += noticeEveryMs;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return hasExited() ? 'exited' : 'timeout';
}
