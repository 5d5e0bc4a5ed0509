/**
 * Which addresses a media download may connect to. Only globally routable unicast is
 * allowed: loopback, private (RFC 1918 / unique-local), link-local (and so the cloud
 * metadata endpoints 169.254.169.254 / fd00:ec2::254), CGNAT, multicast, reserved and
 * the IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) are refused.
 * IPv4-mapped IPv6 addresses are judged by the IPv4 address they carry.
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
  const range = parsed.range();
  return { allowed: range === 'unicast', range };
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
