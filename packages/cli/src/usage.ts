// Help texts, apart from the commands so that help loads nothing heavy.

export const DEMO_USAGE = `slm-audit demo [--store DIR] [--count N] [--model FILE.gguf] [--seed S]

Runs N real inferences (default 300) of a support product's prompts for several users,
sessions and tenants on two versions of a model, some failing on purpose (a timeout, a
prompt too long for the context), traces them with the SDK into the embedded store, and
prints an audit report read back with SQL.
  --store DIR     embedded store directory (default .slm-audit)
  --count N       inferences to run (default 300)
  --model FILE    a GGUF model to use instead of the generated tiny models
  --seed S        seed of the traffic pattern (default 7)`;

export const QUERY_USAGE = `slm-audit query "SQL" [--store DIR | --url URL --user U --password P] [--database DB] [--format table|json|csv]

Runs one SQL statement against the audit store and prints the result.
  --store DIR       embedded store directory (default .slm-audit)
  --url URL         a ClickHouse server (http:// or https://)
  --user, --password  credentials for --url (password also from SLM_AUDIT_CLICKHOUSE_PASSWORD)
  --database DB     database holding the audit tables
  --format F        table (default), json or csv
  --param NAME=VALUE  bind a query parameter written {NAME:Type} in the SQL (repeatable)`;
