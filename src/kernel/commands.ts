/**
 * The command port: what an operator may ask of a running desk, and its one handler.
 *
 * Commands are imperative (`halt`, `resume`, `flatten`, `simulation`, and `agent`: start, stop or
 * quarantine one agent); what the desk did is
 * journaled in the past tense (`risk.halt`, `risk.resume`, orders) followed by one
 * `control.command` record naming the command, who issued it through which channel, and the
 * outcome. That record is a replay input: replay applies the same command between the same two
 * market events, so a halt lands exactly where it did.
 *
 * Channels are adapters of the `CommandSource` port: the control-file channel behind
 * `concord halt` / `resume` (src/control/command-source.ts) today, the operator API later. The
 * session runner polls its source between two desk steps and hands each command to
 * `applyCommand`; no channel touches the desk itself.
 */
import { EVENTS } from '../bus/index.ts';
import { ConcordError, toConcordError } from '../core/index.ts';
import type { Desk } from './desk.ts';

/** Stop taking risk: cancel every open order, ask no agent, and (with `flatten`) close every position. */
export interface HaltCommand {
  readonly kind: 'halt';
  readonly reason: string;
  readonly flatten: boolean;
  readonly operator?: string | undefined;
}

/** Trade again after a halt; always names the operator who decided it. */
export interface ResumeCommand {
  readonly kind: 'resume';
  readonly operator: string;
  readonly reason: string;
}

/** Close every position with reduce-only market orders, without changing the trading state. */
export interface FlattenCommand {
  readonly kind: 'flatten';
  readonly reason: string;
  readonly operator?: string | undefined;
}

/** Switch the desk's orders to simulated venues (`enabled`) or back to real ones. */
export interface SimulationCommand {
  readonly kind: 'simulation';
  readonly enabled: boolean;
  readonly reason: string;
  readonly operator?: string | undefined;
}

/**
 * Start, stop or quarantine one agent. `stop` and `quarantine` hold it out of work (it is no
 * longer asked; status STOPPED or QUARANTINED); `start` lets a held or quarantined agent work
 * again. An illegal transition is refused (CONCORD_ERR_LIFECYCLE_TRANSITION), an unknown agent
 * too (CONCORD_ERR_AGENT_UNKNOWN).
 */
export interface AgentCommand {
  readonly kind: 'agent';
  readonly agentId: string;
  readonly action: 'start' | 'stop' | 'quarantine';
  readonly reason: string;
  readonly operator: string;
}

export type DeskCommand = HaltCommand | ResumeCommand | FlattenCommand | SimulationCommand | AgentCommand;

/** Where a command came from: its channel (`file`, `api`, ...) and that channel's id for it. */
export interface CommandOrigin {
  readonly channel: string;
  readonly requestId?: string | undefined;
}

/** What the desk did with a command. */
export interface CommandResult {
  readonly ok: boolean;
  /** The CONCORD_ERR_* code when the command failed or was refused. */
  readonly code?: string;
  /** One line for the operator: what was done, or why not. */
  readonly message: string;
  /** The desk's global trading state right after. */
  readonly tradingState: string;
}

/**
 * Carries a command out and journals it (`control.command`) with its origin and result. Never
 * throws: a failure is the result (`ok: false` with its code); a journal that cannot be written
 * has already failed the desk closed, and the result still reaches the operator.
 */
export async function applyCommand(
  desk: Desk,
  command: DeskCommand,
  origin: CommandOrigin,
): Promise<CommandResult> {
  let outcome: { ok: boolean; code?: string; message: string };
  try {
    outcome = await carryOut(desk, command);
  } catch (err) {
    const e = toConcordError(err);
    outcome = { ok: false, code: e.code, message: `${e.code}: ${e.shortMessage}` };
  }
  const result: CommandResult = { ...outcome, tradingState: desk.tradingState() };
  try {
    desk.record(EVENTS.controlCommand, {
      command: journaledCommand(command),
      channel: origin.channel,
      requestId: origin.requestId ?? null,
      ok: result.ok,
      code: result.code ?? null,
      message: result.message,
      tradingState: result.tradingState,
    });
  } catch {
    // The desk is fail-closed now (Desk.record); the operator still learns what was done.
  }
  return result;
}

