/* worker.js - the playground's training loop. It owns the WebAssembly module and one
 * session, and talks to the page by messages only, so the same code runs in a Worker (made
 * from a Blob URL: the page stays responsive) or, where a browser refuses that, on the page
 * itself in short time slices.
 *
 * Page -> loop: {type: 'init', wasm}        the module's bytes
 *               {type: 'reset', settings}   `micrograd train`'s options; a new run
 *               {type: 'play'} {type: 'pause'} {type: 'step', n}
 *               {type: 'graph', which, index}  one row's loss graph
 * Loop -> page: {type: 'ready'} {type: 'data', ...} {type: 'update', ...}
 *               {type: 'graph', ...} {type: 'error', message}
 */
function playgroundLoop(port, api, budgetMs) {
  'use strict';
  const GRID = 80;          /* the decision boundary's grid, points a side (about 8 ms) */
  const GRID_EVERY = 100;   /* ms between boundaries while playing */
  let engine = null, session = null, running = false, scheduled = false;
  let extent = null, nclasses = 0, nout = 0;
  let perStep = 0.05;       /* ms a step takes, measured */
  let lastGrid = -1e9, playStart = 0, playSteps = 0, rate = 0;

  const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
  const fail = (e) => { running = false; port.post({ type: 'error', message: String(e && e.message || e) }); };

  /* The data's bounding box with a margin, made square-ish so the picture is not skewed. */
  function extentOf(sets) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const p of sets)
      for (let i = 0; i < p.n; i++) {
        const x = p.x[2 * i], y = p.x[2 * i + 1];
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    const half = Math.max(x1 - x0, y1 - y0, 1e-9) / 2 * 1.15;
    return { x0: cx - half, x1: cx + half, y0: cy - half, y1: cy + half };
  }

  function update(withGrid) {
    const msg = {
      type: 'update', steps: session.steps(), running, rate,
      trainLoss: session.loss(api.TRAIN), valLoss: session.loss(api.VAL),
      trainAccuracy: session.accuracy(api.TRAIN), valAccuracy: session.accuracy(api.VAL),
      network: session.network(), command: session.command(),
    };
    const transfer = [msg.network.params.buffer];
    if (withGrid) {
      msg.grid = session.grid(GRID, GRID, extent.x0, extent.x1, extent.y0, extent.y1);
      msg.gridSize = GRID;
      transfer.push(msg.grid.buffer);
      lastGrid = now();
    }
    port.post(msg, transfer);
  }

  function reset(settings) {
    running = false;
    if (!session) session = new api.Session(engine);
    session.configure(settings);
    session.reset();
    const train = session.points(api.TRAIN), val = session.points(api.VAL);
    extent = extentOf([train, val]);
    nclasses = session.nclasses();
    nout = session.network().sizes.slice(-1)[0];
    port.post({ type: 'data', train, val, extent, nclasses, nout }, [train.x.buffer, train.y.buffer, val.x.buffer, val.y.buffer]);
    update(true);
  }

  /* Steps for about budgetMs, then an update, then a yield so messages get through. */
  function tick() {
    scheduled = false;
    if (!running) return;
    try {
      const n = Math.max(1, Math.min(20000, Math.floor(budgetMs / perStep)));
      const t0 = now();
      session.train(n);
      const dt = Math.max(now() - t0, 0.001);
      perStep = 0.7 * perStep + 0.3 * (dt / n);
      playSteps += n;
      rate = playSteps / Math.max((now() - playStart) / 1000, 1e-3);
      update(now() - lastGrid >= GRID_EVERY);
    } catch (e) {
      fail(e);
      update(true);
      return;
    }
    schedule();
  }

  /* A yield without setTimeout's clamping (4 ms once nested) where MessageChannel exists. */
  const channel = typeof MessageChannel !== 'undefined' ? new MessageChannel() : null;
  if (channel) channel.port1.onmessage = tick;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    if (channel) channel.port2.postMessage(0);
    else setTimeout(tick, 0);
  }

  const handlers = {
    async init(m) {
      engine = await api.Engine.create(m.wasm, (text) => console.log(text));
      port.post({ type: 'ready' });
    },
    reset(m) { reset(m.settings); },
    play() {
      if (running) return;
      running = true;
      playStart = now();
      playSteps = 0;
      schedule();
    },
    pause() { running = false; update(true); },
    step(m) {
      running = false;
      session.train(m.n || 1);
      update(true);
    },
    graph(m) {
      const graph = session.graph(m.which, m.index);
      port.post({ type: 'graph', which: m.which, index: m.index, steps: session.steps(), graph, dot: session.dot() });
    },
  };
  port.listen(async (m) => {
    try {
      await handlers[m.type](m);
    } catch (e) {
      fail(e);
    }
  });
}

/* In a Worker: the loop on the worker's own messages. */
if (typeof WorkerGlobalScope !== 'undefined' && typeof self !== 'undefined' && self instanceof WorkerGlobalScope) {
  playgroundLoop({
    post: (m, transfer) => self.postMessage(m, transfer || []),
    listen: (f) => { self.onmessage = (e) => f(e.data); },
  }, self.MicrogradPlayground, 25);
}
