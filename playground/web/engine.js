/* engine.js - the JavaScript side of the playground's module: the few WASI calls the C
 * library makes (a clock, writes to stderr), and a Session class over pg.h's functions.
 * The same file runs in the page's worker, on the page itself and under Node (the tests).
 * Numbers cross as copies of the module's memory, so they stay valid after later calls. */
(function (root) {
  'use strict';

  const ENOSYS = 52;

  /* The imports: the calls the library makes, and ENOSYS for any other WASI call a later
   * build may add (the page then degrades instead of failing to load). */
  function wasiImports(state) {
    const view = () => new DataView(state.memory.buffer);
    const decoder = new TextDecoder();
    const calls = {
      clock_time_get(id, precision, out) {
        const ms = id === 0 ? Date.now() : (typeof performance !== 'undefined' ? performance.now() : Date.now());
        view().setBigUint64(out, BigInt(Math.round(ms * 1e6)), true);
        return 0;
      },
      fd_write(fd, iovs, n, written) {
        const dv = view();
        let total = 0, text = '';
        for (let i = 0; i < n; i++) {
          const p = dv.getUint32(iovs + 8 * i, true), len = dv.getUint32(iovs + 8 * i + 4, true);
          text += decoder.decode(new Uint8Array(state.memory.buffer, p, len));
          total += len;
        }
        if (text && state.log) state.log(text);
        dv.setUint32(written, total, true);
        return 0;
      },
      fd_close() { return 0; },
      fd_seek() { return ENOSYS; },
    };
    return new Proxy(calls, { get: (t, name) => t[name] || (() => ENOSYS) });
  }

  class Engine {
    constructor(instance, state) {
      this.x = instance.exports;
      this.state = state;
      this.encoder = new TextEncoder();
      this.decoder = new TextDecoder();
    }

    /* A module from the bytes of playground.wasm (an ArrayBuffer or a typed array). */
    static async create(bytes, log) {
      const state = { memory: null, log: log || null };
      const { instance } = await WebAssembly.instantiate(bytes, { wasi_snapshot_preview1: wasiImports(state) });
      state.memory = instance.exports.memory;
      instance.exports._initialize();
      return new Engine(instance, state);
    }

    string(ptr) {
      if (!ptr) return null;
      const mem = new Uint8Array(this.state.memory.buffer);
      let end = ptr;
      while (mem[end]) end++;
      return this.decoder.decode(mem.subarray(ptr, end));
    }
    doubles(ptr, n) {
      return ptr ? new Float64Array(this.state.memory.buffer, ptr, n).slice() : new Float64Array(0);
    }
    /* Calls f with each string copied into the module (freed after). */
    withStrings(strings, f) {
      const ptrs = strings.map((s) => {
        const bytes = this.encoder.encode(String(s));
        const p = this.x.pg_buffer(bytes.length + 1);
        if (!p) throw new Error('out of memory');
        const mem = new Uint8Array(this.state.memory.buffer);
        mem.set(bytes, p);
        mem[p + bytes.length] = 0;
        return p;
      });
      try { return f(...ptrs); } finally { ptrs.forEach((p) => this.x.pg_buffer_free(p)); }
    }
    session() { return new Session(this); }
  }

  const TRAIN = 0, VAL = 1;

  class Session {
    constructor(engine) {
      this.e = engine;
      this.x = engine.x;
      this.p = this.x.pg_new();
      if (!this.p) throw new Error('out of memory');
    }
    free() { if (this.p) this.x.pg_free(this.p); this.p = 0; }
    error() { return this.e.string(this.x.pg_error(this.p)); }
    check(status) { if (status !== 0) throw new Error(this.error()); }

    /* `micrograd train`'s option name (no dashes) and value as text. Throws on a bad one. */
    set(name, value) { this.check(this.e.withStrings([name, value], (n, v) => this.x.pg_set(this.p, n, v))); }
    get(name) { return this.e.withStrings([name], (n) => this.e.string(this.x.pg_get(this.p, n))); }
    configure(settings) { for (const [k, v] of Object.entries(settings)) this.set(k, v); }
    reset() { this.check(this.x.pg_reset(this.p)); }
    /* n more steps; returns their batch losses. */
    train(n) {
      this.check(this.x.pg_train(this.p, n));
      return this.e.doubles(this.x.pg_step_losses(this.p), this.x.pg_nstep_losses(this.p));
    }
    command() { return this.e.string(this.x.pg_command(this.p)); }
    steps() { return this.x.pg_steps(this.p); }
    loss(which = TRAIN) { return this.x.pg_loss(this.p, which); }
    accuracy(which = TRAIN) { return this.x.pg_accuracy(this.p, which); }
    nclasses() { return this.x.pg_nclasses(this.p); }
    points(which = TRAIN) {
      const n = this.x.pg_npoints(this.p, which);
      return { n, x: this.e.doubles(this.x.pg_points(this.p, which), 2 * n),
               y: this.e.doubles(this.x.pg_labels(this.p, which), n) };
    }
    /* The model's outputs over an nx by ny grid of [x0, x1] x [y0, y1], [nx*ny][nout]. */
    grid(nx, ny, x0, x1, y0, y1) {
      const ptr = this.x.pg_grid(this.p, nx, ny, x0, x1, y0, y1);
      if (!ptr) throw new Error(this.error());
      return this.e.doubles(ptr, nx * ny * this.x.pg_nout(this.p));
    }
    network() {
      const sizes = [];
      for (let l = 0; l < this.x.pg_nlayers(this.p); l++) sizes.push(this.x.pg_layer_size(this.p, l));
      return { nin: 2, sizes, params: this.e.doubles(this.x.pg_params(this.p), this.x.pg_nparams(this.p)) };
    }
    /* One row's loss graph after backward: {loss, nodes: [{op, text, label, role, data, grad, in}]} */
    graph(which, i) {
      const ptr = this.x.pg_graph(this.p, which, i);
      if (!ptr) throw new Error(this.error());
      return JSON.parse(this.e.string(ptr));
    }
    dot() { return this.e.string(this.x.pg_graph_dot(this.p)); }
  }

  const api = { Engine, Session, TRAIN, VAL };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.MicrogradPlayground = api;
})(typeof self !== 'undefined' ? self : globalThis);
