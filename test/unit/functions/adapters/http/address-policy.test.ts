import { describe, expect, it } from 'vitest';
import { blockedReason, checkUrl, embeddedIPv4 } from '../../../../../functions/adapters/http/address-policy';

const strict = { allowLoopback: false };
const local = { allowLoopback: true };

describe('address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['169.254.170.2', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'carrier-grade'],
    ['100.127.255.254', 'carrier-grade'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'this network'],
    ['0.1.2.3', 'this network'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::127.0.0.1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:c0a8:0101::', 'private'],
    ['2001:db8::1', 'documentation'],
    ['fe80::1%eth0', 'scoped'],
  ])('blocks %s (%s)', (ip, why) => {
    expect(blockedReason(ip, strict)).toContain(why);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '2606:4700:4700::1111',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '::ffff:8.8.8.8',
  ])('allows the public address %s', (ip) => {
    expect(blockedReason(ip, strict)).toBeNull();
  });

  it('allows loopback only when the setting says so, and nothing else private', () => {
    expect(blockedReason('127.0.0.1', local)).toBeNull();
    expect(blockedReason('::1', local)).toBeNull();
    expect(blockedReason('10.0.0.1', local)).toContain('private');
    expect(blockedReason('169.254.169.254', local)).toContain('link-local');
  });

  it('reads the IPv4 address inside IPv6 forms', () => {
    expect(embeddedIPv4('::ffff:192.168.0.1')).toBe('192.168.0.1');
    expect(embeddedIPv4('64:ff9b::c0a8:1')).toBe('192.168.0.1');
    expect(embeddedIPv4('2002:c0a8:1::5')).toBe('192.168.0.1');
    expect(embeddedIPv4('2606:4700::1')).toBeNull();
  });
});

describe('URL check', () => {
  it.each([
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://017700000001/',
    'http://127.1/',
    'http://127.0.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::1]:8080/hook',
    'http://localhost/',
    'http://api.localhost/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/',
    'http://0/',
    'https://10.0.0.1:8443/x',
  ])('refuses the encoded or literal non-public host in %s', (url) => {
    const r = checkUrl(url, strict);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('blocked');
  });

  it.each([
    'ftp://example.com/',
    'file:///etc/passwd',
    'gopher://x/',
    'not a url',
    'http://user:pw@example.com/',
  ])('refuses %s as an invalid webhook URL', (url) => {
    const r = checkUrl(url, strict);
    expect(r).toMatchObject({ ok: false, reason: 'invalid_url' });
  });

  it('accepts public names and addresses on any port', () => {
    expect(checkUrl('https://hooks.example.com:8443/in?x=1', strict)).toMatchObject({
      ok: true,
      host: 'hooks.example.com',
      literal: false,
    });
    expect(checkUrl('http://8.8.8.8:81/', strict)).toMatchObject({
      ok: true,
      host: '8.8.8.8',
      literal: true,
    });
  });
});
