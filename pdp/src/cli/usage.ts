import { HINT_MAX_DATA_BYTES } from './fmt.js';

export const USAGE = `Usage: pdp <command> [options]

Commands:
  check DIR|BUNDLE [--json] [--public-key KEY]
                                  Check a policy directory or bundle; one line per error, FILE:JSON-POINTER:
                                  message (FILE relative to DIR). A bundle's integrity is always checked;
                                  --public-key (a PEM, JWK or JWK Set file, as PDP_BUNDLE_PUBLIC_KEY) also
                                  requires its signature, refusing it as pdp serve would. For a directory,
                                  a hint on stderr names files not in pdp fmt's layout (policy, roles,
                                  schema and test files; data files up to ${HINT_MAX_DATA_BYTES / 1024} KiB in all: pdp fmt --check
                                  looks at every file). Exit 0 valid, 1 invalid.
  test DIR [--json] [--schema-enforce reject|warn|off] [--min-coverage PCT] [--watch]
                                  Run DIR/tests/*.json against the policies in DIR; list failures
                                  (expected vs actual, with the explain trace), rule coverage (whole and
                                  per policy) and rules no case exercised. A case whose input does not
                                  fit schema.json fails (reject, the default) unless it lists the
                                  pointers in expect.schemaErrors. --watch runs again on every change to
                                  DIR (Ctrl-C stops). Exit 0 all pass, 1 a case failed or coverage is
                                  below PCT, 2 invalid policies or test files.
  fmt DIR|FILE... [--check]       Write policies, roles.json, schema.json, data/ and tests/ files in the one
                                  layout (key order of the JSON Schemas, 2-space indent). --check writes
                                  nothing and lists the files that are not formatted. Exit 0 formatted,
                                  1 a file is not (--check) or does not parse (reported, not rewritten).
  replay --policies DIR --log FILE|- [--json] [--allow-widening]
                                  Decide a decision log's recorded requests against the policies in DIR
                                  and report what changed: allow -> deny and deny -> allow, by rule and by
                                  request, with examples. Exit 0 nothing widened, 1 a deny became allow
                                  (unless --allow-widening), 2 invalid policies or no decision in the log.
  eval --policies DIR --input FILE|- [--explain] [--schema-enforce reject|warn|off]
                                  Decide one request (JSON; "-" reads stdin) and print the decision.
                                  Input that does not fit schema.json: warn (default) prints it and adds
                                  schemaErrors; reject exits 1. Exit 0 decided, 1 invalid policies or input.
  build DIR -o FILE [--sign KEY] [--kid ID]
                                  Pack a valid policy directory into one bundle file (docs/bundles.md),
                                  signed with a PEM or JWK private key (ES256, EdDSA, RS256) when --sign
                                  is given. check, test, eval and replay take a bundle wherever they take DIR.
  serve [--policies DIR] [--host H] [--port N]
                                  Run the HTTP decision service (see pdp serve --help).

Options:
  -h, --help                      Show this help.
  --version                       Print the version.

Usage errors exit 2.`;
