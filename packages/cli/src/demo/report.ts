/*
 * The demo's audit report: questions an auditor asks, answered with SQL over
 * slm_inferences. Every query is scoped to one run with a bound parameter.
 */
import type { AuditStore } from '@slm-audit/exporter-clickhouse';
import { formatTable, type ResultTable } from '../format.js';

const RUN = 'timestamp >= fromUnixTimestamp64Milli({since_ms:Int64}) AND service_name = {service:String}';

export const REPORT_SECTIONS: { title: string; sql: string }[] = [
  {
    title: 'Inferences by model version',
    sql: `
      SELECT request_model AS model, model_version AS version, count() AS inferences,
             countIf(error_type != '') AS errors,
             round(quantile(0.5)(duration_ns) / 1e6, 1) AS p50_ms,
             round(quantile(0.95)(duration_ns) / 1e6, 1) AS p95_ms,
             sum(usage_input_tokens) AS input_tokens, sum(usage_output_tokens) AS output_tokens,
             round(avg(time_to_first_token) * 1000, 2) AS ttft_ms,
             round(avg(tokens_per_second)) AS tokens_per_s,
             round(avg(confidence_score), 3) AS confidence
      FROM slm_inferences WHERE ${RUN}
      GROUP BY model, version ORDER BY model, version`,
  },
  {
    title: 'Inferences by tenant and user',
    sql: `
      SELECT tenant_id AS tenant, user_id AS user, count() AS inferences,
             uniqExact(session_id) AS sessions, countIf(error_type != '') AS errors,
             sum(usage_input_tokens + usage_output_tokens) AS tokens,
             round(quantile(0.95)(duration_ns) / 1e6, 1) AS p95_ms,
             arrayStringConcat(groupUniqArrayArray(redaction_types), ',') AS personal_data_seen
      FROM slm_inferences WHERE ${RUN}
      GROUP BY tenant, user ORDER BY tenant, user`,
  },
  {
    title: 'Confidence distribution (exp of mean token logprob)',
    sql: `
      SELECT model_version AS version,
             format('{}–{}', toString(round(floor(confidence_score, 1), 1)), toString(round(floor(confidence_score, 1) + 0.1, 1))) AS score,
             count() AS inferences,
             bar(count(), 0, max(count()) OVER (), 30) AS histogram
      FROM slm_inferences WHERE ${RUN} AND confidence_score IS NOT NULL
      GROUP BY version, floor(confidence_score, 1) ORDER BY version, floor(confidence_score, 1)`,
  },
  {
    title: 'Errors by type',
    sql: `
      SELECT error_type, error_code, request_model AS model, count() AS inferences,
             any(status_message) AS example
      FROM slm_inferences WHERE ${RUN} AND error_type != ''
      GROUP BY error_type, error_code, model ORDER BY inferences DESC`,
  },
];

/** The newest successful record that had personal data redacted: the most to look at. */
export const SAMPLE_RECORD_SQL = `
  SELECT * FROM slm_inferences WHERE ${RUN}
  ORDER BY error_type = '' DESC, coalesce(redaction_count, 0) > 0 DESC, timestamp DESC LIMIT 1`;

export interface ReportScope {
  sinceMs: number;
  serviceName: string;
}

export async function renderReport(store: AuditStore, scope: ReportScope): Promise<string> {
  const params = { since_ms: scope.sinceMs, service: scope.serviceName };
  const parts: string[] = [];
  for (const section of REPORT_SECTIONS) {
    const table = await store.queryTable(section.sql, params);
    parts.push(heading(section.title), formatTable(table, 48));
  }
  const record = await store.queryTable(SAMPLE_RECORD_SQL, params);
  parts.push(heading('One complete audit record'), formatVertical(record));
  return parts.join('\n');
}

function heading(title: string): string {
  return `\n== ${title} ==\n`;
}

/** A record as "column: value" lines, skipping empty values so the record stays readable. */
export function formatVertical({ columns, rows }: ResultTable): string {
  const row = rows[0];
  if (!row) return '(none)\n';
  const width = Math.max(...columns.map((c) => c.name.length));
  const lines: string[] = [];
  columns.forEach((c, i) => {
    const v = row[i];
    if (v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)) return;
    lines.push(`${c.name.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  });
  return lines.join('\n') + '\n';
}
