/** Payload types of the catalogue events the control channel writes, bound to their keys in src/bus/catalogue.ts. */
import type { RejectedControlFile } from './file-channel.ts';

declare module '../bus/catalogue.ts' {
  interface EventPayloads {
    controlRejected: RejectedControlFile;
  }
}
