/**
 * The layer rule of src/ (docs/decisions/0004-layers.md), checked by `npm run depcruise`
 * (part of `npm run check`). Imports point down, never up:
 *
 *   main                          composition root: wires everything
 *   http · queue · cli            entry layers: nothing but main imports them
 *   pipeline (stages)             run by the queue; reach the world through their deps
 *   domain                        lifecycle, tenants, idempotency, webhooks, search
 *   adapters                      media, providers, nlp, net, storage, cache, events,
 *                                 search, observability
 *   persistence                   all SQL; imports only the foundations
 *                                 and (type-only) domain *.types.ts
 *   config · resilience · platform · contract  foundations (contract: the results and
 *                                 options schemas every layer shares, src/contract)
 *
 * Tests (*.test.ts) are outside the rules: a test may reach into any layer.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one: neither can be read, tested or moved alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'entry-layers-on-top',
      severity: 'error',
      comment: 'http, queue and cli are entry points over the same code: only main composes them.',
      from: { path: '^src/([^/]+)/', pathNot: ['^src/main/'] },
      to: { path: '^src/(http|queue|cli)/', pathNot: '^src/$1/' },
    },
    {
      name: 'nothing-imports-main',
      severity: 'error',
      comment: 'main is the composition root; nothing depends on it.',
      from: { pathNot: '^src/main/' },
      to: { path: '^src/main/' },
    },
    {
      name: 'domain-below-pipeline',
      severity: 'error',
      comment: 'The domain does not know the pipeline that runs stages; the pipeline uses the domain.',
      from: { path: '^src/domain/' },
      to: { path: '^src/pipeline/' },
    },
    {
      name: 'adapters-below-domain',
      severity: 'error',
      comment:
        'Adapters (media, providers, nlp, net, storage, cache, events, search, observability) serve the ' +
        'domain and the pipeline; they do not call back up. Shared vocabulary (errors, *.types.ts) is allowed.',
      from: { path: '^src/(media|providers|nlp|net|storage|cache|events|search|observability)/' },
      to: {
        path: '^src/(domain|pipeline)/',
        pathNot: ['^src/domain/errors\\.ts$', '^src/domain/.+\\.types\\.ts$'],
      },
    },
    {
      name: 'http-through-domain',
      severity: 'error',
      comment:
        'Routes call domain services (src/domain), which own the transactions; they never reach a ' +
        'repository or the database themselves.',
      from: { path: '^src/http/' },
      // database-errors.ts only classifies driver errors (no SQL): HTTP answers "unreachable" with 503.
      to: { path: '^src/persistence/', pathNot: '^src/persistence/database-errors\\.ts$' },
    },
    {
      name: 'stages-through-deps',
      severity: 'error',
      comment:
        'Pipeline stages reach the database only through the repositories handed to them in ' +
        '`ctx.deps.repositories`, never by importing persistence (not even its types).',
      from: { path: '^src/pipeline/stages/' },
      to: { path: '^src/persistence/' },
    },
    {
      name: 'pipeline-persistence-types-only',
      severity: 'error',
      comment: 'The pipeline names the repository types it is handed (stage.ts), but never calls persistence itself.',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/persistence/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'persistence-at-the-bottom',
      severity: 'error',
      comment:
        'Persistence imports nothing of ours but the foundations (config, resilience, platform, contract); ' +
        'domain types only as `import type` from *.types.ts.',
      from: { path: '^src/persistence/' },
      to: {
        path: '^src/',
        pathNot: ['^src/(persistence|config|resilience|platform|contract)/', '^src/domain/.+\\.types\\.ts$'],
      },
    },
    {
      name: 'persistence-domain-types-only',
      severity: 'error',
      comment: 'Domain vocabulary reaches persistence as types, never as code that could call back up.',
      from: { path: '^src/persistence/' },
      to: { path: '^src/domain/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'foundations-import-nothing-above',
      severity: 'error',
      comment:
        'config, resilience and platform are the floor. Exception: config validates the webhook retry ' +
        'schedule with the pure webhook policy module (no I/O, no further imports but types and errors).',
      from: { path: '^src/(config|resilience|platform)/' },
      to: {
        path: '^src/',
        pathNot: [
          '^src/(config|resilience|platform|contract)/',
          '^src/domain/webhook/webhook\\.(policy|types)\\.ts$',
          '^src/domain/errors\\.ts$',
        ],
      },
    },
    {
      name: 'contract-imports-nothing-of-ours',
      severity: 'error',
      comment:
        'The contract (results and options schemas) is what every layer, the OpenAPI document, the SDK and ' +
        'the console share: it imports nothing of ours, only TypeBox, so any layer may import it.',
      from: { path: '^src/contract/' },
      to: { path: '^src/', pathNot: '^src/contract/' },
    },
    {
      name: 'sql-only-in-persistence',
      severity: 'error',
      comment:
        'All SQL lives in src/persistence: kysely and pg are imported there and in main (wiring) only. ' +
        'Others name the database through the types persistence exports (Db, Tx).',
      from: { path: '^src/', pathNot: ['^src/(persistence|main)/', '\\.test\\.ts$'] },
      to: { path: '^node_modules/(kysely|pg)/' },
    },
    {
      name: 'queue-library-in-queue-and-persistence',
      severity: 'error',
      comment: 'graphile-worker runs tasks (queue) and stores jobs (persistence); nobody else talks to it.',
      from: { path: '^src/', pathNot: ['^src/(queue|persistence|main)/', '\\.test\\.ts$'] },
      to: { path: '^node_modules/graphile-worker/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.test\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
