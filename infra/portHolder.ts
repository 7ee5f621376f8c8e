import fs from 'node:fs';

/** Inodes of the sockets listening on `port` (Linux's /proc/net/tcp and tcp6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is the 10th field.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]?.split(':')[1] ?? '', 16) === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

/**
 * Who listens on `port`: "pid 1234: temporal server start-dev --port 7233 ...", or a sentence
 * saying it could not be seen (another user's process, or a system without /proc).
 */
export function describePortHolder(port: number): string {
  const inodes = listeningInodes(port);
  if (inodes.size) {
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let fds: string[];
      try {
        fds = fs.readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m?.[1] && inodes.has(m[1])) {
          const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
          return `pid ${pid}: ${cmdline.length > 200 ? `${cmdline.slice(0, 200)}...` : cmdline}`;
        }
      }
    }
  }
  return 'a process this user cannot see (try `ss -ltnp` or `lsof -i :PORT` as root)'.replace('PORT', String(port));
}
