/* module.test.js - the playground's WebAssembly module under Node (node --test): it trains
 * moons to 100%, and its numbers are the native library's: step by step against the same
 * session code compiled natively (pg_native), and against `micrograd train` run with the
 * command line the session itself prints: after each of moons' first 30 steps, and at
 * the end of every chunk of six runs. The native numbers are made here, by the binaries
 * of this build, not kept as literals.
 *
 * Environment (set by CTest, see playground/playground.cmake): MG_PLAYGROUND_WASM,
 * MG_CLI, MG_PG_NATIVE. */
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Engine, TRAIN, VAL } = require(path.join(__dirname, '../../playground/web/engine.js'));

const WASM = process.env.MG_PLAYGROUND_WASM, CLI = process.env.MG_CLI, NATIVE = process.env.MG_PG_NATIVE;
const REL = 1e-9; /* the bound; what is seen is printed (around 1e-16 to 1e-13) */

let engine = null;
async function session(settings) {
  if (!engine) engine = await Engine.create(fs.readFileSync(WASM), (t) => process.stderr.write(t));
  const s = engine.session();
  if (settings) s.configure(settings);
  s.reset();
  return s;
}

/* |a - b| relative to max(|b|, scale); exact equality (NaN included) is 0. Losses and
 * metrics are held relative to themselves (scale 1e-300); the values of a graph and of the
 * boundary relative to max(|b|, 1), since some are sums that cancel to about 1e-17. */
function rel(a, b, scale) {
  if (Object.is(a, b) || (a === null && Number.isNaN(b)) || (Number.isNaN(a) && b === null)) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(b), scale);
}
let worst = { rel: 0, what: 'nothing compared' };
function near(a, b, what, scale = 1e-300) {
  const r = rel(a, b, scale);
  if (r > worst.rel && scale === 1e-300) worst = { rel: r, what };
  assert.ok(r <= REL, `${what}: wasm ${a}, native ${b} (relative ${r.toExponential(2)} > ${REL})`);
}

/* `micrograd train` with a session's command line; its --json object. */
function train(command) {
  const args = command.split(' ');
  assert.strictEqual(args[0], 'micrograd');
  assert.strictEqual(args[1], 'train');
  return JSON.parse(execFileSync(CLI, [...args.slice(1), '--json', '-q'], { encoding: 'utf8' }));
}

/* The runs compared: every dataset, loss, optimiser and activation at least once. */
const RUNS = [
  { name: 'moons (the defaults)', settings: {}, chunks: [1, 2, 7, 40, 150, 300] },
  { name: 'circles, tanh, sgd, full batch, L2', chunks: [5, 45, 150],
    settings: { data: 'circles', noise: '0.05', samples: '150', layers: '8,8', act: 'tanh', optimizer: 'sgd', lr: '0.3', batch: '0', l2: '0.0001' } },
  { name: 'spiral, 3 classes, momentum', chunks: [3, 97, 100],
    settings: { data: 'spiral', classes: '3', samples: '300', layers: '16,16,16', optimizer: 'momentum', lr: '0.03', momentum: '0.95', batch: '16' } },
  { name: 'xor, bce, sigmoid, no validation', chunks: [10, 190],
    settings: { data: 'xor', loss: 'bce', act: 'sigmoid', val: '0', layers: '8', lr: '0.03', seed: '7' } },
  { name: 'blobs, 2 classes, hinge, weight decay', chunks: [20, 80],
    settings: { data: 'blobs', classes: '2', loss: 'hinge', noise: '2', optimizer: 'adamw', 'weight-decay': '0.1', batch: '8', seed: '123' } },
  { name: 'yin-yang, 3 classes, relu, batch 1', chunks: [13, 87, 100],
    settings: { data: 'yinyang', samples: '300', layers: '24,24', batch: '1', lr: '0.003', seed: '2024' } },
];

test('the module imports only WASI and exports the playground API', () => {
  const m = new WebAssembly.Module(fs.readFileSync(WASM));
  for (const i of WebAssembly.Module.imports(m)) assert.strictEqual(i.module, 'wasi_snapshot_preview1', JSON.stringify(i));
  const names = WebAssembly.Module.exports(m).map((e) => e.name);
  for (const f of ['pg_new', 'pg_set', 'pg_reset', 'pg_train', 'pg_grid', 'pg_graph', 'pg_command', 'memory', '_initialize'])
    assert.ok(names.includes(f), f);
});

test('trains moons to 100% on the training rows', async () => {
  const s = await session();
  while (s.accuracy(TRAIN) < 1 && s.steps() < 5000) s.train(100);
  assert.strictEqual(s.accuracy(TRAIN), 1, `accuracy ${s.accuracy(TRAIN)} after ${s.steps()} steps`);
  assert.ok(s.accuracy(VAL) >= 0.9, `validation accuracy ${s.accuracy(VAL)}`);
  console.log(`# moons: 100% after ${s.steps()} steps, validation ${(100 * s.accuracy(VAL)).toFixed(1)}%`);
  s.free();
});

