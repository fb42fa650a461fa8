import { expect } from 'chai';
import { cellText, formatCsv, formatJson, formatTable, type ResultTable } from '../src/format.js';

const result: ResultTable = {
  columns: [
    { name: 'model', type: 'LowCardinality(String)' },
    { name: 'inferences', type: 'UInt64' },
    { name: 'p95_ms', type: 'Nullable(Float64)' },
    { name: 'reasons', type: 'Array(String)' },
  ],
  rows: [
    ['tiny-llama', 120, 48.25, ['stop', 'length']],
    ['a "quoted", model', 3, null, []],
  ],
};

describe('CLI output formats', () => {
  it('aligns a table, numbers to the right, and counts rows', () => {
    const lines = formatTable(result).split('\n');
    expect(lines[0]).to.equal('model              inferences  p95_ms  reasons');
    expect(lines[2]).to.equal('tiny-llama                120   48.25  ["stop","length"]');
    expect(lines[3]).to.equal('a "quoted", model           3          []');
    expect(lines[4]).to.equal('(2 rows)');
  });

  it('cuts long cells and folds newlines so a row stays on one line', () => {
    const table = formatTable({ columns: [{ name: 'text', type: 'String' }], rows: [['line one\nline two ' + 'x'.repeat(100)]] }, 20);
    const row = table.split('\n')[2]!;
    expect(row).to.have.length(20);
    expect(row.startsWith('line one line two')).to.equal(true);
    expect(row.endsWith('…')).to.equal(true);
  });

  it('writes RFC 4180 CSV with quoting', () => {
    expect(formatCsv(result)).to.equal(
      'model,inferences,p95_ms,reasons\r\ntiny-llama,120,48.25,"[""stop"",""length""]"\r\n"a ""quoted"", model",3,,[]\r\n',
    );
  });

  it('writes JSON objects keyed by column name, values untouched', () => {
    expect(JSON.parse(formatJson(result))).to.deep.equal([
      { model: 'tiny-llama', inferences: 120, p95_ms: 48.25, reasons: ['stop', 'length'] },
      { model: 'a "quoted", model', inferences: 3, p95_ms: null, reasons: [] },
    ]);
  });

  it('renders cell values the way a reader expects', () => {
    expect(cellText(null)).to.equal('');
    expect(cellText(0.123456)).to.equal('0.123');
    expect(cellText(12n)).to.equal('12');
    expect(cellText({ a: 1 })).to.equal('{"a":1}');
  });
});
