/**
 * Which addresses a media download may connect to. Only globally routable unicast is
 * allowed: loopback, private (RFC 1918 / unique-local), link-local (and so the cloud
 * metadata endpoints 169.254.169.254 / fd00:ec2::254), CGNAT, multicast, reserved and
 * the IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) are refused.
 * IPv4-mapped IPv6 addresses are judged by the IPv4 address they carry; the deprecated
 * IPv4-compatible form (`::a.b.c.d`, RFC 4291 §2.5.5.1, which URLs print as `::7f00:1`) is
 * refused outright: nothing legitimate uses it, and some stacks route it to the IPv4 host.
 */
import ipaddr from 'ipaddr.js';

export interface AddressVerdict {
  allowed: boolean;
  range: string;
}

export function classifyAddress(address: string): AddressVerdict {
  if (!ipaddr.isValid(address)) return { allowed: false, range: 'invalid' };
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  if (parsed.kind() === 'ipv6' && isIpv4Compatible(parsed as ipaddr.IPv6))
    return { allowed: false, range: 'ipv4Compatible' };
  const range = parsed.range();
  return { allowed: range === 'unicast', range };
}

/** `::/96` apart from `::` and `::1` (which have their own ranges). */
function isIpv4Compatible(v6: ipaddr.IPv6): boolean {
  const p = v6.parts;
  return p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || (p[7] ?? 0) > 1);
}

/**
 * The verdict on a URL whose host is written as an address literal or a forbidden name,
 * known without DNS (so the API can refuse it at submit); null for a name that only
 * resolution can judge. `allowHosts` entries are trusted as in the download guard.
 */
export function literalHostVerdict(url: URL, allowHosts: readonly string[] = []): AddressVerdict | null {
  const host = bareHost(url.hostname).toLowerCase();
  if (hostAllowed(allowHosts, url.hostname, effectivePort(url))) return null;
  if (isForbiddenHostname(host)) return { allowed: false, range: 'forbiddenName' };
  if (!ipaddr.isValid(host)) return null;
  return classifyAddress(host);
}

/** The port a URL connects to: its own, or its scheme's default. */
export function effectivePort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/**
 * Whether an allow-list entry (`host`, any port; or `host:port`, `[v6]:port`, that port
 * only) trusts this host and port. The one rule for submit-time checks, the download
 * guard and webhooks, so a URL accepted at submit is never refused later for its port.
 */
export function hostAllowed(allowHosts: readonly string[], hostname: string, port: string): boolean {
  const h = bareHost(hostname).toLowerCase();
  return allowHosts.some((entry) => {
    const e = entry.toLowerCase();
    return e === h || e === `${h}:${port}` || e === `[${h}]:${port}`;
  });
}

/** Hostnames that must never be fetched whatever they resolve to. */
const FORBIDDEN_HOSTNAMES = new Set(['localhost', 'metadata.google.internal', 'metadata', 'instance-data']);

export function isForbiddenHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return FORBIDDEN_HOSTNAMES.has(h) || h.endsWith('.localhost');
}

/** Strip the brackets URL.hostname keeps around IPv6 literals. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
