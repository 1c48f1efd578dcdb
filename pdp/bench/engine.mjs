// Engine benchmark: for 10, 1,000 and 10,000 generated policies, the compile time, the heap the
// compiled set holds, and the time of one decision (median and p99, each decision timed alone,
// timer overhead subtracted). Then the schema.json request check, and data files: loading a
// directory of 100,000 users (check, revision, compile), the heap it holds, and what a `data`
// lookup adds to a decision. Run through `npm run bench -w pdp` (needs `npm run build -w pdp`).
import { checkPolicySources, compile, decide, loadPolicies, plan, requestCheckFor } from '../dist/index.js';

const SIZES = [10, 1_000, 10_000];
const DECISIONS = 200_000;
const WARMUP = 50_000;
const GROUPS = Array.from({ length: 20 }, (_, i) => `group-${i}`);

/** A deterministic generator, so every run measures the same sets and requests. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n policies, each its own resource type with a group rule, an owner condition and a deny, plus a few * policies. */
function generate(n) {
  const policies = [];
  for (let i = 0; i < n; i++) {
    policies.push({
      id: `policy-${i}`,
      resource: `type-${i}`,
      rules: [
        { id: 'members-read', effect: 'allow', actions: ['read', 'list'], subject: { groups: { anyOf: [GROUPS[i % 20], GROUPS[(i * 7 + 1) % 20]] } } },
        { id: 'owner-writes', effect: 'allow', actions: ['write'], when: { '==': [{ var: 'subject.id' }, { var: 'resource.attributes.owner' }] } },
        { id: 'editors-write', effect: 'allow', actions: ['write'], subject: { roles: { anyOf: ['editor'] } } },
        { id: 'locked', effect: 'deny', actions: ['*'], when: { '==': [{ var: 'resource.attributes.locked' }, true] } },
      ],
    });
  }
  policies.push({ id: 'global', resource: '*', rules: [{ id: 'nobody-purges', effect: 'deny', actions: ['purge'] }, { id: 'auditors-read', effect: 'allow', actions: ['read'], subject: { roles: { anyOf: ['auditor'] } } }] });
  const roles = {
    viewer: { fromGroups: [GROUPS[0], GROUPS[1]] },
    editor: { fromGroups: [GROUPS[2]], inherits: ['viewer'] },
    auditor: { fromGroups: [GROUPS[3]] },
    admin: { fromGroups: [GROUPS[4]], inherits: ['editor', 'auditor'] },
  };
  return { policies, roles };
}

/**
 * 4,096 requests over `types` resource types: the same 10 types (present in every set) for the
 * like-for-like comparison across sizes, or all n types for the cold-cache spread.
 */
function requestsOver(types, random) {
  const requests = [];
  for (let i = 0; i < 4096; i++) {
    const t = Math.floor(random() * types);
    const groups = GROUPS.filter(() => random() < 0.1);
    requests.push({
      subject: { id: `user-${i % 50}`, groups, claims: {} },
      resource: { type: `type-${t}`, id: `r-${i}`, attributes: { owner: `user-${Math.floor(random() * 50)}`, locked: random() < 0.1 } },
      action: ['read', 'write', 'list', 'purge'][Math.floor(random() * 4)],
      context: {},
    });
  }
  return requests;
}

const gc = globalThis.gc ?? (() => {});
const now = process.hrtime.bigint;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Decision time of one request at a time, over the request mix: median and p99 in µs. */
function timeDecisions(compiled, requests) {
  return timeCalls((request) => decide(compiled, request), requests);
}

/** Time of one `fn(request)` at a time; `allowRate` counts results with `allow`. */
function timeCalls(fn, requests) {
  for (let i = 0; i < WARMUP; i++) fn(requests[i & 4095]);
  // The cost of reading the clock twice, to subtract from each sample.
  const overhead = new Float64Array(20_000);
  for (let i = 0; i < overhead.length; i++) {
    const a = now();
    overhead[i] = Number(now() - a);
  }
  overhead.sort();
  const clock = percentile(overhead, 0.5);
  const samples = new Float64Array(DECISIONS);
  let allowed = 0;
  for (let i = 0; i < DECISIONS; i++) {
    const request = requests[i & 4095];
    const a = now();
    const d = fn(request);
    samples[i] = Number(now() - a) - clock;
    if (d.allow === true) allowed++;
  }
  samples.sort();
  return { medianUs: percentile(samples, 0.5) / 1000, p99Us: percentile(samples, 0.99) / 1000, allowRate: allowed / DECISIONS };
}

