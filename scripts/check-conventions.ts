/**
 * Conventions checked by a script, not by memory (run in CI):
 *  1. dependencies between src/ folders point inward (the map below, from DESIGN.md; a few
 *     venue adapters stand alone, VENUE_ADAPTERS);
 *  2. no wall clock, Math.random or raw timers outside core's clock and random source;
 *  3. no console in library code (only the CLI talks to the terminal);
 *  4. every CONCORD_ERR_* code used in src/ is documented in docs/errors.md, and every documented code is used;
 *  5. the denial codes (DENIAL_CODES in src/model/pre-trade.ts) and the "Denial codes" section of
 *     docs/errors.md list the same codes, and every listed code is produced somewhere in src/.
 *  6. no journal record type written as a string literal outside the event catalogue (src/bus/catalogue.ts).
 * Exits 1 and lists every violation.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { EVENT_LIST } from '../src/bus/catalogue.ts';
import { DENIAL_CODES } from '../src/model/pre-trade.ts';

const projectRoot = resolve(import.meta.dirname, '..');

const INNER = ['core', 'model', 'bus', 'journal'];
const BELOW_KERNEL = [...INNER, 'data', 'portfolio', 'risk', 'agents', 'orchestrator', 'execution', 'venues'];
export const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  model: ['core'],
  bus: ['core', 'model'],
  journal: ['core', 'model', 'bus'],
  data: [...INNER],
  portfolio: [...INNER, 'data'],
  risk: [...INNER, 'data', 'portfolio'],
  agents: [...INNER, 'data', 'portfolio'],
  orchestrator: [...INNER, 'data', 'portfolio', 'agents', 'risk'],
  execution: [...INNER, 'data', 'portfolio', 'risk'],
  // Venues see only core, model and the venue port (which lives in model).
  venues: ['core', 'model'],
  // The kernel composes the components and runs the step pipeline; it knows no mode, no
  // analysis and no operator channel (those attach to it from outside).
  kernel: BELOW_KERNEL,
  // Session runners over a market source. Operator channels reach them only through the kernel's
  // command port (a CommandSource the caller composes), so modes never import a channel.
  modes: [...BELOW_KERNEL, 'kernel'],
  // Metrics, reports and the safety report: read the desk and its journal, never steer it.
  analysis: [...BELOW_KERNEL, 'kernel'],
  // Operator channels: adapters of the kernel's command port (the control-file channel; the API is another).
  control: [...BELOW_KERNEL, 'kernel'],
  // Logs, traces: adapters of the kernel's observer ports and the logging port (pino, OpenTelemetry).
  telemetry: [...BELOW_KERNEL, 'kernel'],
  cli: [...BELOW_KERNEL, 'kernel', 'modes', 'analysis', 'control', 'api', 'telemetry'],
  // The operator API reads the desk through narrow views and hands commands to a sink: it knows
  // no session runner and no other operator channel.
  api: [...BELOW_KERNEL, 'kernel', 'analysis'],
  web: [],
};

/**
 * Venue adapters (src/venues/<adapter>/) and what else under src/venues/ each may import,
 * on top of the component rule above (core and model only). An adapter over a real exchange
 * stands alone: the ccxt venue may not lean on the simulated one, and nothing in venues may
 * reach the kernel or a mode. An adapter folder missing here is a violation.
 */
export const VENUE_ADAPTERS: Record<string, readonly string[]> = {
  simulated: [],
  faulty: [],
  // The venue server hosts simulated venues (with faults) in another process.
  remote: ['simulated', 'faulty'],
  ccxt: [],
  // The EVM venue sees core and model, as every venue, and no other venue.
  evm: [],
};

