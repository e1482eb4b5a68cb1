import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Where an address points, for deciding whether a webhook may call it. `public` is always
 * allowed; `loopback`, `private` and `cgnat` only in development with WEBHOOK_ALLOW_PRIVATE;
 * the rest never (link-local, cloud metadata, unspecified, multicast, reserved).
 */
export type AddressClass = 'public' | 'loopback' | 'private' | 'cgnat' | 'link-local' | 'metadata' | 'unspecified' | 'reserved';

/** Classes `WEBHOOK_ALLOW_PRIVATE=true` lets through; never link-local or metadata. */
export const PRIVATE_CLASSES: readonly AddressClass[] = Object.freeze(['loopback', 'private', 'cgnat']);

type Range = readonly [bigint, number, AddressClass];

function v4(ip: string): bigint | null {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function v6(ip: string): bigint | null {
  let s = ip.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  let tail: bigint | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail = v4(s.slice(lastColon + 1));
    if (tail == null) return null;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  let n = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tail != null) n = (n & ~0xffffffffn) | tail;
  return n;
}

const cidr4 = (a: string, bits: number, c: AddressClass): Range => [v4(a)!, bits, c];
const cidr6 = (a: string, bits: number, c: AddressClass): Range => [v6(a)!, bits, c];

/** First match wins: the metadata addresses come before the ranges that contain them. */
const V4_RANGES: readonly Range[] = Object.freeze([
  cidr4('169.254.169.254', 32, 'metadata'), // most clouds
  cidr4('100.100.100.200', 32, 'metadata'), // Alibaba Cloud
  cidr4('0.0.0.0', 8, 'unspecified'),
  cidr4('127.0.0.0', 8, 'loopback'),
  cidr4('10.0.0.0', 8, 'private'),
  cidr4('172.16.0.0', 12, 'private'),
  cidr4('192.168.0.0', 16, 'private'),
  cidr4('100.64.0.0', 10, 'cgnat'),
  cidr4('169.254.0.0', 16, 'link-local'),
  cidr4('192.0.0.0', 24, 'reserved'),
  cidr4('192.0.2.0', 24, 'reserved'),
  cidr4('198.18.0.0', 15, 'reserved'),
  cidr4('198.51.100.0', 24, 'reserved'),
  cidr4('203.0.113.0', 24, 'reserved'),
  cidr4('224.0.0.0', 4, 'reserved'), // multicast
  cidr4('240.0.0.0', 4, 'reserved'), // reserved and broadcast
]);

const V6_RANGES: readonly Range[] = Object.freeze([
  cidr6('fd00:ec2::254', 128, 'metadata'), // AWS over IPv6
  cidr6('::', 128, 'unspecified'),
  cidr6('::1', 128, 'loopback'),
  cidr6('fc00::', 7, 'private'),
  cidr6('fec0::', 10, 'private'), // deprecated site-local
  cidr6('fe80::', 10, 'link-local'),
  cidr6('ff00::', 8, 'reserved'), // multicast
  cidr6('2001:db8::', 32, 'reserved'), // documentation
  cidr6('100::', 64, 'reserved'), // discard
]);

const within = (n: bigint, [base, bits]: Range, width: number) => (bits === 0 ? true : n >> BigInt(width - bits) === base >> BigInt(width - bits));

function classifyV4(n: bigint): AddressClass {
  return V4_RANGES.find((r) => within(n, r, 32))?.[2] ?? 'public';
}

/** The class of an IP address (v4 or v6, IPv4 embedded in v6 judged as the IPv4 it carries). */
export function classifyAddress(ip: string): AddressClass {
  const family = isIP(ip.replace(/%.*$/, ''));
  if (family === 4) return classifyV4(v4(ip)!);
  const n = family === 6 ? v6(ip) : null;
  if (n == null) return 'reserved';
  const low32 = n & 0xffffffffn;
  const top96 = n >> 32n;
  if (top96 === 0xffffn) return classifyV4(low32); // ::ffff:a.b.c.d, IPv4-mapped
  if (top96 === 0n && low32 > 1n) return classifyV4(low32); // ::a.b.c.d, IPv4-compatible
  if (n >> 32n === v6('64:ff9b::')! >> 32n) return classifyV4(low32); // NAT64
  if (n >> 112n === 0x2002n) return classifyV4((n >> 80n) & 0xffffffffn); // 6to4
  return V6_RANGES.find((r) => within(n, r, 128))?.[2] ?? 'public';
}

export function isAllowedAddress(ip: string, allowPrivate: boolean): boolean {
  const c = classifyAddress(ip);
  return c === 'public' || (allowPrivate && PRIVATE_CLASSES.includes(c));
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export class WebhookAddressError extends Error {}

/**
 * The addresses a webhook's host resolves to now, every one of them allowed (a host with one bad
 * address among good ones is refused: the caller cannot choose which one a connection uses).
 */
export async function resolveAllowed(url: URL, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<ResolvedAddress[]> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal) addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new WebhookAddressError(`the host ${host} does not resolve`);
    }
  }
  if (!addresses.length) throw new WebhookAddressError(`the host ${host} does not resolve`);
  const refused = addresses.find((a) => !isAllowedAddress(a.address, allowPrivate));
  if (refused) {
    throw new WebhookAddressError(`the host ${host} resolves to a ${classifyAddress(refused.address)} address, which webhooks may not call`);
  }
  return addresses;
}
