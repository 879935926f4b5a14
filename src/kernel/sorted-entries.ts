/**
 * A record's entries sorted by key: a config read back from the journal (canonical JSON, keys
 * sorted) then builds the same state as the config it was written from.
 */
export function sortedEntries<V>(record: Readonly<Record<string, V>>): Array<[string, V]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
