/**
 * Who can reach the gateway: the URLs a client can actually use (a wildcard bind address is not
 * one), and the warning owed when it is reachable beyond this machine without client keys —
 * anyone who can connect then spends the upstream account's quota.
 */
import { networkInterfaces } from 'node:os';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The warning for a bind address and client-key setup, or undefined when there is nothing to warn about. */
export function exposureWarning(server: {
  host: string;
  apiKeys: readonly string[];
  allowUnauthenticatedExposure: boolean;
}): string | undefined {
  if (isLoopbackHost(server.host) || server.apiKeys.length > 0 || server.allowUnauthenticatedExposure)
    return undefined;
  return (
    `EXPOSED WITHOUT CLIENT KEYS: the gateway listens on ${server.host}, reachable beyond this machine, ` +
    'and server.apiKeys is empty — anyone who can connect spends your upstream account and its quota. ' +
    'Set server.apiKeys (ROTOR_API_KEYS), bind 127.0.0.1, or set server.allowUnauthenticatedExposure: true ' +
    'if a firewall or proxy already guards it.'
  );
}

/** `http://…:port` URLs a client can use: every interface's address for a wildcard bind, else the bound one. */
export function reachableUrls(boundAddress: string, port: number): string[] {
  const url = (address: string) => `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  const wildcard = boundAddress === '0.0.0.0' || boundAddress === '::';
  if (!wildcard) return [url(boundAddress)];
  const addresses: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (boundAddress === '0.0.0.0' && a.family !== 'IPv4') continue;
      if (a.family === 'IPv6' && a.address.startsWith('fe80:')) continue; // link-local needs a zone id
      addresses.push(a.address);
    }
  }
  // Loopback first: the one URL that works from this machine whatever the network.
  addresses.sort((a, b) => Number(isLoopbackHost(b)) - Number(isLoopbackHost(a)));
  return addresses.length ? addresses.map(url) : [url(boundAddress === '::' ? '::1' : '127.0.0.1')];
}