for (const run of RUNS) {
  test(`step by step as natively: ${run.name}`, async () => {
    const s = await session(run.settings);
    const losses = [], chunks = [];
    for (const n of run.chunks) {
      losses.push(...s.train(n));
      chunks.push({ steps: s.steps(), train_loss: s.loss(TRAIN), train_accuracy: s.accuracy(TRAIN),
                    val_loss: s.loss(VAL), val_accuracy: s.accuracy(VAL), command: s.command() });
    }
    const args = Object.entries(run.settings).map(([k, v]) => `${k}=${v}`);
    const native = JSON.parse(execFileSync(NATIVE, [...args, run.chunks.join(',')], { encoding: 'utf8' }));
    assert.strictEqual(native.losses.length, losses.length);
    losses.forEach((l, k) => near(l, native.losses[k], `${run.name}: the loss of step ${k + 1}`));
    chunks.forEach((c, k) => {
      const n = native.chunks[k];
      assert.strictEqual(c.steps, n.steps);
      for (const key of ['train_loss', 'train_accuracy', 'val_loss', 'val_accuracy'])
        near(c[key], n[key] === null ? NaN : n[key], `${run.name}: ${key} after step ${c.steps}`);
    });
    assert.strictEqual(chunks[chunks.length - 1].command, native.command);
    /* what the page draws: the boundary's outputs, and one row's graph node by node */
    const grid = s.grid(9, 7, -1.5, 2.5, -1, 1.5);
    assert.strictEqual(grid.length, native.grid.length);
    grid.forEach((v, k) => near(v, native.grid[k], `${run.name}: grid output ${k}`, 1));
    const g = s.graph(TRAIN, 1), ng = native.graph;
    assert.strictEqual(g.loss, ng.loss);
    assert.strictEqual(g.nodes.length, ng.nodes.length);
    g.nodes.forEach((v, k) => {
      const w = ng.nodes[k];
      assert.deepStrictEqual([v.op, v.text, v.label, v.role, v.in], [w.op, w.text, w.label, w.role, w.in]);
      near(v.data, w.data, `${run.name}: graph node ${k} (${v.op}) data`, 1);
      near(v.grad, w.grad, `${run.name}: graph node ${k} (${v.op}) grad`, 1);
    });
    s.free();
  });

  test(`ends as \`micrograd train\` does: ${run.name}`, async () => {
    const s = await session(run.settings);
    for (const n of run.chunks) {
      s.train(n);
      const j = train(s.command());
      assert.strictEqual(j.steps, s.steps());
      near(s.loss(TRAIN), j.train_loss, `${run.name}: train_loss of ${s.command()}`);
      assert.strictEqual(s.accuracy(TRAIN), j.train_accuracy);
      if (run.settings.val === '0') assert.strictEqual(j.val_loss, undefined);
      else near(s.loss(VAL), j.val_loss, `${run.name}: val_loss of ${s.command()}`);
    }
    s.free();
  });
}

test('step by step as `micrograd train`: moons, its first 30 steps one by one', async () => {
  const s = await session();
  for (let k = 1; k <= 30; k++) {
    s.train(1);
    const j = train(s.command());
    near(s.loss(TRAIN), j.train_loss, `moons: train_loss after step ${k}`);
    near(s.loss(VAL), j.val_loss, `moons: val_loss after step ${k}`);
  }
  s.free();
});

test('the loss graph of one row: data and grad on every node', async () => {
  const s = await session({ layers: '4,4' });
  s.train(50);
  const g = s.graph(TRAIN, 3);
  const root = g.nodes[g.loss];
  assert.strictEqual(root.grad, 1);
  assert.ok(root.data > 0);
  const params = g.nodes.filter((v) => v.role === 'param');
  assert.strictEqual(params.length, 2 * 4 + 4 + 4 * 4 + 4 + 4 * 2 + 2); /* every weight and bias */
  assert.ok(params.some((v) => v.grad !== 0), 'the parameters have gradients');
  const inputs = g.nodes.filter((v) => v.role === 'input').map((v) => v.label);
  assert.deepStrictEqual(inputs, ['x0', 'x1', 'y[0]', 'y[1]']);
  g.nodes.forEach((v, i) => v.in.forEach((u) => assert.ok(u < i, 'inputs come before the values they feed')));
  assert.match(s.dot(), /^digraph/);
  assert.throws(() => s.graph(TRAIN, 100000), /no row 100000/);
  s.free();
});

test('settings are checked as `micrograd train` checks them', async () => {
  const s = await session();
  assert.throws(() => s.set('data', 'mnist'), /--data must be moons, circles/);
  assert.throws(() => s.set('lr', '0'), /--lr must be > 0/);
  assert.throws(() => s.set('layers', '16,'), /--layers expects positive sizes/);
  assert.throws(() => s.set('nonsense', '1'), /unknown option 'nonsense'/);
  s.configure({ data: 'spiral', loss: 'bce' });
  assert.throws(() => s.reset(), /--loss bce needs 2 classes; spiral has 3/);
  assert.throws(() => s.train(1), /no model/);
  s.configure({ loss: 'ce' });
  s.reset();
  s.train(1);
  s.configure({ data: 'moons', lr: '1000000', optimizer: 'sgd', act: 'relu' });
  s.reset();
  assert.throws(() => { for (let k = 0; k < 50; k++) s.train(10); }, /not finite/);
  assert.throws(() => s.train(1), /reset to start again/);
  s.free();
});

/* Steps per second are printed for the note, never asserted (timing is the benchmarks'
 * business); what is asserted is that training in chunks as the page does keeps going. */
test('moons in the page\'s chunks (prints steps per second)', async () => {
  const s = await session();
  s.train(100); /* warm up */
  const before = s.loss(TRAIN);
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) { s.train(200); steps += 200; }
  const rate = steps / ((performance.now() - t0) / 1000);
  console.log(`# moons under Node: ${Math.round(rate)} steps/s in chunks of 200 (the largest native-vs-wasm relative difference of a loss or metric: ${worst.rel.toExponential(2)}, ${worst.what})`);
  assert.strictEqual(s.steps(), 100 + steps);
  assert.ok(Number.isFinite(s.loss(TRAIN)) && s.loss(TRAIN) < before, `loss ${before} -> ${s.loss(TRAIN)}`);
  s.free();
});
