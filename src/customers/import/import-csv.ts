import { Readable } from 'node:stream';
import { parse, type CsvError, type InfoRecord, type Options } from 'csv-parse';
import { fileLines, ImportFileError, MAX_LINE_BYTES } from './import-lines.ts';

/**
 * A CSV record as the import reads it: its cells, or why it cannot be read. `number` is the line
 * it starts on (a quoted cell may span lines), `end` about how far into the file reading has come.
 */
export type CsvRecord = { number: number; end: number; cells: string[]; tooLong?: false; malformed?: false } | { number: number; end: number; tooLong: true; malformed?: false } | { number: number; end: number; malformed: true; tooLong?: false };

/** Stands in for a line past the limit (its bytes skipped as they are read): NUL never occurs in a readable CSV cell. */
const CUT = '\u0000';

/**
 * The records of a CSV file (RFC 4180: quoted cells with commas, doubled quotes and line breaks),
 * streamed through `csv-parse`. The file's lines come from `fileLines`, so a line past the limit
 * is never held: it stands as a mark, and the record holding it is given as too long. A record
 * `csv-parse` cannot read is given as malformed, one longer than the limit as too long, and the
 * rest goes on. A record still open at four times the limit (an unclosed quote swallowing the rest
 * of the file) stops the import with an error naming where it started. Line breaks inside a cell
 * are given as `\n`.
 */
export async function* csvRecords(path: string, maxBytes = MAX_LINE_BYTES): AsyncGenerator<CsvRecord> {
  const position = { end: 0, sinceRecord: 0, lastLine: 0, emptyLines: 0 };
  const skipped: CsvRecord[] = [];
  /** The line a record or refusal starts on: after the last one, past any blank lines between. */
  const startOf = (context: { lines: number; empty_lines: number }, through: number): number => {
    const start = position.lastLine + 1 + (context.empty_lines - position.emptyLines);
    position.lastLine = through;
    position.emptyLines = context.empty_lines;
    position.sinceRecord = 0;
    return Math.min(start, through);
  };
  // One line ahead of the parser at most, so that what it holds of an open record is counted.
  const source = Readable.from(physicalLines(path, maxBytes, position), { highWaterMark: 1 });
  const options: Options<CsvRecord[], string[]> = {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // Called in order as records end: a refusal waits for the record after it, so the two keep their order.
    on_skip: (error: CsvError | undefined) => {
      const context = error as unknown as InfoRecord;
      skipped.push({ number: startOf(context, context.lines), end: position.end, malformed: true });
      return undefined;
    },
    on_record: (cells: string[], context: InfoRecord) => {
      const number = startOf(context, context.lines);
      const record: CsvRecord = tooLong(cells, maxBytes) ? { number, end: position.end, tooLong: true } : { number, end: position.end, cells };
      return [...skipped.splice(0), record];
    },
  };
  // on_record answers the refusals before a record and the record itself, not a row of cells: the typings know records only as rows.
  const parser = source.pipe(parse(options as unknown as Options));
  source.once('error', (error) => parser.destroy(error));
  try {
    for await (const batch of parser as AsyncIterable<CsvRecord[]>) yield* batch;
  } finally {
    source.destroy();
  }
  yield* skipped.splice(0);
}

/** A record holding a line past the limit, or longer than the limit in all. */
function tooLong(cells: readonly string[], maxBytes: number): boolean {
  let length = 0;
  for (const cell of cells) {
    if (cell.includes(CUT)) return true;
    length += Buffer.byteLength(cell);
  }
  return length > maxBytes;
}

/** The file's lines for the parser, each with its `\n`; a line past the limit as the mark; stops the import when one record runs on past four times the limit. */
async function* physicalLines(path: string, maxBytes: number, position: { end: number; sinceRecord: number; lastLine: number }): AsyncGenerator<Buffer> {
  for await (const line of fileLines(path, maxBytes, true)) {
    const text = line.tooLong ? CUT : line.text;
    position.sinceRecord += text.length + 1;
    if (position.sinceRecord > 4 * maxBytes) throw new ImportFileError(`the CSV record after line ${position.lastLine} runs on past ${4 * maxBytes} bytes (an unclosed quote?)`);
    position.end = line.end;
    yield Buffer.from(`${text}\n`);
  }
}
