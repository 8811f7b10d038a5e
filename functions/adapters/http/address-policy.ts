/**
 * Which addresses a webhook may reach: public unicast only (docs/ARCHITECTURE.md, "Webhooks").
 * Every resolved address is checked, including the IPv4 address hidden inside IPv6 forms
 * (IPv4-mapped, IPv4-compatible, NAT64, 6to4). Literal hosts are checked after the WHATWG URL
 * parser has normalised them, which turns `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` into
 * `127.0.0.1`.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';

export interface AddressPolicy {
  /** Loopback targets (127/8, ::1) are allowed: the embedded stack's explicit setting. */
  allowLoopback: boolean;
}

function list(ranges: Array<[string, number, string]>, type: 'ipv4' | 'ipv6'): Array<[BlockList, string]> {
  return ranges.map(([net, prefix, why]) => {
    const bl = new BlockList();
    bl.addSubnet(net, prefix, type);
    return [bl, why];
  });
}

const V4_LOOPBACK = list([['127.0.0.0', 8, 'loopback']], 'ipv4');
const V4_BLOCKED = list(
  [
    ['0.0.0.0', 8, '"this network" (0/8)'],
    ['10.0.0.0', 8, 'private (10/8)'],
    ['100.64.0.0', 10, 'carrier-grade NAT (100.64/10)'],
    ['169.254.0.0', 16, 'link-local / cloud metadata (169.254/16)'],
    ['172.16.0.0', 12, 'private (172.16/12)'],
    ['192.0.0.0', 24, 'IETF protocol assignments (192.0.0/24)'],
    ['192.0.2.0', 24, 'documentation (192.0.2/24)'],
    ['192.88.99.0', 24, '6to4 relay anycast (192.88.99/24)'],
    ['192.168.0.0', 16, 'private (192.168/16)'],
    ['198.18.0.0', 15, 'benchmarking (198.18/15)'],
    ['198.51.100.0', 24, 'documentation (198.51.100/24)'],
    ['203.0.113.0', 24, 'documentation (203.0.113/24)'],
    ['224.0.0.0', 4, 'multicast (224/4)'],
    ['240.0.0.0', 4, 'reserved / broadcast (240/4)'],
  ],
  'ipv4',
);
const V6_LOOPBACK = list([['::1', 128, 'loopback']], 'ipv6');
/** Checked only for addresses inside global unicast 2000::/3; everything outside it is refused anyway. */
const V6_GLOBAL_EXCEPTIONS = list(
  [
    ['2001::', 32, 'Teredo (2001::/32)'],
    ['2001:10::', 28, 'ORCHID (2001:10::/28)'],
    ['2001:20::', 28, 'ORCHIDv2 (2001:20::/28)'],
    ['2001:db8::', 32, 'documentation (2001:db8::/32)'],
  ],
  'ipv6',
);
const V6_GLOBAL = list([['2000::', 3, 'global unicast']], 'ipv6');
const V6_NAMED = list(
  [
    ['::', 128, 'unspecified (::)'],
    ['fc00::', 7, 'unique local (fc00::/7)'],
    ['fe80::', 10, 'link-local (fe80::/10)'],
    ['fec0::', 10, 'site-local (fec0::/10)'],
    ['ff00::', 8, 'multicast (ff00::/8)'],
    ['64:ff9b:1::', 48, 'local-use NAT64 (64:ff9b:1::/48)'],
    ['100::', 64, 'discard (100::/64)'],
  ],
  'ipv6',
);