const CLOCK_FILES = new Set(['core/clock.ts', 'core/random.ts']);
const FORBIDDEN_TIME = [
  { re: /\bDate\.now\s*\(/, what: 'Date.now()' },
  { re: /\bnew Date\s*\(\s*\)/, what: 'new Date()' },
  { re: /\bMath\.random\s*\(/, what: 'Math.random()' },
  { re: /(?<![.\w])(setTimeout|setInterval|setImmediate)\s*\(/, what: 'a raw timer' },
  { re: /\bperformance\.now\s*\(/, what: 'performance.now()' },
];

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|tsx|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** The section of docs/errors.md that lists the denial codes, one `###` heading each. */
export const DENIAL_SECTION = 'Denial codes';
/** Where the closed list is declared (its own literals do not count as producing a code). */
const DENIAL_LIST_FILE = 'model/pre-trade.ts';

/** The `### CODE` headings under `## Denial codes` (up to the next `## ` heading). */
export function documentedDenialCodes(docs: string): string[] {
  const lines = docs.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${DENIAL_SECTION}`);
  if (start < 0) return [];
  const codes: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^##\s/.test(line)) break;
    const m = /^###\s+`?([A-Z][A-Z0-9_]*)`?\s*$/.exec(line);
    if (m) codes.push(m[1] ?? '');
  }
  return codes;
}

/**
 * The list and the docs name the same codes, each once; `produced` (quoted upper-case literals
 * found in src/ outside the list's own file) names every listed code.
 */
export function denialCodeProblems(
  docs: string,
  codes: readonly string[],
  produced: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const documented = documentedDenialCodes(docs);
  if (!docs.split('\n').some((l) => l.trim() === `## ${DENIAL_SECTION}`))
    problems.push(`docs/errors.md: no "## ${DENIAL_SECTION}" section listing the denial codes`);
  const listed = new Set(codes);
  const seen = new Set<string>();
  for (const code of documented) {
    if (seen.has(code)) problems.push(`docs/errors.md: denial code ${code} is documented twice`);
    seen.add(code);
    if (!listed.has(code))
      problems.push(
        `docs/errors.md: denial code ${code} is documented but not in DENIAL_CODES (src/${DENIAL_LIST_FILE})`,
      );
  }
  for (const code of codes) {
    if (!seen.has(code))
      problems.push(
        `docs/errors.md: denial code ${code} is missing (add a "### ${code}" section under "## ${DENIAL_SECTION}")`,
      );
    if (!produced.has(code))
      problems.push(
        `src/${DENIAL_LIST_FILE}: denial code ${code} is listed but nothing in src/ denies with it`,
      );
  }
  return problems;
}

/** The one file that spells record types; and the folders that cannot import it (their words are their own). */
const CATALOGUE_FILE = 'bus/catalogue.ts';
const BELOW_CATALOGUE = new Set(['core', 'model', 'venues']);

/** Lines where a catalogue name is another vocabulary's word (matched on the line's code, per file). */
const RECORD_LITERAL_ALLOWED: readonly { file: string; line: RegExp; why: string }[] = [
  {
    file: 'execution/venue-events.ts',
    line: /^\s*case '|\bevent\.type === |\bknownOrder\(|\bvenueTransition\(/,
    why: "venue order events (model's VenueOrderEvent) share the record names",
  },
];

/**
 * Where an undotted name ('market', 'decision', ...) is a record type: the first argument of a
 * journal or record call, a case label, a comparison with a record's type. Elsewhere such a word
 * is ordinary vocabulary (an order's type is also 'market').
 */
const RECORD_POSITION =
  /(?:\b(?:record|append|emit\w*|recordLive|last|count|records)\s*\(\s*\[?\s*|\bcase\s+|(?:(?<![\w.])type|\b(?:r|rec|record|envelope)\.type)\s*[!=]==?\s*)$/;

const STRING_LITERAL = /(['"`])((?:(?!\1)[^\\\n]|\\.)*)\1/g;

/**
 * Record-type string literals in one src/ file (`rel` relative to src/, text as read): a
 * catalogue name with a dot anywhere, an undotted one in a record position, or either alone on
 * a line as an element of a list of types. Pure, so the check itself is testable.
 */
export function findRecordTypeLiterals(
  rel: string,
  text: string,
  names: readonly string[] = EVENT_LIST.map((e) => e.name),
): string[] {
  const component = rel.split('/')[0] ?? '';
  if (rel === CATALOGUE_FILE || BELOW_CATALOGUE.has(component)) return [];
  const known = new Set(names);
  const allowed = RECORD_LITERAL_ALLOWED.filter((a) => a.file === rel);
  const problems: string[] = [];
  stripComments(text)
    .split('\n')
    .forEach((line, i) => {
      if (allowed.some((a) => a.line.test(line))) return;
      for (const m of line.matchAll(STRING_LITERAL)) {
        const value = m[2] ?? '';
        if (!known.has(value) || (m[1] === '`' && value.includes('${'))) continue;
        const before = line.slice(0, m.index);
        const listItem = /^\s*$/.test(before) && /^\s*,?\s*$/.test(line.slice((m.index ?? 0) + m[0].length));
        if (value.includes('.') || listItem || RECORD_POSITION.test(before)) {
          problems.push(
            `src/${rel}:${i + 1}: record type ${m[0]} as a string literal; name it from the event catalogue (EVENTS.<key> or EVENTS.<key>.name, src/bus/catalogue.ts)`,
          );
        }
      }
    });
  return problems;
}

/** Every violation under `root` (the project by default; tests point it at a planted tree). */
export function checkConventions(root: string = projectRoot): string[] {
  const src = join(root, 'src');
  const problems: string[] = [];
  const usedCodes = new Set<string>();
  const imports = new Map<string, string[]>();
  const quotedUpperCase = new Set<string>();
  for (const file of walk(src)) {
    const rel = relative(src, file).split(sep).join('/');
    const component = rel.split('/')[0] ?? '';
    const raw = readFileSync(file, 'utf8');
    const text = stripComments(raw);
    const lines = text.split('\n');
    const isTest = rel.endsWith('.test.ts');
    problems.push(...findRecordTypeLiterals(rel, raw));
    for (const m of raw.matchAll(/CONCORD_ERR_[A-Z0-9_]+/g)) {
      // Documentation prose and template prefixes are not codes.
      if (!m[0].endsWith('_')) usedCodes.add(m[0]);
    }
    if (rel !== DENIAL_LIST_FILE && !isTest)
      for (const m of text.matchAll(/'([A-Z][A-Z0-9_]*)'/g)) quotedUpperCase.add(m[1] ?? '');
    if (!(component in ALLOWED)) {
      problems.push(
        `${rel}: folder src/${component} is not in the dependency map of scripts/check-conventions.ts`,
      );
      continue;
    }
    const [, adapterFolder] = rel.split('/');
    if (component === 'venues' && rel.split('/').length > 2 && !((adapterFolder ?? '') in VENUE_ADAPTERS))
      problems.push(
        `${rel}: venue adapter src/venues/${adapterFolder} is not in VENUE_ADAPTERS of scripts/check-conventions.ts`,
      );
    lines.forEach((line, i) => {
      const where = `src/${rel}:${i + 1}`;
      for (const m of line.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = relative(src, resolve(file, '..', m[1] ?? ''))
          .split(sep)
          .join('/');
        if (!isTest && !/^import\s+type\b/.test(line.trim())) {
          const list = imports.get(rel) ?? [];
          list.push(target);
          imports.set(rel, list);
        }
        const targetComponent = target.split('/')[0] ?? '';
        const adapter = venueAdapterProblem(rel, target);
        if (adapter !== undefined) problems.push(`${where}: ${adapter}`);
        if (target.startsWith('..')) {
          problems.push(`${where}: imports outside src/ (${m[1]})`);
        } else if (targetComponent !== component && !ALLOWED[component]?.includes(targetComponent)) {
          problems.push(
            `${where}: ${component} must not depend on ${targetComponent} (dependencies point inward)`,
          );
        }
      }
      if (!CLOCK_FILES.has(rel) && !isTest) {
        for (const f of FORBIDDEN_TIME) {
          if (f.re.test(line))
            problems.push(`${where}: ${f.what} outside core's clock/random (use Clock or Random)`);
        }
      }
      if (component !== 'cli' && !isTest && /\bconsole\.(log|error|warn|info|debug)\s*\(/.test(line)) {
        problems.push(
          `${where}: console in library code (return data or emit an event; only src/cli prints)`,
        );
      }
    });
  }
  const docs = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const documented = new Set<string>();
  for (const m of docs.matchAll(/^#{2,4}\s+`?(CONCORD_ERR_[A-Z0-9_]+)`?/gm)) documented.add(m[1] ?? '');
  for (const code of usedCodes) {
    if (!documented.has(code))
      problems.push(
        `docs/errors.md: ${code} is used in src/ but not documented (add a "### ${code}" section)`,
      );
  }
  for (const code of documented) {
    if (!usedCodes.has(code))
      problems.push(`docs/errors.md: ${code} is documented but no longer used in src/`);
  }
  for (const cycle of importCycles(imports))
    problems.push(`import circle among: ${cycle.join(', ')} (runtime imports, src/)`);
  // Planted trees in tests carry no denial list; the project always does.
  if (existsSync(join(src, DENIAL_LIST_FILE)))
    problems.push(...denialCodeProblems(docs, DENIAL_CODES, quotedUpperCase));
  return problems;
}

/** Why an import from `rel` to `target` (both relative to src/) breaks the venue adapter map, if it does. */
export function venueAdapterProblem(rel: string, target: string): string | undefined {
  const [component, adapter] = rel.split('/');
  if (component !== 'venues' || adapter === undefined || !rel.slice('venues/'.length).includes('/'))
    return undefined;
  if (!(adapter in VENUE_ADAPTERS)) return undefined; // reported once per file
  const [targetComponent, targetAdapter] = target.split('/');
  if (targetComponent !== 'venues' || targetAdapter === undefined || targetAdapter === adapter)
    return undefined;
  if (!target.slice('venues/'.length).includes('/'))
    return `venue adapter ${adapter} must not import ${target}`;
  return VENUE_ADAPTERS[adapter]?.includes(targetAdapter)
    ? undefined
    : `venue adapter ${adapter} must not import the ${targetAdapter} adapter (adapters stand alone)`;
}

/**
 * Strongly connected components of the runtime import graph (type-only imports are erased and
 * cannot form a circle at run time); each component with more than one file is a circle.
 */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('check-conventions.ts')) {
  const problems = checkConventions();
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${p}\n`);
    process.stderr.write(`\n${problems.length} convention violation(s)\n`);
    process.exit(1);
  }
  process.stdout.write('conventions: ok\n');
}
