/** Display formats shared by the pages. */
export function dateTime(unixSeconds: number | null | undefined): string {
  if (unixSeconds === null || unixSeconds === undefined) return '–';
  const d = new Date(unixSeconds * 1000);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "in 4 min", "3 h ago". */
export function relative(unixSeconds: number | null | undefined, now = Date.now() / 1000): string {
  if (unixSeconds === null || unixSeconds === undefined) return '–';
  const d = unixSeconds - now;
  const a = Math.abs(d);
  const text =
    a < 60
      ? `${Math.round(a)} s`
      : a < 3600
        ? `${Math.round(a / 60)} min`
        : a < 86400
          ? `${(a / 3600).toFixed(1)} h`
          : `${(a / 86400).toFixed(1)} d`;
  return d >= 0 ? `in ${text}` : `${text} ago`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  if (hh) return `${hh} h ${mm} min`;
  if (mm) return `${mm} min ${s % 60} s`;
  return `${s} s`;
}

/** Up to 4 significant digits, exponent form for very small or large values. */
export function num(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

export function value(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}
