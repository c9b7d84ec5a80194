// Durations and timestamps of virtual time (`emulate: time`, the `time:` section), to the
// IR's nanoseconds. Parsed by hand rather than with Date: Date keeps milliseconds only and
// accepts many forms RFC 3339 does not.

const UNIT_NS: Record<string, bigint> = {
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

/** `-365d`, `+1h30m`, `90s` -> nanoseconds; undefined if it is not a duration. */
export function parseDuration(text: string): bigint | undefined {
  const m = /^([+-])?((?:\d+[smhdw])+)$/.exec(text.trim());
  if (!m) return undefined;
  let ns = 0n;
  for (const [, n, unit] of m[2]!.matchAll(/(\d+)([smhdw])/g)) ns += BigInt(n!) * UNIT_NS[unit!]!;
  return m[1] === '-' ? -ns : ns;
}

/** Nanoseconds as the shortest duration text (`-365d`, `1h30m`, `0s`). */
export function formatDuration(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  let rest = ns < 0n ? -ns : ns;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const u = UNIT_NS[unit]!;
    if (rest >= u) { out += `${rest / u}${unit}`; rest %= u; }
  }
  if (rest > 0n) out += `${rest}ns`;
  return sign + (out || '0s');
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const daysInMonth = (y: number, m: number): number =>
  [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;

/**
 * An RFC 3339 date-time (`2000-01-01T00:00:00Z`, `2024-02-29T12:30:00.25+01:00`) -> nanoseconds
 * since the epoch, or the reason it is not one.
 */
export function parseTimestamp(text: string): { ns: bigint } | { reason: string } {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$/.exec(text.trim());
  if (!m) {
    return /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? { reason: 'a date needs a time and a zone (T00:00:00Z)' }
      : { reason: 'expected YYYY-MM-DDTHH:MM:SS[.frac] and Z or ±HH:MM' };
  }
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (!m[8]) return { reason: 'the zone is missing (add Z for UTC, or ±HH:MM)' };
  if (mo < 1 || mo > 12) return { reason: `there is no month ${mo}` };
  if (d < 1 || d > daysInMonth(y, mo)) return { reason: `${y}-${m[2]} has no day ${d}` };
  if (h > 23 || mi > 59) return { reason: 'the time of day is out of range' };
  if (s > 59) return { reason: s === 60 ? 'leap seconds (:60) cannot be represented' : 'the seconds are out of range' };
  let offsetMin = 0;
  if (m[8] !== 'Z' && m[8] !== 'z') {
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(4, 6));
    if (oh > 23 || om > 59) return { reason: 'the zone offset is out of range' };
    offsetMin = (m[8][0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const secs = BigInt(daysFromCivil(y, mo, d)) * 86400n + BigInt(h * 3600 + mi * 60 + s - offsetMin * 60);
  const frac = m[7] ? BigInt(m[7].slice(1).padEnd(9, '0')) : 0n;
  return { ns: secs * 1_000_000_000n + frac };
}
