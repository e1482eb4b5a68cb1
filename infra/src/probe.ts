import net from 'node:net';

/** True when something accepts TCP connections at host:port within the timeout. */
export function reachable(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function urlReachable(url: string | undefined, defaultPort: number): Promise<boolean> {
  if (!url) return false;
  const u = new URL(url);
  return reachable(u.hostname, u.port ? Number(u.port) : defaultPort);
}
