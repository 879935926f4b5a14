/**
 * `concord keys create --role <viewer|operator|admin> [--name n] [--file path] [--json]`: adds an
 * API key to the keys file (created 0600 when missing) and prints the key, the only time it is
 * ever shown; the file keeps a salted hash of it. Exit codes: 0 created, 2 bad usage, 3 the keys
 * file cannot be read or written (or others can read it).
 */
import { addKey, isRole, ROLES } from '../api/keys.ts';
import { type FlagSpecs, formatHelp, parseArgs } from './args.ts';
import type { Out } from './output.ts';

const EXIT = { ok: 0, usage: 2 } as const;

/** Where `concord keys` and the API look for keys unless told otherwise. */
export const DEFAULT_KEYS_FILE = '.concord-keys.json';

const CREATE_FLAGS: FlagSpecs = {
  role: { type: 'string', description: `the key's role: ${ROLES.join(', ')}`, placeholder: 'role' },
  name: {
    type: 'string',
    description: 'who holds the key (journaled with every command it sends)',
    placeholder: 'name',
  },
  file: { type: 'string', description: `keys file (default ${DEFAULT_KEYS_FILE})`, placeholder: 'path' },
  json: { type: 'boolean', description: 'the last line of output is one JSON object with the key' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const KEYS_HELP = `Usage: concord keys <subcommand> [options]

Subcommands:
  create --role <role>      a new API key (viewer, operator or admin), printed once

Run 'concord keys create --help' for its options.
`;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/;

export async function keysCommand(argv: readonly string[], out: Out): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || ['--help', '-h', 'help'].includes(sub)) {
    if (sub === undefined) {
      out.err(`concord keys: missing subcommand\n\n${KEYS_HELP}`);
      return EXIT.usage;
    }
    out.line(KEYS_HELP);
    return EXIT.ok;
  }
  if (sub !== 'create') {
    out.err(`concord keys: unknown subcommand ${JSON.stringify(sub)}\n\n${KEYS_HELP}`);
    return EXIT.usage;
  }
  const { flags, positionals } = parseArgs(rest, CREATE_FLAGS);
  if (flags.help) {
    out.line(
      formatHelp(
        'Usage: concord keys create --role <viewer|operator|admin> [--name n] [--file path] [--json]',
        'Adds an API key to the keys file (created with mode 0600) and prints it. The key is shown this once: the file keeps only a salted hash. Viewers read; operators also halt and resume; admins may do everything. Send it as "Authorization: Bearer <key>".',
        CREATE_FLAGS,
      ),
    );
    return EXIT.ok;
  }
  if (positionals.length > 0) {
    out.err(`concord keys create: unexpected argument ${JSON.stringify(positionals[0])}`);
    return EXIT.usage;
  }
  if (!isRole(flags.role)) {
    out.err(
      flags.role === undefined
        ? `concord keys create: missing --role (${ROLES.join(', ')})`
        : `concord keys create: unknown role ${JSON.stringify(flags.role)} (${ROLES.join(', ')})`,
    );
    return EXIT.usage;
  }
  const name = typeof flags.name === 'string' ? flags.name : flags.role;
  if (!NAME_RE.test(name)) {
    out.err(
      'concord keys create: --name must be 1-64 letters, digits, spaces or ._@- (starting with a letter or digit)',
    );
    return EXIT.usage;
  }
  const file = typeof flags.file === 'string' ? flags.file : DEFAULT_KEYS_FILE;
  const { key, stored } = addKey(file, flags.role, name);
  if (flags.json === true) {
    out.line(JSON.stringify({ ok: true, id: stored.id, name, role: stored.role, file, key }));
    return EXIT.ok;
  }
  out.line(
    `${out.paint('green', 'API key created')} for ${name} (${stored.role}), id ${stored.id}, in ${file}`,
  );
  out.line(key);
  out.line(
    out.paint(
      'dim',
      'This is the only time the key is shown; store it now. Send it as "Authorization: Bearer <key>".',
    ),
  );
  return EXIT.ok;
}
