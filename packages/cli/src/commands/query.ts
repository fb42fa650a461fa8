import { parseArgs } from 'node:util';
import { CliError } from '../cli-error.js';
import { QUERY_USAGE } from '../usage.js';
import { formatResult, OUTPUT_FORMATS, type OutputFormat } from '../format.js';
import { openStoreFrom, STORE_ARG_OPTIONS, storeError, storeOptionsFrom } from '../store-options.js';



export async function queryCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...STORE_ARG_OPTIONS,
      format: { type: 'string', default: 'table' },
      param: { type: 'string', multiple: true },
    },
  });
  if (positionals.length !== 1) throw new CliError(`expected one SQL statement\n\n${QUERY_USAGE}`, 2);
  const format = values.format as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new CliError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`, 2);
  const params: Record<string, string> = {};
  for (const p of values.param ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new CliError(`--param takes NAME=VALUE, got "${p}"`, 2);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }

  const store = await openStoreFrom(values);
  try {
    const result = await store.queryTable(positionals[0]!, params);
    out.write(formatResult(result, format));
  } catch (err) {
    throw storeError(err, storeOptionsFrom(values));
  } finally {
    await store.close();
  }
  return 0;
}
