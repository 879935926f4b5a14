/**
 * `concord journal compact <dir> --out <newdir> [--json]`: a new journal that starts from the
 * last checkpoint of a fully verified journal and names its head hash (see kernel/compact.ts).
 * Exit codes: 0 written, 2 bad usage, 3 the source is broken, has nothing to start from, or the
 * output directory already holds a journal.
 */
import { compactJournal } from '../kernel/compact.ts';
import { type FlagSpecs, formatHelp, parseArgs } from './args.ts';
import type { Out } from './output.ts';

const EXIT = { ok: 0, usage: 2 } as const;

const COMPACT_FLAGS: FlagSpecs = {
  out: {
    type: 'string',
    description: 'directory of the new journal (must not hold one yet)',
    placeholder: 'dir',
  },
  json: { type: 'boolean', description: 'the last line of output is one JSON result' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export async function compactCommand(argv: readonly string[], out: Out): Promise<number> {
  const { flags, positionals } = parseArgs(argv, COMPACT_FLAGS);
  if (flags.help) {
    out.line(
      formatHelp(
        'Usage: concord journal compact <journal-dir> --out <new-dir> [--json]',
        'Writes a new journal that starts from the last checkpoint of <journal-dir> (verified end to end first) and names its head hash. A desk resumes the new journal as it would the old one; the old one is left as it is, to archive or delete.',
        COMPACT_FLAGS,
      ),
    );
    return EXIT.ok;
  }
  const dir = positionals[0];
  if (dir === undefined || positionals.length > 1) {
    out.err(
      dir === undefined
        ? 'concord journal compact: missing <journal-dir>'
        : `concord journal compact: unexpected argument ${JSON.stringify(positionals[1])}`,
    );
    return EXIT.usage;
  }
  if (typeof flags.out !== 'string') {
    out.err('concord journal compact: missing --out <new-dir>');
    return EXIT.usage;
  }
  const result = compactJournal(dir, flags.out);
  if (flags.json === true) {
    out.line(JSON.stringify(result));
    return EXIT.ok;
  }
  out.line(
    `${out.paint('green', 'journal compacted')}: ${result.out.dir} (${result.out.records} records, head ${result.out.headHash.slice(0, 16)}…)`,
  );
  out.line(
    `  from ${result.source.dir}: ${result.source.records} records, head ${result.source.headHash}, checkpoint at seq ${result.source.checkpointSeq}` +
      (result.droppedAfterCheckpoint > 0
        ? ` (${result.droppedAfterCheckpoint} records after it left out)`
        : ''),
  );
  out.line(out.paint('dim', `  resume with: concord run --journal ${result.out.dir}`));
  return EXIT.ok;
}
