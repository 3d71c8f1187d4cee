/** Where a client on this machine reaches a server listening on `host`:`port`. */
export function localUrl (host: string, port: number): string {
  // The wildcard addresses are not addresses to call: the IPv4 loopback answers for them.
  if (host === '0.0.0.0' || host === '::') return `http://127.0.0.1:${port}`
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`
}
