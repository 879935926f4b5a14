/**
 * Payload types of the catalogue events the kernel writes (run boundaries, checkpoints,
 * rejected operator input, the shadow session's start), bound to their keys in src/bus/catalogue.ts.
 */

import type { RejectedCommand } from './commands.ts';
import type { CompactedRecord } from './compact.ts';
import type { DeskConfig } from './config.ts';
import type { Checkpoint } from './desk.ts';

/** A desk config as journaled: where the journal lives is not part of a run. */
export type JournaledDeskConfig = Omit<DeskConfig, 'journal'> & {
  journal: Omit<DeskConfig['journal'], 'dir'>;
};

declare module '../bus/catalogue.ts' {
  interface EventPayloads {
    runStart: {
      readonly config: JournaledDeskConfig;
      readonly startTs: number;
      readonly version: 1;
      /** Backtests: the recorded files the run read (replay reads them again). */
      readonly recording?: readonly { path: string; sha256: string; format: string }[];
    };
    checkpoint: Checkpoint;
    controlRejected: RejectedCommand;
    journalCompacted: CompactedRecord;
    shadowStart: {
      readonly sessionId: string;
      readonly config: JournaledDeskConfig;
      readonly startTs: number;
      readonly version: 1;
    };
  }
}
