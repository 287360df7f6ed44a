// Runs once before the suite: nothing to start (Postgres and Redis are the machine's), but fail early
// and clearly when one of them is down instead of letting every test time out.
import net from 'node:net';

const probe = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export default async function setup(): Promise<void> {
  const pg = new URL(process.env.DATABASE_URL ?? 'postgresql://127.0.0.1:5432/agentq');
  const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const down = [];
  if (!(await probe(Number(pg.port || 5432)))) down.push(`Postgres at ${pg.host}`);
  if (!(await probe(Number(redis.port || 6379)))) down.push(`Redis at ${redis.host}`);
  if (down.length) throw new Error(`tests need ${down.join(' and ')}; see README "Running the tests"`);
}
