/**
 * A streaming CSV reader (RFC 4180: quoted fields, doubled quotes, newlines inside quotes, CRLF):
 * chunks in, records out, holding only the record being read.
 */
export class CsvParser {
  private field = '';
  private record: string[] = [];
  private quoted = false;
  private afterQuote = false;
  private pendingCr = false;
  /** 1-based line of the file where the record being read started */
  private line = 1;
  private recordLine = 1;

  /** Feeds a chunk; returns the records it completed, each with the line it started on. */
  push(chunk: string): { line: number; fields: string[] }[] {
    const out: { line: number; fields: string[] }[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.pendingCr) {
        this.pendingCr = false;
        if (c === '\n') continue;
      }
      if (this.quoted) {
        if (c === '"') {
          this.quoted = false;
          this.afterQuote = true;
        } else {
          if (c === '\n') this.line++;
          this.field += c;
        }
        continue;
      }
      if (c === '"') {
        if (this.afterQuote) this.field += '"';
        this.quoted = true;
        this.afterQuote = false;
      } else if (c === ',') {
        this.record.push(this.field);
        this.field = '';
        this.afterQuote = false;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r') this.pendingCr = true;
        this.finishRecord(out);
        this.line++;
        this.recordLine = this.line;
      } else {
        this.field += c;
        this.afterQuote = false;
      }
    }
    return out;
  }

  /** The last record when the file does not end with a newline. */
  end(): { line: number; fields: string[] }[] {
    const out: { line: number; fields: string[] }[] = [];
    if (this.field !== '' || this.record.length) this.finishRecord(out);
    return out;
  }

  private finishRecord(out: { line: number; fields: string[] }[]): void {
    this.record.push(this.field);
    // a blank line is no record
    if (!(this.record.length === 1 && this.record[0] === '')) out.push({ line: this.recordLine, fields: this.record });
    this.record = [];
    this.field = '';
    this.afterQuote = false;
  }
}

/** One field for a CSV file: quoted when it holds a comma, quote or line break. */
export const csvField = (v: unknown): string => {
  const s = v == null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