function match(lists: Array<[BlockList, string]>, ip: string, type: 'ipv4' | 'ipv6'): string | null {
  for (const [bl, why] of lists) if (bl.check(ip, type)) return why;
  return null;
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail is accepted). */
export function ipv6Words(ip: string): number[] {
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const dotted = text.slice(lastColon + 1);
  if (isIPv4(dotted)) {
    const [a, b, c, d] = dotted.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const gap = text.indexOf('::');
  const words =
    gap === -1
      ? parse(text)
      : (() => {
          const left = parse(text.slice(0, gap));
          const right = parse(text.slice(gap + 2));
          return [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill(0), ...right];
        })();
  if (words.length !== 8 || words.some((w) => Number.isNaN(w))) throw new Error(`not an IPv6 address: ${ip}`);
  return words;
}

function v4FromWords(hi: number, lo: number): string {
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** The IPv4 address an IPv6 form carries, when it is one that routes to that IPv4 address. */
export function embeddedIPv4(ip: string): string | null {
  const w = ipv6Words(ip);
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && w[5] === 0xffff) return v4FromWords(w[6], w[7]); // ::ffff:a.b.c.d (mapped)
  if (zeros(0, 4) && w[4] === 0xffff && w[5] === 0) return v4FromWords(w[6], w[7]); // ::ffff:0:a.b.c.d (translated)
  if (zeros(0, 6) && (w[6] !== 0 || w[7] > 1)) return v4FromWords(w[6], w[7]); // ::a.b.c.d (compatible)
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return v4FromWords(w[6], w[7]); // NAT64 64:ff9b::/96
  if (w[0] === 0x2002) return v4FromWords(w[1], w[2]); // 6to4 2002:AABB:CCDD::/48
  return null;
}

/** Why the address may not be reached, or null when it may. */
export function blockedReason(address: string, policy: AddressPolicy): string | null {
  const ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const version = isIP(ip);
  if (version === 4) {
    const loop = match(V4_LOOPBACK, ip, 'ipv4');
    if (loop) return policy.allowLoopback ? null : loop;
    return match(V4_BLOCKED, ip, 'ipv4');
  }
  if (version === 6) {
    if (ip.includes('%')) return 'scoped (zone id) address';
    const v4 = embeddedIPv4(ip);
    if (v4) {
      const why = blockedReason(v4, policy);
      return why ? `${why}, embedded in ${ip}` : null;
    }
    const loop = match(V6_LOOPBACK, ip, 'ipv6');
    if (loop) return policy.allowLoopback ? null : loop;
    const named = match(V6_NAMED, ip, 'ipv6');
    if (named) return named;
    if (!match(V6_GLOBAL, ip, 'ipv6')) return 'not global unicast (outside 2000::/3)';
    return match(V6_GLOBAL_EXCEPTIONS, ip, 'ipv6');
  }
  return 'not an IP address';
}

export type UrlCheck =
  | { ok: true; url: URL; host: string; literal: boolean }
  | { ok: false; reason: 'invalid_url' | 'blocked'; message: string };

/**
 * What can be said of a URL without DNS: scheme, credentials, and literal addresses (normalised
 * by the WHATWG parser). Names are resolved and checked at send time, every time.
 */
export function checkUrl(raw: string, policy: AddressPolicy): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'invalid_url', message: 'is not a valid absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: 'invalid_url', message: 'must use the http or https scheme' };
  }
  if (url.username || url.password) {
    return { ok: false, reason: 'invalid_url', message: 'must not contain credentials' };
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host)) {
    const why = blockedReason(host, policy);
    return why
      ? { ok: false, reason: 'blocked', message: `points to a non-public address (${why})` }
      : { ok: true, url, host, literal: true };
  }
  const lower = host.toLowerCase().replace(/\.$/, '');
  if ((lower === 'localhost' || lower.endsWith('.localhost')) && !policy.allowLoopback) {
    return { ok: false, reason: 'blocked', message: 'points to a non-public address (loopback)' };
  }
  return { ok: true, url, host, literal: false };
}

/** The check the API applies when a URL is saved (`null` = acceptable); names are checked again at every send. */
export function webhookUrlChecker(policy: AddressPolicy): (url: string) => string | null {
  return (url) => {
    const c = checkUrl(url, policy);
    return c.ok ? null : c.message;
  };
}