function measure(n) {
  const { policies, roles } = generate(n);
  const loaded = checkPolicySources({
    policies: policies.map((p) => ({ file: `${p.id}.json`, text: JSON.stringify(p) })),
    roles: { file: 'roles.json', text: JSON.stringify({ roles }) },
  });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 3)));

  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = now();
  const compiled = compile(loaded.policySet);
  const compileMs = Number(now() - t0) / 1e6;
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;

  // Same seed for every size: the like-for-like mix is the very same requests each time.
  const same = timeDecisions(compiled, requestsOver(Math.min(10, n), rng(42)));
  const spread = timeDecisions(compiled, requestsOver(n, rng(43)));
  return { policies: n, rules: compiled.index.ruleCount, compileMs, heapMb, same, spread };
}

const results = SIZES.map(measure);
console.log('engine: compile + decide, one decision timed at a time (clock overhead subtracted)');
console.log('  same:   the same 4,096 requests (over 10 resource types present in every set) at every size');
console.log('  spread: requests over all the set\'s resource types (every decision touches cold memory at 10,000)');
console.log(`${'policies'.padStart(8)} ${'rules'.padStart(7)} ${'compile ms'.padStart(10)} ${'heap MB'.padStart(8)} | ${'same: median µs'.padStart(15)} ${'p99 µs'.padStart(7)} | ${'spread: median µs'.padStart(17)} ${'p99 µs'.padStart(7)}`);
for (const r of results) {
  console.log(
    `${String(r.policies).padStart(8)} ${String(r.rules).padStart(7)} ${r.compileMs.toFixed(1).padStart(10)} ${r.heapMb.toFixed(1).padStart(8)} | ${r.same.medianUs.toFixed(3).padStart(15)} ${r.same.p99Us.toFixed(3).padStart(7)} | ${r.spread.medianUs.toFixed(3).padStart(17)} ${r.spread.p99Us.toFixed(3).padStart(7)}`,
  );
}
const small = results[0];
const large = results[results.length - 1];
const verdict = (ok) => (ok ? 'met' : 'MISSED');
console.log(`median at ${large.policies} policies: same ${large.same.medianUs.toFixed(3)} µs, spread ${large.spread.medianUs.toFixed(3)} µs (target < 5 µs: ${verdict(large.same.medianUs < 5)} / ${verdict(large.spread.medianUs < 5)})`);
const ratioSame = large.same.medianUs / small.same.medianUs;
const ratioSpread = large.spread.medianUs / small.spread.medianUs;
console.log(`${large.policies} vs ${small.policies} policies: same ${ratioSame.toFixed(2)}x, spread ${ratioSpread.toFixed(2)}x (target <= 1.5x: ${verdict(ratioSame <= 1.5)} / ${verdict(ratioSpread <= 1.5)})`);

// Query plans ("which resources may this subject see?"): the demo policies (policies/), for users
// of every group mix and each of their resource types and actions, and the generated 10-policy set,
// whose owner condition and lock deny make the plans conditional.
const demo = await loadPolicies(new URL('../../policies/', import.meta.url).pathname);
if (!demo.ok) throw new Error(JSON.stringify(demo.errors.slice(0, 3)));
const demoCompiled = compile(demo.policySet);
const demoTypes = demo.policySet.policies.map((p) => p.resource);
const demoGroups = [[], ['oracle-ai-users'], ['oracle-ai-admins'], ['oracle-ai-users', 'other']];
const demoPlans = Array.from({ length: 4096 }, (_, i) => ({
  subject: { id: `user-${i % 50}`, groups: demoGroups[i % demoGroups.length], claims: { account_status: i % 7 === 0 ? 'suspended' : 'active' } },
  action: ['read', 'write', 'list'][i % 3],
  resourceType: demoTypes[i % demoTypes.length],
}));
const planDemo = timeCalls((request) => plan(demoCompiled, request), demoPlans);
const generated = compile(checkPolicySources({ policies: generate(10).policies.map((p) => ({ file: `${p.id}.json`, text: JSON.stringify(p) })), roles: { file: 'roles.json', text: JSON.stringify({ roles: generate(10).roles }) } }).policySet);
const planGenerated = timeCalls((r) => plan(generated, { subject: r.subject, action: r.action, resourceType: r.resource.type }), requestsOver(10, rng(42)));
console.log(`plan, demo policies: median ${planDemo.medianUs.toFixed(3)} µs, p99 ${planDemo.p99Us.toFixed(3)} µs (target < 50 µs: ${verdict(planDemo.medianUs < 50)}); generated 10-policy set (conditional plans): median ${planGenerated.medianUs.toFixed(3)} µs, p99 ${planGenerated.p99Us.toFixed(3)} µs`);

