/** The `media-analysis people …` commands: list, show, name, suggest, merge, remove a face, forget. */
import type { Command } from 'commander';
import type { MediaAnalysis } from '../../sdk/src/index.ts';
import { out, table, type Globals } from './cli-helpers.ts';

const when = (a: { start_seconds: number | null; end_seconds: number | null }) =>
  a.start_seconds === null
    ? 'photograph'
    : `${a.start_seconds.toFixed(1)}–${(a.end_seconds ?? a.start_seconds).toFixed(1)} s`;

/** Add the `people` command group to `program`. */
export function addPeopleCommands(program: Command, client: () => MediaAnalysis, g: () => Globals): void {
  const people = program.command('people').description('People across your analyses (faces grouped by person)');
  people
    .command('list')
    .description('Your people, named first')
    .option('--page <n>', 'page', '1')
    .action(async (o: { page: string }) => {
      const page = await client().people.list({ page: Number(o.page) || 1 });
      out(g(), page, () =>
        table(
          ['person', 'name', 'faces', 'analyses'],
          page.data.map((p) => [p.id, p.name ?? '', String(p.face_count), String(p.analysis_ids.length)]),
        ),
      );
    });
  people
    .command('show')
    .description('A person and when they appear')
    .argument('<id>')
    .action(async (id: string) => {
      const p = await client().people.get(id);
      out(g(), p, () =>
        [
          `${p.id}  ${p.name ?? '(unnamed)'}  ${p.face_count} faces`,
          table(
            ['face', 'analysis', 'when'],
            p.appearances.map((a) => [a.id, a.analysis_id, when(a)]),
          ),
        ].join('\n'),
      );
    });
  people
    .command('name')
    .description('Name a person (their appearances become searchable by the name)')
    .argument('<id>')
    .argument('<name>')
    .action(async (id: string, name: string) => {
      const p = await client().people.rename(id, name);
      out(g(), p, () => `${p.id}  ${p.name}`);
    });
  people
    .command('suggest')
    .description('People who may be <id> (faces alike, never on screen together): merge the right one')
    .argument('<id>')
    .action(async (id: string) => {
      const r = await client().people.suggestions(id);
      out(g(), r, () =>
        r.data.length === 0
          ? 'no suggestion'
          : table(
              ['person', 'name', 'faces', 'similarity'],
              r.data.map((s) => [
                s.person.id,
                s.person.name ?? '',
                String(s.person.face_count),
                s.similarity.toFixed(3),
              ]),
            ),
      );
    });
  people
    .command('merge')
    .description('Merge <other> into <id>')
    .argument('<id>')
    .argument('<other>')
    .action(async (id: string, other: string) => {
      const p = await client().people.merge(id, other);
      out(g(), p, () => `${p.id}  ${p.face_count} faces`);
    });
  people
    .command('remove-face')
    .description('Take a wrongly matched face away from a person')
    .argument('<id>')
    .argument('<faceId>')
    .action(async (id: string, faceId: string) => {
      const r = await client().people.removeFace(id, faceId);
      out(g(), r, () => `face ${faceId} is now person ${r.new_person.id}`);
    });
  people
    .command('forget')
    .description('Forget a person and their face descriptions')
    .argument('<id>')
    .action(async (id: string) => {
      await client().people.forget(id);
      out(g(), { forgotten: id }, () => `forgot ${id}`);
    });
}
