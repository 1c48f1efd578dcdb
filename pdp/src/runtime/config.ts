/**
 * Configuration of `pdp serve`: flags and programmatic options win over the environment,
 * the environment over the defaults written here. Parsed and validated once at start into
 * one frozen object; nothing reads `process.env` after that. Every invalid value is found in
 * one pass, and the start stops with one ConfigError that names each variable (or flag, or
 * option) at fault. The token settings are token/'s own, read here with the same reader.
 */
import path from 'node:path';
import { SHUTDOWN_MS_MAX } from '@oracle-ai/contract/graceful-shutdown';
import { SettingsReader, type Env } from '../common/settings.js';
import { readPublicUrl } from '../server/authzen-metadata.js';
import { isLoopbackHost } from '../server/host.js';
import { readTokenSettings, type TokenOptions, type TokenSettings } from '../token/config.js';
import { DEFAULT_SCHEMA_ENFORCE, SCHEMA_ENFORCE_MODES, type SchemaEnforceMode } from '../policy/request-attributes.js';

import { readBundleSettings, type BundleOptions, type BundleSettings } from '../bundle/settings.js';
import { LOG_LEVELS, LOG_MAX_BUFFERED, LOG_MIN_BUFFERED, type LogLevel } from '../observability/log.js';
export type { LogLevel };

export interface Config extends TokenSettings, BundleSettings {
  policiesDir: string;
  /**
   * Where `policiesDir` came from (`--policies`, `PDP_POLICIES`, `options.policiesDir`, or
   * `default`), so a start-up error names what the operator actually set.
   */
  policiesFrom: string;
  host: string;
  port: number;
  clientTokens: readonly string[];
  /** True when no caller tokens are configured (then the host is loopback: checked at load). */
  allowUnauthenticated: boolean;
  logLevel: LogLevel;
  decisionLog: boolean;
  /** Decision lines carry the decision's request as `input` (for replay). */
  decisionLogInput: boolean;
  logRedact: readonly string[];
  /** Bytes of log lines held for a slow output before lines are dropped (and counted). */
  logMaxBufferBytes: number;
  maxBatch: number;
  maxBodyBytes: number;
  maxDepth: number;
  /** Requests that do not fit the policy set's schema.json: refused, reported, or not checked. */
  schemaEnforce: SchemaEnforceMode;
  workers: number;
  watch: boolean;
  reloadDebounceMs: number;
  shutdownTimeoutMs: number;
  /**
   * After SIGTERM/SIGINT, how long /readyz answers 503 while everything else is still served,
   * before the server stops accepting (0: stop at once).
   */
  shutdownDelayMs: number;
  /** Client connections open at once; beyond it new ones are closed as they arrive. */
  maxConnections: number;
  /** PDP_PUBLIC_URL: the PDP's AuthZEN identifier and the base of the endpoint URLs in its metadata (see server/authzen-metadata.ts). */
  publicUrl?: string;
}

/** Programmatic options (the same settings as the environment, already typed). */
export interface ConfigOptions extends TokenOptions, BundleOptions {
  policiesDir?: string;
  host?: string;
  port?: number;
  clientTokens?: readonly string[];
  allowUnauthenticated?: boolean;
  logLevel?: LogLevel;
  decisionLog?: boolean;
  decisionLogInput?: boolean;
  logRedact?: readonly string[];
  logMaxBufferBytes?: number;
  maxBatch?: number;
  maxBodyBytes?: number;
  maxDepth?: number;
  schemaEnforce?: SchemaEnforceMode;
  workers?: number;
  watch?: boolean;
  reloadDebounceMs?: number;
  shutdownTimeoutMs?: number;
  shutdownDelayMs?: number;
  maxConnections?: number;
  publicUrl?: string;
}

/** Command-line flags of `pdp serve`, as strings (see cli/serve.ts). */
export type ConfigFlags = Partial<Record<'policies' | 'host' | 'port' | 'log-level' | 'workers' | 'max-batch' | 'decision-log' | 'bundle', string>>;

