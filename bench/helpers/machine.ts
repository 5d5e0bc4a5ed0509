/**
 * Machine facts every results file records: cores, CPU model, Node version, the date,
 * and the load average at the start and end of the run. The machine has 2 cores shared
 * with other sessions' builds and tests, so the load average says how far to trust a time.
 */
import os from 'node:os';

export interface MachineFacts {
  date: string;
  cpus: number;
  model: string | undefined;
  node: string;
  /** 1, 5 and 15 minute load averages, one decimal. */
  load_average_start: number[];
  load_average_end: number[];
}

const rounded = () => os.loadavg().map((x) => Math.round(x * 10) / 10);

/** Call at the start of a run; `finish()` at the end fills in the closing load average. */
export function machineFacts(): { facts: MachineFacts; finish(): MachineFacts } {
  const facts: MachineFacts = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    node: process.version,
    load_average_start: rounded(),
    load_average_end: [],
  };
  return {
    facts,
    finish() {
      facts.load_average_end = rounded();
      return facts;
    },
  };
}

/** One line for a results .md: the machine, and a plain word on how loaded it was. */
export function describeMachine(m: MachineFacts): string {
  const peak = Math.max(m.load_average_start[0] ?? 0, m.load_average_end[0] ?? 0);
  const verdict =
    peak > m.cpus * 1.5
      ? `**the machine was heavily loaded** by other sessions (load above ${m.cpus * 1.5} on ${m.cpus} cores), so times are pessimistic`
      : peak > m.cpus
        ? 'the machine was busy with other sessions (load above its core count), so times are somewhat pessimistic'
        : 'the machine was lightly loaded';
  return (
    `${m.date} · ${m.cpus} CPU (${m.model ?? 'unknown'}), Node ${m.node} · load average ` +
    `${m.load_average_start.join(' / ')} at the start, ${m.load_average_end.join(' / ')} at the end: ${verdict}.`
  );
}