// AuthZEN resource search over 10,000 candidates, one whole scan at a time: the query plan made
// once and its condition run on each candidate (what the search does), against a decision per
// candidate (what it does when the engine cannot plan). The generated set's write rules make the
// plan conditional: an owner condition and the lock deny.
const { resourcePlan } = await import('../dist/server/authzen-search.js');
const CANDIDATES = Array.from({ length: 10_000 }, (_, i) => `r-${i}`);
const searchBase = { subject: { id: 'user-1', groups: [GROUPS[2]], claims: {} }, resource: { type: 'type-1', id: '', attributes: { owner: 'user-1', locked: false } }, action: 'write', actionProperties: undefined, context: undefined };
function timeScans(scan) {
  for (let i = 0; i < 5; i++) scan();
  const samples = [];
  let found = 0;
  for (let i = 0; i < 40; i++) {
    const a = now();
    found = scan();
    samples.push(Number(now() - a) / 1e6);
  }
  samples.sort((x, y) => x - y);
  return { medianMs: percentile(samples, 0.5), found };
}
const byPlan = timeScans(() => {
  const planned = resourcePlan(generated, searchBase);
  if (planned?.kind !== 'conditional') throw new Error(`the search bench expects a conditional plan, got ${planned?.kind ?? 'unsupported'}`);
  return CANDIDATES.filter(planned.allows).length;
});
const searchRequest = { ...searchBase, resource: { ...searchBase.resource } };
const byDecide = timeScans(() =>
  CANDIDATES.filter((id) => {
    searchRequest.resource.id = id;
    return decide(generated, searchRequest).allow;
  }).length,
);
if (byPlan.found !== byDecide.found) throw new Error(`plan-filtered and decided searches disagree: ${byPlan.found} vs ${byDecide.found}`);
console.log(`resource search, ${CANDIDATES.length.toLocaleString('en')} candidates (conditional plan): plan-filtered ${byPlan.medianMs.toFixed(2)} ms, decide per candidate ${byDecide.medianMs.toFixed(2)} ms (${(byDecide.medianMs / byPlan.medianMs).toFixed(1)}x)`);

// The edge's schema.json check (PDP_SCHEMA_ENFORCE warn or reject), paid per request when the set
// has a schema: the 10-policy set with its attributes declared.
const { policies: few, roles: fewRoles } = generate(10);
const attributes = { owner: { type: 'string' }, locked: { type: 'boolean' } };
const withSchema = checkPolicySources({
  policies: few.map((p) => ({ file: `${p.id}.json`, text: JSON.stringify(p) })),
  roles: { file: 'roles.json', text: JSON.stringify({ roles: fewRoles }) },
  schema: { file: 'schema.json', text: JSON.stringify({ resources: Object.fromEntries(few.filter((p) => p.resource !== '*').map((p) => [p.resource, { attributes }])), claims: {} }) },
});
if (!withSchema.ok) throw new Error(JSON.stringify(withSchema.errors.slice(0, 3)));
const check = requestCheckFor(withSchema.policySet);
const schemaCheck = timeCalls((request) => check(request), requestsOver(10, rng(42)));
console.log(`schema.json request check (10 types, 2 attributes each): median ${schemaCheck.medianUs.toFixed(3)} µs, p99 ${schemaCheck.p99Us.toFixed(3)} µs`);
const USERS = 100_000;

