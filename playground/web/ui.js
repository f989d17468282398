/* ui.js - the playground page: the controls (each one an option of `micrograd train`),
 * the training loop in a Worker made from this page's own script (or, where the browser
 * refuses that, on the page in time slices), and what the loop reports, drawn. */
(function () {
  'use strict';
  const api = window.MicrogradPlayground, D = PlaygroundDraw;
  const $ = (id) => document.getElementById(id);

  /* ==== settings: `micrograd train`'s options, as text ================================== */

  /* The optimisers' defaults, as `micrograd train` has them. */
  const OPTIM_DEFAULTS = { adamw: { lr: '0.01', wd: '0.01' }, sgd: { lr: '0.1', wd: '0' }, momentum: { lr: '0.1', wd: '0' } };
  const NOISE = { moons: ['0.1', 0, 0.5, 0.05], circles: ['0.1', 0, 0.5, 0.05], spiral: ['0.2', 0, 1, 0.05],
                  xor: ['0.1', 0, 0.5, 0.05], blobs: ['1', 0, 3, 0.1], yinyang: null };
  const settings = {
    data: 'moons', samples: '200', noise: '0.1', classes: '3', seed: '42', val: '0.2',
    layers: [16, 16], act: 'relu', loss: 'ce', optimizer: 'adamw', lr: '0.01', momentum: '0.9',
    'weight-decay': '0.01', batch: '32', l2: '0',
  };
  const MAX_LAYERS = 6, MAX_WIDTH = 32;

  function options() {
    const o = {};
    for (const [k, v] of Object.entries(settings)) o[k] = k === 'layers' ? v.join(',') : v;
    if (!NOISE[settings.data]) o.noise = '';
    if (settings.data !== 'blobs' && settings.data !== 'spiral') o.classes = '';
    return o;
  }

  function fill(id, values, current, label) {
    const s = $(id);
    s.innerHTML = '';
    for (const v of values) {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = label ? label(v) : v;
      s.appendChild(o);
    }
    s.value = current;
  }

  /* ==== what the loop reports ============================================================ */

  const view = {
    extent: null, train: null, val: null, nclasses: 2, nout: 2, loss: 'ce', grid: null, gridSize: 0,
    selected: null, curve: [], steps: 0, network: null, ready: false, playing: false, mode: '',
    trainAccuracy: NaN, valAccuracy: NaN, rate: 0, error: '',
  };

  function status(text, error) {
    const s = $('status');
    s.textContent = text;
    s.classList.toggle('error', !!error);
    view.error = error ? text : '';
  }
  const readyText = () => `ready (${view.mode === 'worker' ? 'training in a worker' : 'training on the page'})`;
  const pct = (a) => (isFinite(a) ? (100 * a).toFixed(1) + '%' : '–');
  const num = (x) => (isFinite(x) ? (Math.abs(x) >= 1e-3 ? x.toFixed(4) : x.toExponential(3)) : '–');

  /* The command as shell lines of about 64 characters, an option never cut. */
  function wrap(command) {
    const lines = [''];
    for (const part of command.split(/ (?=--)/)) {
      const line = lines[lines.length - 1];
      if (line && line.length + part.length > 62) lines.push('    ' + part);
      else lines[lines.length - 1] = line ? line + ' ' + part : part;
    }
    return lines.join(' \\\n');
  }

  function onData(m) {
    Object.assign(view, { train: m.train, val: m.val, extent: m.extent, nclasses: m.nclasses, nout: m.nout,
                          loss: settings.loss, grid: null, selected: null, curve: [] });
    for (const o of $('loss').options) o.disabled = o.value !== 'ce' && m.nclasses !== 2;
  }

  function onUpdate(m) {
    view.steps = m.steps;
    view.trainAccuracy = m.trainAccuracy;
    view.valAccuracy = m.valAccuracy;
    if (m.grid) { view.grid = m.grid; view.gridSize = m.gridSize; }
    view.network = m.network;
    if (m.rate) view.rate = m.rate;
    const last = view.curve[view.curve.length - 1];
    if (!last || m.steps > last.step) view.curve.push({ step: m.steps, train: m.trainLoss, val: m.valLoss });
    $('steps').textContent = m.steps;
    const ntrain = view.train ? view.train.n : 1;
    const nb = +settings.batch === 0 || +settings.batch > ntrain ? ntrain : +settings.batch;
    const per = Math.ceil(ntrain / nb);
    $('epochs').textContent = (Math.floor(m.steps / per) + (m.steps % per) * nb / ntrain).toFixed(1);
    $('rate').textContent = view.rate ? Math.round(view.rate).toLocaleString('en-US') : '–';
    $('train-loss').textContent = num(m.trainLoss);
    $('val-loss').textContent = num(m.valLoss);
    $('train-accuracy').textContent = pct(m.trainAccuracy);
    $('val-accuracy').textContent = pct(m.valAccuracy);
    view.command = m.command;
    $('command').textContent = wrap(m.command) + (m.steps ? '' : '\n# take a step first: --steps needs 1 or more');
    $('exact-loss').textContent = isFinite(m.trainLoss) ? String(m.trainLoss) : '–';
    $('exact-val-loss').textContent = isFinite(m.valLoss) ? String(m.valLoss) : '–';
    redraw();
  }

  /* At most one drawing a frame; while playing, the network (hundreds of SVG edges: the
   * costliest drawing) a few times a second. */
  let drawPending = false, networkDrawn = 0;
  function redraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame((t) => {
      drawPending = false;
      D.boundary($('boundary'), view);
      D.curves($('curves'), view.curve);
      if (view.network && (!view.playing || t - networkDrawn > 250)) {
        D.network($('network'), view.network, { loss: view.loss, nclasses: view.nclasses });
        networkDrawn = t;
      }
    });
  }

  /* ==== the loop: a Worker from a Blob URL, else on this page ============================ */

  let port = null;
  function wasmBytes() {
    const text = $('pg-wasm').textContent.trim(), bin = atob(text);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }

  function onMessage(m) {
    if (m.type === 'ready') {
      view.ready = true;
      $('status').dataset.ready = '1';
      status(readyText());
      send({ type: 'reset', settings: options() });
    } else if (m.type === 'data') onData(m);
    else if (m.type === 'update') onUpdate(m);
    else if (m.type === 'graph') showGraph(m);
    else if (m.type === 'error') {
      setPlaying(false);
      status(m.message, true);
    }
  }

  function startOnPage() {
    view.mode = 'page';
    let toLoop = null;
    const pagePort = { post: (m) => setTimeout(() => onMessage(m), 0), listen: (f) => { toLoop = f; } };
    playgroundLoop(pagePort, api, 12);
    port = { postMessage: (m) => setTimeout(() => toLoop(m), 0) };
    send({ type: 'init', wasm: wasmBytes() });
  }

  function start() {
    if (/no-worker/.test(location.hash)) return startOnPage(); /* #no-worker: as a browser that refuses one */
    try {
      const source = $('pg-engine').textContent + '\n' + $('pg-worker').textContent;
      const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      const worker = new Worker(url);
      let alive = false;
      worker.onmessage = (e) => { alive = true; onMessage(e.data); };
      worker.onerror = (e) => {
        if (alive) { status('the worker failed: ' + (e.message || 'unknown error'), true); return; }
        e.preventDefault();
        worker.terminate();
        startOnPage();
      };
      view.mode = 'worker';
      port = worker;
      const bytes = wasmBytes();
      worker.postMessage({ type: 'init', wasm: bytes }, [bytes.buffer]);
    } catch (e) {
      startOnPage();
    }
  }
  const send = (m) => port && port.postMessage(m);

  /* ==== controls ========================================================================= */

  function setPlaying(on) {
    view.playing = on;
    $('play').innerHTML = on ? '&#x275a;&#x275a; Pause' : '&#x25b6; Play';
  }

  /* A new run from the settings; training goes on if it was going. */
  function restart() {
    if (!view.ready) return;
    if (view.error) status(readyText());
    view.rate = 0;
    send({ type: 'reset', settings: options() });
    if (view.playing) send({ type: 'play' });
  }

  function layersChanged() {
    const n = settings.layers.length;
    $('layer-count').textContent = `${n} hidden layer${n === 1 ? '' : 's'}`;
    $('remove-layer').disabled = n <= 1; /* `micrograd train --layers` takes one or more */
    $('add-layer').disabled = n >= MAX_LAYERS;
  }

  /* The dataset's controls; a new dataset also gets its default noise. */
  function dataChanged(newData) {
    for (const b of $('datasets').querySelectorAll('button')) b.classList.toggle('on', b.dataset.data === settings.data);
    const nz = NOISE[settings.data];
    $('noise-row').style.display = nz ? '' : 'none';
    if (nz && newData) {
      const r = $('noise');
      [r.min, r.max, r.step] = [nz[1], nz[2], nz[3]];
      settings.noise = nz[0];
      r.value = nz[0];
      $('noise-out').textContent = nz[0];
    }
    const k = settings.data === 'blobs' || settings.data === 'spiral';
    $('classes-row').style.display = k ? '' : 'none';
    const nclasses = settings.data === 'yinyang' ? 3 : k ? +settings.classes : 2;
    if (nclasses !== 2 && settings.loss !== 'ce') { settings.loss = 'ce'; $('loss').value = 'ce'; }
    for (const o of $('loss').options) o.disabled = o.value !== 'ce' && nclasses !== 2;
  }

  function wire() {
    fill('samples', ['50', '100', '200', '400', '800', '1000'], settings.samples);
    fill('classes', ['2', '3', '4', '5', '6'], settings.classes);
    fill('val', ['0', '0.1', '0.2', '0.3', '0.5'], settings.val, (v) => (v === '0' ? 'none' : `${Math.round(+v * 100)}%`));
    fill('act', ['relu', 'tanh', 'sigmoid'], settings.act);
    fill('loss', ['ce', 'bce', 'hinge'], settings.loss, (v) => ({ ce: 'cross-entropy', bce: 'binary cross-entropy', hinge: 'hinge (SVM)' })[v]);
    fill('optimizer', ['adamw', 'sgd', 'momentum'], settings.optimizer, (v) => ({ adamw: 'AdamW', sgd: 'SGD', momentum: 'SGD + momentum' })[v]);
    fill('lr', ['0.0001', '0.0003', '0.001', '0.003', '0.01', '0.03', '0.1', '0.3', '1', '3'], settings.lr);
    fill('momentum', ['0.5', '0.9', '0.95', '0.99'], settings.momentum);
    fill('weight-decay', ['0', '0.0001', '0.001', '0.01', '0.1'], settings['weight-decay']);
    fill('l2', ['0', '0.00001', '0.0001', '0.001', '0.01', '0.1'], settings.l2);
    fill('batch', ['1', '4', '8', '16', '32', '64', '128', '0'], settings.batch, (v) => (v === '0' ? 'all rows' : v));
    $('seed').value = settings.seed;
    $('momentum-row').style.display = 'none';

    $('datasets').addEventListener('click', (e) => {
      const d = e.target.dataset && e.target.dataset.data;
      if (!d || d === settings.data) return;
      settings.data = d;
      dataChanged(true);
      restart();
    });
    $('noise').addEventListener('input', () => {
      /* the text the command line gets: no float noise such as 0.15000000000000002 */
      const v = String(+(+$('noise').value).toFixed(2));
      $('noise-out').textContent = v;
      settings.noise = v;
    });
    $('noise').addEventListener('change', restart);
    $('seed').addEventListener('change', () => {
      const v = $('seed').value.trim();
      if (!/^\d{1,15}$/.test(v)) { $('seed').value = settings.seed; return; }
      settings.seed = String(+v);
      restart();
    });
    $('new-seed').addEventListener('click', () => {
      settings.seed = String(Math.floor(Math.random() * 100000));
      $('seed').value = settings.seed;
      restart();
    });
    for (const id of ['samples', 'classes', 'val', 'act', 'loss', 'lr', 'momentum', 'weight-decay', 'l2', 'batch']) {
      $(id).addEventListener('change', () => {
        settings[id] = $(id).value;
        if (id === 'classes') dataChanged(false);
        restart();
      });
    }
    $('optimizer').addEventListener('change', () => {
      settings.optimizer = $('optimizer').value;
      const d = OPTIM_DEFAULTS[settings.optimizer];
      settings.lr = d.lr;
      settings['weight-decay'] = d.wd;
      $('lr').value = d.lr;
      $('weight-decay').value = d.wd;
      $('momentum-row').style.display = settings.optimizer === 'momentum' ? '' : 'none';
      restart();
    });
    $('add-layer').addEventListener('click', () => {
      if (settings.layers.length >= MAX_LAYERS) return;
      settings.layers.push(settings.layers[settings.layers.length - 1]);
      layersChanged();
      restart();
    });
    $('remove-layer').addEventListener('click', () => {
      if (settings.layers.length <= 1) return;
      settings.layers.pop();
      layersChanged();
      restart();
    });
    $('network').addEventListener('click', (e) => {
      const b = e.target.closest('[data-l]');
      if (!b) return;
      const l = +b.dataset.l, w = settings.layers[l] + +b.dataset.d;
      if (w < 1 || w > MAX_WIDTH) return;
      settings.layers[l] = w;
      layersChanged();
      restart();
    });

    $('play').addEventListener('click', () => {
      if (!view.ready) return;
      setPlaying(!view.playing);
      send({ type: view.playing ? 'play' : 'pause' }); /* a pause answers with an update: drawn whole */
      if (view.playing && view.error) status(readyText());
    });
    $('step').addEventListener('click', () => {
      if (!view.ready) return;
      setPlaying(false);
      send({ type: 'step', n: 1 });
    });
    $('reset').addEventListener('click', restart);
    $('copy-command').addEventListener('click', () => {
      const text = view.command || '';
      if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
    });

    $('boundary').addEventListener('click', (e) => {
      if (!view.extent) return;
      const c = $('boundary'), r = c.getBoundingClientRect();
      const px = (e.clientX - r.left) * c.width / r.width, py = (e.clientY - r.top) * c.height / r.height;
      const hit = D.nearest(view, c.width, c.height, px, py, 12);
      if (!hit) return;
      view.selected = hit;
      redraw();
      send({ type: 'graph', which: hit.which, index: hit.index });
    });
    $('graph-close').addEventListener('click', () => {
      $('graph-panel').hidden = true;
      view.selected = null;
      redraw();
    });
    $('graph-panel').addEventListener('click', (e) => { if (e.target === $('graph-panel')) $('graph-close').click(); });
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !$('graph-panel').hidden) $('graph-close').click(); });
    $('graph-weights').addEventListener('change', () => lastGraph && drawGraph());
    $('graph-zoom').addEventListener('input', () => {
      const svg = $('graph-svg'), z = +$('graph-zoom').value, box = svg.viewBox.baseVal;
      if (!box) return;
      svg.setAttribute('width', box.width * z);
      svg.setAttribute('height', box.height * z);
    });
  }

  /* ==== the loss graph of one row ======================================================== */

  let lastGraph = null, dotUrl = null;
  function drawGraph() {
    const m = lastGraph, g = m.graph;
    const r = D.graph($('graph-svg'), g, !$('graph-weights').checked, +$('graph-zoom').value);
    const p = m.which ? view.val : view.train, i = m.index;
    const loss = g.nodes[g.loss].data;
    $('graph-title').textContent = `Loss graph of ${m.which ? 'validation' : 'training'} row ${i} ` +
      `(class ${p.y[i]}, at ${p.x[2 * i].toFixed(3)}, ${p.x[2 * i + 1].toFixed(3)}), after ${m.steps} steps`;
    $('graph-note').textContent = `loss ${loss}; ${g.nodes.length} values` +
      (r.folded ? ` (${r.folded} parameters drawn inside their dot values: hover one to see them)` : '') +
      '. Each box is label | data | grad; grad is d loss / d value after backward from the loss. ' +
      'The inputs are standardised, as training sees them.';
  }

  function showGraph(m) {
    lastGraph = m;
    const opening = $('graph-panel').hidden;
    $('graph-panel').hidden = false;
    drawGraph();
    /* start at the loss, where backward starts */
    if (opening) $('graph-scroll').scrollLeft = $('graph-scroll').scrollWidth;
    if (dotUrl) URL.revokeObjectURL(dotUrl);
    dotUrl = URL.createObjectURL(new Blob([m.dot], { type: 'text/vnd.graphviz' }));
    $('graph-dot').href = dotUrl;
  }

  /* ==== for tests and the curious ======================================================== */

  window.playground = {
    state: () => ({
      ready: view.ready, mode: view.mode, playing: view.playing, steps: view.steps, data: settings.data,
      layers: settings.layers.slice(), nclasses: view.nclasses, trainAccuracy: view.trainAccuracy,
      valAccuracy: view.valAccuracy, rate: view.rate, error: view.error, graphOpen: !$('graph-panel').hidden,
      options: options(),
    }),
    /* Where row i of a split is on the screen (client pixels), to click it. */
    pointPosition(which, i) {
      const c = $('boundary'), r = c.getBoundingClientRect(), p = which ? view.val : view.train;
      const [x, y] = D.toCanvas(view.extent, c.width, c.height, p.x[2 * i], p.x[2 * i + 1]);
      return { x: r.left + x * r.width / c.width, y: r.top + y * r.height / c.height };
    },
  };

  wire();
  layersChanged();
  dataChanged(true);
  setPlaying(false);
  start();
})();
