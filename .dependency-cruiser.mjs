/**
 * The layer rule of src/ (docs/decisions/0004-layers.md), checked by `npm run depcruise`
 * (part of `npm run check`). Imports point down, never up:
 *
 *   main                          composition root: builds the parts and hands them in
 *   http · queue · cli            entry layers: nothing but main imports them
 *   pipeline (stages)             run by the queue; reach the world through ctx.deps
 *                                 (tools, repositories), never by importing adapters
 *   domain                        lifecycle, tenants, idempotency, webhooks, search;
 *                                 names the repositories it needs as types, gets them handed in
 *   adapters                      media, providers, nlp, net, storage, cache, events, search
 *   persistence                   all SQL; imports only the foundations
 *   observability                 logs, metrics, shutdown: used everywhere, imports only the
 *                                 foundations (and the error catalogue)
 *   contract · config · resilience · platform  foundations (contract: the shared vocabulary
 *                                 of analyses, stages, webhooks and segments; imports nothing)
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
      name: 'domain-gets-repositories-handed-in',
      severity: 'error',
      comment:
        'Domain services declare the repositories they need (`Pick<Repositories, …>`, type-only) and get ' +
        'them from the composition root; no domain module runs persistence code of its own accord.',
      from: { path: '^src/domain/' },
      to: { path: '^src/persistence/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'adapters-below-domain',
      severity: 'error',
      comment:
        'Adapters (media, providers, nlp, net, storage, cache, events, search, observability) serve the ' +
        'domain and the pipeline; they do not call back up. They name the shared vocabulary from src/contract; ' +
        'the one thing of the domain they may import is its error catalogue (errors.ts).',
      from: { path: '^src/(media|providers|nlp|net|storage|cache|events|search|observability)/' },
      to: {
        path: '^src/(domain|pipeline)/',
        pathNot: '^src/domain/errors\\.ts$',
      },
    },
    {
      name: 'observability-on-the-ground-floor',
      severity: 'error',
      comment:
        'Logs, metrics and shutdown are used by every layer, so they import nothing above the foundations ' +
        '(and the error catalogue): what metrics read from the database is handed in as collector callbacks.',
      from: { path: '^src/observability/' },
      to: {
        path: '^src/',
        pathNot: ['^src/(observability|contract|config|resilience|platform)/', '^src/domain/errors\\.ts$'],
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
      name: 'stages-get-adapters-handed-in',
      severity: 'error',
      comment:
        'Stages reach media tools, OCR, the network, providers and models through `ctx.deps.tools` ' +
        '(pipeline/stage-tools.ts), handed in by the composition root; they may name adapter types and ' +
        'import the pure modules listed here (plans, parsers, prompts, prices: no I/O).',
      from: { path: '^src/pipeline/stages/' },
      to: {
        path: '^src/(media|providers|nlp|net|storage|cache|events|search|observability)/',
        dependencyTypesNot: ['type-only'],
        pathNot: [
          '^src/media/(frame-plan|shot-parts|voice-activity)\\.ts$',
          '^src/media/sandbox/sandbox-limits\\.ts$',
          '^src/media/vision/vision\\.types\\.ts$',
          '^src/providers/(prompt-builder|cost|extractive-summary|json-output-validator)\\.ts$',
          '^src/nlp/text-understanding\\.ts$',
        ],
      },
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
        'Persistence imports nothing of ours but the foundations (contract, config, resilience, platform): ' +
        'the vocabulary it stores comes from src/contract, never from the domain above it.',
      from: { path: '^src/persistence/' },
      to: { path: '^src/', pathNot: '^src/(persistence|contract|config|resilience|platform)/' },
    },
    {
      name: 'contract-imports-nothing',
      severity: 'error',
      comment: 'src/contract is the shared vocabulary every layer may name; it depends on no other part of src.',
      from: { path: '^src/contract/' },
      to: { path: '^src/', pathNot: '^src/contract/' },
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
          '^src/(contract|config|resilience|platform)/',
          '^src/domain/webhook/webhook\\.policy\\.ts$',
          '^src/domain/errors\\.ts$',
        ],
      },
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