async function carryOut(desk: Desk, command: DeskCommand): Promise<{ ok: boolean; message: string }> {
  switch (command.kind) {
    case 'halt':
      await desk.halt({
        reason: command.reason,
        flatten: command.flatten,
        ...(command.operator === undefined ? {} : { operator: command.operator }),
      });
      return { ok: true, message: `halted${command.flatten ? ' and flattening' : ''}: ${command.reason}` };
    case 'resume':
      if (!desk.isHalted()) return { ok: true, message: `not halted, nothing to resume: ${command.reason}` };
      desk.resume({ operator: command.operator, reason: command.reason });
      return { ok: true, message: `resumed by ${command.operator}: ${command.reason}` };
    case 'flatten': {
      const orders = await desk.flatten();
      return { ok: true, message: `flattening: ${orders} reduce-only order(s) sent: ${command.reason}` };
    }
    case 'simulation':
      return switchSimulation(desk, command);
    case 'agent':
      return commandAgent(desk, command);
  }
}

async function commandAgent(desk: Desk, command: AgentCommand): Promise<{ ok: boolean; message: string }> {
  const { agentId, action, operator, reason } = command;
  if (action === 'start') await desk.supervisor.release(agentId);
  else
    await desk.supervisor.hold(
      agentId,
      action === 'stop' ? 'stopped' : 'quarantined',
      `${operator}: ${reason}`,
    );
  const done = action === 'start' ? 'started' : action === 'stop' ? 'stopped' : 'quarantined';
  return { ok: true, message: `agent ${agentId} ${done} by ${operator}: ${reason}` };
}

/**
 * Every mode implemented today trades on simulated venues only (sandbox, backtest, paper, shadow),
 * so asking for simulation is already true, and nothing can leave it: there is no live venue to
 * switch to yet. A live desk will answer this with its venue router.
 */
function switchSimulation(desk: Desk, command: SimulationCommand): { ok: boolean; message: string } {
  const mode = desk.config.mode;
  if (command.enabled && mode !== 'live')
    return { ok: true, message: `already simulated: a ${mode} desk trades on simulated venues only` };
  throw new ConcordError(
    'CONCORD_ERR_COMMAND_UNSUPPORTED',
    `a ${mode} desk cannot switch simulation ${command.enabled ? 'on' : 'off'}: no venue router can honour it in this mode yet`,
    { details: { command: command.kind, enabled: command.enabled, mode } },
  );
}

function journaledCommand(command: DeskCommand) {
  switch (command.kind) {
    case 'halt':
      return {
        kind: command.kind,
        reason: command.reason,
        flatten: command.flatten,
        operator: command.operator ?? null,
      };
    case 'resume':
      return { kind: command.kind, operator: command.operator, reason: command.reason };
    case 'flatten':
      return { kind: command.kind, reason: command.reason, operator: command.operator ?? null };
    case 'simulation':
      return {
        kind: command.kind,
        enabled: command.enabled,
        reason: command.reason,
        operator: command.operator ?? null,
      };
    case 'agent':
      return {
        kind: command.kind,
        agentId: command.agentId,
        action: command.action,
        reason: command.reason,
        operator: command.operator,
      };
  }
}

/** A journaled `control.command` back as the command it was (replay). */
export function commandOf(journaled: ReturnType<typeof journaledCommand>): DeskCommand {
  switch (journaled.kind) {
    case 'resume':
    case 'agent':
      return journaled;
    case 'halt':
    case 'flatten':
    case 'simulation': {
      const { operator, ...rest } = journaled;
      return operator === null ? rest : { ...rest, operator };
    }
  }
}

// ── the port channels implement ─────────────────────────────────────────────────────────────

/** A command as a channel hands it over, with a way to tell its issuer what became of it. */
export interface IssuedCommand {
  readonly command: DeskCommand;
  readonly origin: CommandOrigin;
  /** Tells the issuer the result (the file channel writes a result file). Never throws. */
  settle?(result: CommandResult): void;
}

/** Input a channel could not turn into a command; journaled (`control.rejected`), never executed. */
export interface RejectedCommand {
  /** What was rejected, as its channel names it (a control file's name). */
  readonly file: string;
  readonly code: `CONCORD_ERR_${string}`;
  readonly message: string;
}

export interface CommandPoll {
  /** Rejected input since the last poll, journaled before the commands are applied. */
  readonly rejected: readonly RejectedCommand[];
  /** Commands in the order they were issued. */
  readonly commands: readonly IssuedCommand[];
}

/**
 * An operator channel, polled by the session runner between two desk steps. `poll` must be cheap
 * when nothing is due (it runs every loop turn) and must never throw or block.
 */
export interface CommandSource {
  /** Starts listening, once the desk runs (the file channel makes its directories). */
  open?(): void;
  poll(): CommandPoll;
  close?(): void;
}
