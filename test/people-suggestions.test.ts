/**
 * Suggested merges ("possibly the same person"), through the service the pipeline groups
 * with and the HTTP API, on a real database. The descriptions are made-up unit vectors with
 * chosen cosine similarities, so each case sits where it is meant to: between the
 * suggestion floor and the same-person threshold (offered), alike but on screen together
 * (never offered, in a photograph and on the same single frame of a video), unlike (not
 * offered), another tenant's (never seen); a person seen many times still gets their
 * suggestions. In the console, the person's page lists the suggestion and merges it with
 * one click.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createTestApp, auth, type TestApp } from './helpers/app.ts';
import { alike, madeUpAnalysis, still } from './helpers/made-up-faces.ts';
import { hasChromium, launchBrowser, signIn } from './helpers/browser.ts';
import { consoleBuilt } from '../src/http/routes/console.routes.ts';
import { PEOPLE_CALIBRATION } from '../src/domain/analysis/calibration.ts';
import type { AppearanceToGroup } from '../src/domain/people/people.service.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

const SAME = PEOPLE_CALIBRATION.samePerson.value;
const SUGGEST = PEOPLE_CALIBRATION.suggestAt.value;

const analysis = (tenantId: string) => madeUpAnalysis(t, tenantId);

describe('suggested merges', () => {
  test('offers the person between the floor and the threshold; never one on screen together, an unlike one or another tenant’s', async () => {
    assert.ok(SUGGEST < 0.8 && 0.8 < SAME, `the floor ${SUGGEST} and threshold ${SAME} leave room for 0.8`);
    const people = t.pipeline.people!;
    const a = t.tenantA.tenant;
    // A and, in the same photograph, C (alike, but two faces at once are two people).
    const [me, withMe] = await people.group({ id: await analysis(a), tenantId: a }, [
      still(alike(1), 0.1),
      still(alike(0.75, 2), 0.5),
    ]);
    assert.ok(me!.created && withMe!.created && me!.personId !== withMe!.personId);
    // B: another photograph, 0.8 alike: below the threshold, so a person of its own.
    const [maybe] = await people.group({ id: await analysis(a), tenantId: a }, [still(alike(0.8, 3), 0.1)]);
    assert.ok(maybe!.created, 'below samePerson: not joined');
    // D: unlike.
    await people.group({ id: await analysis(a), tenantId: a }, [still(alike(0.2, 4), 0.1)]);
    // Another tenant's face, nearly identical.
    const b = t.tenantB.tenant;
    const [foreign] = await people.group({ id: await analysis(b), tenantId: b }, [still(alike(0.99, 5), 0.1)]);

    const res = await t.app.inject({ url: `/api/people/${me!.personId}/suggestions`, headers: auth(t.tenantA.key) });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { data: Array<{ person: { id: string }; similarity: number }> };
    assert.deepEqual(
      body.data.map((s) => s.person.id),
      [maybe!.personId],
      JSON.stringify(body),
    );
    assert.equal(body.data[0]!.similarity, 0.8);
    // Without the on-screen-together rule, C (0.75) would be offered too.
    assert.ok(0.75 >= SUGGEST);

    // The suggestion is confirmed with a merge; then nothing is left to suggest.
    const merged = await t.app.inject({
      method: 'POST',
      url: `/api/people/${me!.personId}/merge`,
      headers: auth(t.tenantA.key),
      payload: { person_id: maybe!.personId },
    });
    assert.equal(merged.statusCode, 200, merged.body);
    const after = await t.app.inject({ url: `/api/people/${me!.personId}/suggestions`, headers: auth(t.tenantA.key) });
    assert.deepEqual(after.json().data, []);

    // Another tenant's person is not found, and theirs sees none of tenant A's.
    const other = await t.app.inject({ url: `/api/people/${me!.personId}/suggestions`, headers: auth(t.tenantB.key) });
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().code, 'PERSON_NOT_FOUND');
    const theirs = await t.app.inject({
      url: `/api/people/${foreign!.personId}/suggestions`,
      headers: auth(t.tenantB.key),
    });
    assert.deepEqual(theirs.json().data, []);
  });
  test('two faces on one frame of a video are on screen together; a person seen 80 times still gets suggestions', async () => {
    const people = t.pipeline.people!;
    const a = t.tenantA.tenant;
    // One video, two faces seen on the same single frame (12 s): two people, never offered as one.
    const frame = (vector: Float32Array, x: number): AppearanceToGroup => ({
      ...still(vector, x),
      startSeconds: 12,
      endSeconds: 12,
      still: false,
    });
    const [left, right] = await people.group({ id: await analysis(a), tenantId: a }, [
      frame(alike(1, 41, 40), 0.1),
      frame(alike(0.8, 42, 40), 0.6),
    ]);
    assert.ok(left!.created && right!.created);
    const onFrame = await t.app.inject({
      url: `/api/people/${left!.personId}/suggestions`,
      headers: auth(t.tenantA.key),
    });
    assert.deepEqual(onFrame.json().data, []);

    // Around axis 60: 80 near-identical faces of one person, each its own photograph.
    let often = '';
    for (let i = 0; i < 80; i++) {
      const [g] = await people.group({ id: await analysis(a), tenantId: a }, [still(alike(0.999, 61 + i, 60), 0.1)]);
      often ||= g!.personId;
      assert.equal(g!.personId, often, `face ${i} joins the same person`);
    }
    const [other] = await people.group({ id: await analysis(a), tenantId: a }, [still(alike(0.8, 200, 60), 0.1)]);
    assert.ok(other!.created);
    const res = await t.app.inject({ url: `/api/people/${often}/suggestions`, headers: auth(t.tenantA.key) });
    assert.deepEqual(
      res.json().data.map((x: { person: { id: string } }) => x.person.id),
      [other!.personId],
      JSON.stringify(res.json()),
    );
  });

  test(
    'the console: the person page lists the suggestion, and one click merges it',
    {
      skip:
        (!hasChromium() && 'chromium is not installed (apt-get install chromium)') ||
        (!consoleBuilt() && 'the console is not built (npm run build)'),
    },
    async () => {
      const people = t.pipeline.people!;
      const a = t.tenantA.tenant;
      // Around axis 20: unlike every face of the first test (axes 0–5).
      const [me] = await people.group({ id: await analysis(a), tenantId: a }, [still(alike(1, 21, 20), 0.1)]);
      const [maybe] = await people.group({ id: await analysis(a), tenantId: a }, [still(alike(0.85, 22, 20), 0.1)]);
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
      const browser = await launchBrowser();
      try {
        const { page } = browser;
        await signIn(page, base, t.tenantA.key);
        await page.goto(`${base}/#/people/${me!.personId}`);
        const list = page.getByRole('list', { name: 'Possibly the same person' });
        await list.waitFor();
        const item = list.locator('li').filter({ has: page.locator(`a[href$="${maybe!.personId}"]`) });
        await item.getByText('similarity 0.85').waitFor();
        await item.getByRole('button', { name: 'Same person: merge' }).click();
        await page.getByRole('status').filter({ hasText: 'Merged.' }).waitFor();
      } finally {
        await browser.close();
      }
      const after = await t.app.inject({ url: `/api/people/${me!.personId}`, headers: auth(t.tenantA.key) });
      assert.equal(after.json().face_count, 2, JSON.stringify(after.json()));
      const gone = await t.app.inject({ url: `/api/people/${maybe!.personId}`, headers: auth(t.tenantA.key) });
      assert.equal(gone.statusCode, 404);
    },
  );
});
