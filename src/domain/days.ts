// Calendar days (UTC) for the daily programs: a dividend day, a release day. A day is written
// "YYYY-MM-DD" and compared as its day number (days since 1970-01-01), so "the next day" is +1.
const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const msPerDay = 86_400_000;

/** The day number of a "YYYY-MM-DD" date from 1970-01-01 to 9999-12-31, or null if it is not one. */
export function parseDay(input: unknown): number | null {
  if (typeof input !== 'string') return null;
  const match = dayPattern.exec(input);
  if (match === null) return null;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  if (year < 1970) return null;
  const ms = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2025-02-30 over to March: a date that does not print back is not a date.
  return formatDay(ms / msPerDay) === input ? ms / msPerDay : null;
}

/** "YYYY-MM-DD" of a day number. */
export function formatDay(day: number): string {
  return new Date(day * msPerDay).toISOString().slice(0, 10);
}

/** The day number of a day read back from a snapshot: one that is not a date is corrupt data, an error. */
export function storedDay(input: unknown, what: string): number {
  const day = parseDay(input);
  if (day === null) throw new Error(`snapshot: ${what} ${JSON.stringify(input)} is not a YYYY-MM-DD date`);
  return day;
}
