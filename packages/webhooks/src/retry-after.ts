// Retry-After (RFC 9110 §10.2.3): either delta-seconds or an HTTP-date. Date.parse is not used for
// the date because it accepts almost anything ("1" parses as the year 2001); the three formats RFC
// 9110 obliges recipients to accept are matched exactly instead.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// Sun, 06 Nov 1994 08:49:37 GMT (the preferred form)
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
// Sunday, 06-Nov-94 08:49:37 GMT (obsolete RFC 850)
const RFC850 = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
);
// Sun Nov  6 08:49:37 1994 (obsolete asctime)
const ASCTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/** Milliseconds since the epoch, or undefined when the fields do not name a real instant (e.g. 31 Feb). */
function utc(year: number, month: string, day: number, h: number, m: number, s: number): number | undefined {
  const monthIndex = MONTHS.indexOf(month);
  const ms = Date.UTC(year, monthIndex, day, h, m, s);
  const back = new Date(ms);
  const exact =
    back.getUTCFullYear() === year &&
    back.getUTCMonth() === monthIndex &&
    back.getUTCDate() === day &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === m &&
    back.getUTCSeconds() === s;
  return exact ? ms : undefined;
}

/** Parses an HTTP-date in any of the three RFC 9110 formats to epoch milliseconds. */
export function parseHttpDate(value: string, now: number = Date.now()): number | undefined {
  let match = IMF_FIXDATE.exec(value);
  if (match) {
    const [, d, mon, y, h, m, s] = match;
    return utc(Number(y), mon!, Number(d), Number(h), Number(m), Number(s));
  }
  match = RFC850.exec(value);
  if (match) {
    const [, d, mon, yy, h, m, s] = match;
    // RFC 9110: a two-digit year more than 50 years in the future means the most recent such year in the past.
    const thisYear = new Date(now).getUTCFullYear();
    let year = thisYear - (thisYear % 100) + Number(yy);
    if (year > thisYear + 50) year -= 100;
    return utc(year, mon!, Number(d), Number(h), Number(m), Number(s));
  }
  match = ASCTIME.exec(value);
  if (match) {
    const [, mon, d, h, m, s, y] = match;
    return utc(Number(y), mon!, Number(d!.trim()), Number(h), Number(m), Number(s));
  }
  return undefined;
}

/**
 * How long a Retry-After header asks us to wait, in ms from `now`: 0 for a date already past,
 * undefined when absent or unparseable (then it is simply ignored). Not capped here — the policy caps.
 */
export function parseRetryAfter(
  header: string | null | undefined,
  now: Date | number = Date.now(),
): number | undefined {
  if (header == null) return undefined;
  const value = header.trim();
  const nowMs = typeof now === 'number' ? now : now.getTime();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = parseHttpDate(value, nowMs);
  return at === undefined ? undefined : Math.max(0, at - nowMs);
}
