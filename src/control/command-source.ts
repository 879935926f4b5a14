/**
 * The control-file channel as an adapter of the kernel's command port (`CommandSource`,
 * src/kernel/commands.ts): requests in `<journal>/control` (written by `concord halt` / `resume`)
 * become `DeskCommand`s for the session runner, which applies them through the kernel's one
 * handler between two steps; each outcome is written back beside the request for the waiting
 * CLI. Junk in the directory becomes `control.rejected` records, never commands.
 */
import type {
  CommandPoll,
  CommandResult,
  CommandSource,
  DeskCommand,
  RejectedCommand,
} from '../kernel/commands.ts';
import { ControlChannel, type ControlChannelOptions, type ControlRequest } from './file-channel.ts';

/** The channel name journaled with each command it hands over. */
export const FILE_CHANNEL = 'file';

export class FileCommandSource implements CommandSource {
  readonly journalDir: string;
  private readonly options: Omit<ControlChannelOptions, 'onRejected'>;
  private channel: ControlChannel | undefined;
  private readonly rejected: RejectedCommand[] = [];

  /** Nothing is touched until `open()`: the directory is made when the desk runs. */
  constructor(journalDir: string, options: Omit<ControlChannelOptions, 'onRejected'> = {}) {
    this.journalDir = journalDir;
    this.options = options;
  }

  /** Makes (or tightens) `<journal>/control` and its done/ and rejected/ subdirectories. */
  open(): void {
    this.channel ??= new ControlChannel(this.journalDir, {
      ...this.options,
      onRejected: (rejected) => this.rejected.push(rejected),
    });
  }

  /** Requests due now (at most one directory read per `intervalMs`), each claimed before it is returned. */
  poll(): CommandPoll {
    this.open();
    const channel = this.channel as ControlChannel;
    const requests = channel.pollIfDue();
    return {
      rejected: this.rejected.splice(0),
      commands: requests.map((request) => ({
        command: commandOfRequest(request),
        origin: { channel: FILE_CHANNEL, requestId: request.id },
        settle: (result: CommandResult) => {
          channel.complete(request, {
            ok: result.ok,
            message: result.message,
            tradingState: result.tradingState,
          });
        },
      })),
    };
  }
}

/** A validated control file as the command it asks for. */
export function commandOfRequest(request: ControlRequest): DeskCommand {
  if (request.kind === 'halt')
    return {
      kind: 'halt',
      reason: request.reason,
      flatten: request.flatten,
      ...(request.operator === undefined ? {} : { operator: request.operator }),
    };
  return { kind: 'resume', operator: request.operator, reason: request.reason };
}