export interface LoadConfigSources {
  env?: Env;
  flags?: ConfigFlags;
  options?: ConfigOptions;
  /** Base for a relative policies directory (default: `process.cwd()`). */
  cwd?: string;
}

/**
 * Builds the frozen {@link Config}, or throws one ConfigError listing every invalid value.
 *
 * Defaults: policies `./policies`, host `127.0.0.1`, port 8181, no caller tokens (loopback
 * only), log level info, decision log on, log buffer 16 MiB, batch 100 items, body 100 KiB,
 * nesting depth 32, schema check warn, 1 worker, watch on, debounce 100 ms, shutdown grace 10 s, no shutdown delay, 10,000 connections;
 * the token settings' defaults are
 * in token/config.ts.
 */
export function loadConfig(sources: LoadConfigSources = {}): Readonly<Config> {
  const flags: ConfigFlags = sources.flags ?? {};
  const o: ConfigOptions = sources.options ?? {};
  const cwd = sources.cwd ?? process.cwd();
  const r = new SettingsReader(sources.env ?? {});

  type OptionName = keyof ConfigOptions;
  const intSetting = (opt: OptionName, flag: keyof ConfigFlags | undefined, envName: string, def: number, min: number, max: number): number =>
    r.int(r.pick([`options.${opt}`, o[opt] as number | undefined], flag === undefined ? undefined : [`--${flag}`, flags[flag]], envName), def, min, max);
  const boolSetting = (opt: OptionName, flag: keyof ConfigFlags | undefined, envName: string, def: boolean): boolean =>
    r.bool(r.pick([`options.${opt}`, o[opt] as boolean | undefined], flag === undefined ? undefined : [`--${flag}`, flags[flag]], envName), def);

  const policiesSrc = r.pick(['options.policiesDir', o.policiesDir], ['--policies', flags.policies], 'PDP_POLICIES');
  const policiesDir = path.resolve(cwd, r.nonEmpty(policiesSrc, './policies'));

  // `[::1]` is how an IPv6 address is written in a URL; listen() wants it bare.
  const host = r.nonEmpty(r.pick(['options.host', o.host], ['--host', flags.host], 'PDP_HOST'), '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  const port = intSetting('port', 'port', 'PDP_PORT', 8181, 0, 65535);

  const tokensSrc = r.pick<readonly string[]>(['options.clientTokens', o.clientTokens], undefined, 'PDP_CLIENT_TOKENS');
  const clientTokens = r.list(tokensSrc);
  if (tokensSrc !== undefined && clientTokens.length === 0) r.report(tokensSrc.name, 'is set but holds no token');
  // A caller sends `Bearer <token>`, read up to the first space: a token with a space or a
  // control character could never match, and every caller would get a 401 without a clue why.
  // The message gives the position, never the token.
  clientTokens.forEach((t, i) => {
    if (!/^[\x21-\x7e]+$/.test(t)) {
      r.report(tokensSrc?.name ?? 'PDP_CLIENT_TOKENS', `token ${i + 1} contains a space, a control or a non-ASCII character; use printable ASCII only`);
    }
  });

  // Running open is possible only on loopback, and only when nobody asked for it to be closed.
  const allowUnauthenticated = clientTokens.length === 0;
  if (allowUnauthenticated && tokensSrc === undefined) {
    if (o.allowUnauthenticated === false) {
      r.report('options.clientTokens', 'no caller token is configured and options.allowUnauthenticated is false');
    } else if (!isLoopbackHost(host)) {
      r.report(
        'PDP_CLIENT_TOKENS',
        `refusing to serve without caller authentication on the non-loopback host ${host}; ` +
          'set PDP_CLIENT_TOKENS (comma-separated) or listen on 127.0.0.1',
      );
    }
  }

  const tokenSettings = readTokenSettings(r, o);
  const bundleSettings = readBundleSettings(r, o, flags.bundle, cwd, policiesSrc?.name);

  /** One of `choices` (case and surrounding spaces ignored), else `def` and a report. */
  const choice = <T extends string>(src: { name: string; value: string } | undefined, choices: readonly T[], def: T): T => {
    if (src === undefined) return def;
    const v = src.value.trim().toLowerCase();
    if ((choices as readonly string[]).includes(v)) return v as T;
    r.report(src.name, `must be one of ${choices.join(', ')} (got ${JSON.stringify(src.value)})`);
    return def;
  };
  const logLevel: LogLevel = choice(r.pick(['options.logLevel', o.logLevel], ['--log-level', flags['log-level']], 'PDP_LOG_LEVEL'), LOG_LEVELS, 'info');
  const schemaEnforce = choice(r.pick(['options.schemaEnforce', o.schemaEnforce], undefined, 'PDP_SCHEMA_ENFORCE'), SCHEMA_ENFORCE_MODES, DEFAULT_SCHEMA_ENFORCE);

  const redactSrc = r.pick<readonly string[]>(['options.logRedact', o.logRedact], undefined, 'PDP_LOG_REDACT');
  const logRedact = r.list(redactSrc);
  for (const p of logRedact) {
    if (!/^[A-Za-z0-9_$*]+(\.[A-Za-z0-9_$*]+|\["[^"]+"\])*$/.test(p)) {
      r.report(redactSrc?.name ?? 'PDP_LOG_REDACT', `invalid redaction path ${JSON.stringify(p)} (use dotted paths such as subject.id or resource.*)`);
    }
  }

  const publicUrlSrc = r.pick(['options.publicUrl', o.publicUrl], undefined, 'PDP_PUBLIC_URL');
  const publicUrl = publicUrlSrc === undefined ? undefined : readPublicUrl(r, publicUrlSrc);

  const config: Config = {
    policiesDir,
    policiesFrom: policiesSrc?.name ?? 'default',
    host,
    port,
    clientTokens: Object.freeze(clientTokens),
    allowUnauthenticated,
    ...tokenSettings,
    ...bundleSettings,
    logLevel,
    decisionLog: boolSetting('decisionLog', 'decision-log', 'PDP_DECISION_LOG', true),
    decisionLogInput: boolSetting('decisionLogInput', undefined, 'PDP_DECISION_LOG_INPUT', true),
    logRedact: Object.freeze(logRedact),
    logMaxBufferBytes: intSetting('logMaxBufferBytes', undefined, 'PDP_LOG_MAX_BUFFER_BYTES', LOG_MAX_BUFFERED, LOG_MIN_BUFFERED, 1024 * 1024 * 1024),
    maxBatch: intSetting('maxBatch', 'max-batch', 'PDP_MAX_BATCH', 100, 1, 10_000),
    maxBodyBytes: intSetting('maxBodyBytes', undefined, 'PDP_MAX_BODY_BYTES', 100 * 1024, 256, 64 * 1024 * 1024),
    maxDepth: intSetting('maxDepth', undefined, 'PDP_MAX_DEPTH', 32, 4, 1000),
    schemaEnforce,
    workers: intSetting('workers', 'workers', 'PDP_WORKERS', 1, 1, 256),
    watch: boolSetting('watch', undefined, 'PDP_WATCH', true),
    reloadDebounceMs: intSetting('reloadDebounceMs', undefined, 'PDP_RELOAD_DEBOUNCE_MS', 100, 0, 60_000),
    shutdownTimeoutMs: intSetting('shutdownTimeoutMs', undefined, 'PDP_SHUTDOWN_TIMEOUT_MS', 10_000, 0, SHUTDOWN_MS_MAX),
    // 0 by default: outside an orchestrator nothing routes by /readyz, so waiting would only slow
    // down Ctrl-C and restarts; deploy/k8s/deployment.yaml sets it for its load balancing.
    shutdownDelayMs: intSetting('shutdownDelayMs', undefined, 'PDP_SHUTDOWN_DELAY_MS', 0, 0, SHUTDOWN_MS_MAX),
    maxConnections: intSetting('maxConnections', undefined, 'PDP_MAX_CONNECTIONS', 10_000, 1, 1_000_000),
  };
  if (publicUrl !== undefined) config.publicUrl = publicUrl;
  r.finish();
  return Object.freeze(config);
}
