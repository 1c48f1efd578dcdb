import type { DocumentClassification, DocumentStatus } from '@oracle-ai/contract';

import type { Database } from './database.js';

export interface SeedDocument {
  id: string;
  title: string;
  body: string;
  owner: string;
  department: string;
  classification: DocumentClassification;
  status: DocumentStatus;
}

type Curated = Omit<SeedDocument, 'body'>;

/**
 * One document per case of policies/documents.json for the demo users (alice and dave in
 * engineering, bob in sales, carol in operations, per policies/data/users.json; carol is an admin,
 * dave a contractor). erin owns documents but is no demo user, so only the public and admin rules
 * reach hers.
 */
export const CURATED_DOCUMENTS: readonly Curated[] = [
  { id: 'alice-draft', title: 'Alice: search ranking ideas (draft)', owner: 'alice', department: 'engineering', classification: 'internal', status: 'draft' },
  { id: 'alice-confidential-draft', title: 'Alice: security review notes (draft)', owner: 'alice', department: 'engineering', classification: 'confidential', status: 'draft' },
  { id: 'engineering-handbook', title: 'Engineering handbook', owner: 'alice', department: 'engineering', classification: 'internal', status: 'published' },
  { id: 'engineering-incident-report', title: 'Incident report: the March outage', owner: 'alice', department: 'engineering', classification: 'confidential', status: 'published' },
  { id: 'dave-draft', title: 'Dave: onboarding checklist (draft)', owner: 'dave', department: 'engineering', classification: 'internal', status: 'draft' },
  { id: 'dave-confidential-draft', title: 'Dave: vendor pricing (draft)', owner: 'dave', department: 'engineering', classification: 'confidential', status: 'draft' },
  { id: 'sales-playbook', title: 'Sales playbook', owner: 'bob', department: 'sales', classification: 'internal', status: 'published' },
  { id: 'bob-public-draft', title: 'Bob: launch announcement (draft)', owner: 'bob', department: 'sales', classification: 'public', status: 'draft' },
  { id: 'product-brochure', title: 'Product brochure', owner: 'bob', department: 'sales', classification: 'public', status: 'published' },
  { id: 'operations-runbook', title: 'Operations runbook', owner: 'carol', department: 'operations', classification: 'internal', status: 'published' },
  { id: 'operations-audit', title: 'Audit findings', owner: 'carol', department: 'operations', classification: 'confidential', status: 'published' },
  { id: 'carol-draft', title: 'Carol: quarterly plan (draft)', owner: 'carol', department: 'operations', classification: 'internal', status: 'draft' },
  { id: 'finance-forecast', title: 'Finance forecast', owner: 'erin', department: 'finance', classification: 'confidential', status: 'published' },
  { id: 'finance-annual-report', title: 'Annual report', owner: 'erin', department: 'finance', classification: 'public', status: 'published' },
  { id: 'erin-draft', title: 'Erin: budget notes (draft)', owner: 'erin', department: 'finance', classification: 'internal', status: 'draft' },
];

const OWNERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;
const DEPARTMENTS = ['engineering', 'sales', 'operations', 'finance'] as const;
const CLASSIFICATIONS: readonly DocumentClassification[] = ['public', 'internal', 'internal', 'confidential'];
const STATUSES: readonly DocumentStatus[] = ['published', 'published', 'draft'];
const TOPICS = ['roadmap', 'meeting notes', 'design review', 'postmortem', 'proposal', 'report', 'guide', 'checklist'] as const;

// A fixed-seed generator (mulberry32): the same size gives the same rows on every start and machine.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` documents: the curated ones first, then generated ones (fewer than the curated: just those). */
export function seedDocuments(size: number): SeedDocument[] {
  const docs: SeedDocument[] = CURATED_DOCUMENTS.map((doc) => ({ ...doc, body: `${doc.title}.\n\nA ${doc.classification} ${doc.status} document of ${doc.department}, owned by ${doc.owner}.` }));
  const next = random(size);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  for (let n = 1; docs.length < size; n++) {
    const department = pick(DEPARTMENTS);
    const topic = pick(TOPICS);
    const doc: Omit<SeedDocument, 'body'> = {
      id: `doc-${String(n).padStart(6, '0')}`,
      title: `${department[0]!.toUpperCase()}${department.slice(1)} ${topic} #${n}`,
      owner: pick(OWNERS),
      department,
      classification: pick(CLASSIFICATIONS),
      status: pick(STATUSES),
    };
    docs.push({ ...doc, body: `${doc.title}.\n\nGenerated for the demo: a ${doc.classification} ${doc.status} document.` });
  }
  return docs;
}

const BATCH = 5_000;

/** Seeds an empty table (a Postgres that has documents keeps them); answers how many rows were added. */
export async function seedIfEmpty(db: Database, size: number): Promise<number> {
  if (size === 0) return 0;
  const [{ n } = { n: 0 }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT 1 FROM documents LIMIT 1) AS any_row');
  if (n > 0) return 0;
  const docs = seedDocuments(size);
  // One second apart, the curated ones newest, so "newest first" is a stable order that opens on them.
  const now = Date.now();
  for (let from = 0; from < docs.length; from += BATCH) {
    const batch = docs.slice(from, from + BATCH);
    const column = (key: keyof SeedDocument): string[] => batch.map((doc) => doc[key]);
    await db.query(
      `INSERT INTO documents (id, title, body, owner, department, classification, status, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])`,
      [column('id'), column('title'), column('body'), column('owner'), column('department'), column('classification'), column('status'), batch.map((_, i) => new Date(now - (from + i) * 1000).toISOString())],
    );
  }
  return docs.length;
}
