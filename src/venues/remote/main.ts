/**
 * Runnable venue server: `node --import tsx src/venues/remote/main.ts '<options JSON>'` (compiled:
 * `node dist/venues/remote/main.js '<options JSON>'`).
 * Prints one line `{"t":"listening","port":N}` once it accepts connections, and exits
 * when it stops (its time limit, or an `admin.stop` request).
 */
import { z } from 'zod';
import { LiveClock, toConcordError } from '../../core/index.ts';
import { VenueServer } from './server.ts';

const optionsSchema = z
  .object({
    seed: z.int().min(0),
    startTs: z.int().nonnegative(),
    tickMs: z.int().positive().max(60_000).default(100),
    stepEveryMs: z.number().positive().max(10_000).default(5),
    balances: z.record(z.string(), z.number().nonnegative()),
    latencyMs: z.number().nonnegative().max(10_000).default(5),
    faults: z.record(z.string(), z.number().nonnegative()).default({}),
    maxRunMs: z.number().positive().max(3_600_000),
  })
  .strict();

async function main(): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(process.argv[2] ?? '{}');
  } catch {
    raw = undefined;
  }
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    process.stderr.write(
      `CONCORD_ERR_CONFIG_INVALID: venue server options field "${(issue?.path ?? []).join('.')}" is invalid: ${issue?.message}\n`,
    );
    process.exit(2);
  }
  const server = await VenueServer.start({ ...parsed.data, wall: new LiveClock() });
  process.stdout.write(`${JSON.stringify({ t: 'listening', port: server.port })}\n`);
  await server.done;
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${toConcordError(err).message}\n`);
  process.exit(1);
});