/** The same rule twice: the caller's roles read from the request (a var), or from data/users.json by id. */
function dataSets(users) {
  const rule = (source) => ({ id: 'doc', resource: 'doc', rules: [{ id: 'editors-read', effect: 'allow', actions: ['read'], when: { in: ['editor', source] } }] });
  const check = (source, data) =>
    checkPolicySources({ policies: [{ file: 'doc.json', text: JSON.stringify(rule(source)) }], ...(data ? { data: [{ file: 'data/users.json', text: data }] } : {}) });
  return { check, byVar: { var: 'subject.claims.roles' }, byData: { data: ['users', { var: 'subject.id' }, 'roles'] } };
}

function measureData(n) {
  const random = rng(44);
  const users = {};
  for (let i = 0; i < n; i++) {
    users[`user-${i}`] = { email: `user-${i}@example.com`, name: `User ${i}`, roles: random() < 0.5 ? ['editor'] : ['viewer'], department: `dept-${i % 100}` };
  }
  const text = JSON.stringify(users, null, 2);
  const { check, byVar, byData } = dataSets();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = now();
  const loaded = check(byData, text);
  const t1 = now();
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 3)));
  const withData = compile(loaded.policySet);
  const t2 = now();
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  const plain = check(byVar);
  if (!plain.ok) throw new Error(JSON.stringify(plain.errors.slice(0, 3)));
  const withVar = compile(plain.policySet);

  // The same 4,096 requests for both sets, subjects spread over all users; the var set finds the
  // roles in the request, the data set in data/users.json.
  const requests = [];
  for (let i = 0; i < 4096; i++) {
    const id = `user-${Math.floor(random() * n)}`;
    requests.push({ subject: { id, claims: { roles: users[id].roles } }, resource: { type: 'doc', id: `d-${i}` }, action: 'read', context: {} });
  }
  const viaVar = timeDecisions(withVar, requests);
  const viaData = timeDecisions(withData, requests);
  if (viaVar.allowRate !== viaData.allowRate) throw new Error(`the two sets disagree: ${viaVar.allowRate} vs ${viaData.allowRate}`);
  return { users: n, fileMb: Buffer.byteLength(text) / 1024 / 1024, checkMs: Number(t1 - t0) / 1e6, compileMs: Number(t2 - t1) / 1e6, heapMb, viaVar, viaData };
}

// 10 users: what the lookup itself costs (all in cache); 100,000: with the memory latency of
// subjects spread over the whole directory.
const fewUsers = measureData(10);
const data = measureData(USERS);
console.log(`data: data/users.json with ${data.users.toLocaleString('en')} users (${data.fileMb.toFixed(1)} MB)`);
console.log(`  load: check + revision ${data.checkMs.toFixed(0)} ms, compile ${data.compileMs.toFixed(0)} ms, total ${(data.checkMs + data.compileMs).toFixed(0)} ms (target < 2000 ms: ${verdict(data.checkMs + data.compileMs < 2000)}); heap held ${data.heapMb.toFixed(1)} MB`);
const added = data.viaData.medianUs - data.viaVar.medianUs;
console.log(`  decision, roles from the request (var): median ${data.viaVar.medianUs.toFixed(3)} µs, p99 ${data.viaVar.p99Us.toFixed(3)} µs`);
console.log(`  decision, roles from data/users.json:   median ${data.viaData.medianUs.toFixed(3)} µs, p99 ${data.viaData.p99Us.toFixed(3)} µs`);
console.log(`  a data lookup adds ${added.toFixed(3)} µs at the median (target < 0.2 µs: ${verdict(added < 0.2)})`);
const addedFew = fewUsers.viaData.medianUs - fewUsers.viaVar.medianUs;
console.log(`  with ${fewUsers.users} users (all in cache): var ${fewUsers.viaVar.medianUs.toFixed(3)} µs, data ${fewUsers.viaData.medianUs.toFixed(3)} µs: the lookup itself adds ${addedFew.toFixed(3)} µs (target < 0.2 µs: ${verdict(addedFew < 0.2)})`);
if (process.env.BENCH_JSON) console.log(JSON.stringify({ engine: results, plan: { demo: planDemo, generated: planGenerated }, search: { byPlan, byDecide }, data, few: fewUsers }));
