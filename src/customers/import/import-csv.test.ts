import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvRecords, type CsvRecord } from './import-csv.ts';
import { ImportFileError } from './import-lines.ts';

const dir = mkdtempSync(join(tmpdir(), 'portvakt-csv-'));
let files = 0;

async function recordsOf(text: string, maxBytes?: number): Promise<Array<[number, string[] | 'too_long' | 'malformed']>> {
  const file = join(dir, `${files++}.csv`);
  writeFileSync(file, text);
  const records: CsvRecord[] = [];
  for await (const record of csvRecords(file, maxBytes)) records.push(record);
  return records.map((record) => [record.number, 'cells' in record ? record.cells : record.tooLong ? 'too_long' : 'malformed']);
}

describe('CSV records (csv-parse, streamed)', () => {
  it('reads quoted cells with commas, doubled quotes and line breaks, numbering each record by the line it starts on', async () => {
    const text = ['email,given_name,family_name', 'a@example.se,"Anna\nMaria","Berg, Jr"', '', 'b@example.se,"Bo ""the"" Ek",', '"c@example.se","Line one\n\nLine three",X'].join('\r\n');
    expect(await recordsOf(`${text}\r\n`)).toEqual([
      [1, ['email', 'given_name', 'family_name']],
      [2, ['a@example.se', 'Anna\nMaria', 'Berg, Jr']],
      [5, ['b@example.se', 'Bo "the" Ek', '']],
      [6, ['c@example.se', 'Line one\n\nLine three', 'X']],
    ]);
  });

  it('gives a record it cannot read as malformed, and one past the limit as too long, in their places, and goes on', async () => {
    const long = 'x'.repeat(300);
    const text = ['email,given_name', 'a@example.se,x"y', 'b@example.se,ok', `c@example.se,${long}`, `d@example.se,"${'y'.repeat(150)}\n${'y'.repeat(150)}"`, 'e@example.se,"short\nagain"', 'f@example.se,ok', 'g@example.se,"never closed'].join('\n');
    expect(await recordsOf(text, 200)).toEqual([
      [1, ['email', 'given_name']],
      [2, 'malformed'],
      [3, ['b@example.se', 'ok']],
      [4, 'too_long'],
      [5, 'too_long'],
      [7, ['e@example.se', 'short\nagain']],
      [9, ['f@example.se', 'ok']],
      [10, 'malformed'],
    ]);
  });

  it('stops with a file error naming where the record began when a quote stays open past four times the limit', async () => {
    const text = `email,given_name\na@example.se,ok\nb@example.se,"open\n${'z\n'.repeat(1000)}`;
    await expect(recordsOf(text, 200)).rejects.toThrow(ImportFileError);
    await expect(recordsOf(text, 200)).rejects.toThrow(/after line 2/);
  });
});
