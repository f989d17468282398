/* draw.js - the playground's pictures: the decision boundary with the points, the loss
 * curves, the network with its weights as coloured edges, and one row's loss graph laid
 * out in columns (the loss on the right, as micrograd's draw_dot does). Plain canvas and
 * SVG; nothing here knows about the module. */
const PlaygroundDraw = (function () {
  'use strict';

  const CLASS_COLORS = [[245, 147, 34], [8, 119, 189], [46, 158, 71], [142, 68, 173], [214, 39, 40], [23, 190, 207]];
  const classColor = (k) => CLASS_COLORS[k % CLASS_COLORS.length];
  const css = (c, a) => (a === undefined ? `rgb(${c[0]},${c[1]},${c[2]})` : `rgba(${c[0]},${c[1]},${c[2]},${a})`);
  const SVG = 'http://www.w3.org/2000/svg';
  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  /* Class probabilities from one grid point's outputs, as the loss reads them. */
  function probabilities(out, loss, k) {
    if (loss === 'ce') {
      let m = -Infinity, s = 0;
      for (const z of out) m = Math.max(m, z);
      const e = out.map((z) => Math.exp(z - m));
      for (const v of e) s += v;
      return e.map((v) => v / s);
    }
    /* bce: a logit; hinge: a score whose sign is the class */
    const z = loss === 'hinge' ? 2 * out[0] : out[0];
    const p = 1 / (1 + Math.exp(-z));
    return k === 2 ? [1 - p, p] : [1 - p, p];
  }

  /* Canvas pixels of a data point. */
  function toCanvas(extent, w, h, x, y) {
    return [(x - extent.x0) / (extent.x1 - extent.x0) * w, (1 - (y - extent.y0) / (extent.y1 - extent.y0)) * h];
  }

  let offscreen = null;
  function boundary(canvas, s) {
    const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    if (!s.extent) return;
    if (s.grid) {
      const n = s.gridSize, k = s.nclasses, nout = s.nout;
      if (!offscreen || offscreen.width !== n) {
        offscreen = document.createElement('canvas');
        offscreen.width = offscreen.height = n;
      }
      const octx = offscreen.getContext('2d'), img = octx.createImageData(n, n);
      const out = new Array(nout);
      for (let j = 0; j < n; j++)
        for (let i = 0; i < n; i++) {
          const g = (j * n + i) * nout;
          for (let q = 0; q < nout; q++) out[q] = s.grid[g + q];
          const p = probabilities(out, s.loss, k);
          let best = 0;
          for (let q = 1; q < p.length; q++) if (p[q] > p[best]) best = q;
          const conf = isFinite(p[best]) ? (p[best] - 1 / p.length) / (1 - 1 / p.length) : 0;
          const a = 0.12 + 0.6 * conf, c = classColor(best);
          const o = ((n - 1 - j) * n + i) * 4; /* grid rows go up from y0 */
          img.data[o] = 255 + (c[0] - 255) * a;
          img.data[o + 1] = 255 + (c[1] - 255) * a;
          img.data[o + 2] = 255 + (c[2] - 255) * a;
          img.data[o + 3] = 255;
        }
      octx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true;
      /* grid points are pixel centres: stretch by half a cell beyond the extent */
      const cw = w / (n - 1), ch = h / (n - 1);
      ctx.drawImage(offscreen, -cw / 2, -ch / 2, w + cw, h + ch);
    }
    const r = Math.max(2.5, Math.min(5, 900 / Math.sqrt(s.train.n + s.val.n) / 12));
    const dot = (p, i, val) => {
      const [cx, cy] = toCanvas(s.extent, w, h, p.x[2 * i], p.x[2 * i + 1]);
      const c = classColor(p.y[i]);
      ctx.beginPath();
      ctx.arc(cx, cy, r, 0, 2 * Math.PI);
      if (val) {
        ctx.fillStyle = '#fff';
        ctx.fill();
        ctx.lineWidth = 2;
        ctx.strokeStyle = css(c);
      } else {
        ctx.fillStyle = css(c);
        ctx.fill();
        ctx.lineWidth = 1;
        ctx.strokeStyle = '#fff';
      }
      ctx.stroke();
    };
    for (let i = 0; i < s.train.n; i++) dot(s.train, i, false);
    for (let i = 0; i < s.val.n; i++) dot(s.val, i, true);
    if (s.selected) {
      const p = s.selected.which ? s.val : s.train, i = s.selected.index;
      const [cx, cy] = toCanvas(s.extent, w, h, p.x[2 * i], p.x[2 * i + 1]);
      ctx.beginPath();
      ctx.arc(cx, cy, r + 4, 0, 2 * Math.PI);
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#111';
      ctx.stroke();
    }
  }

  /* The point nearest to canvas pixel (px, py) within `radius` pixels, or null. */
  function nearest(s, w, h, px, py, radius) {
    let best = null, bd = radius * radius;
    [s.train, s.val].forEach((p, which) => {
      for (let i = 0; i < p.n; i++) {
        const [cx, cy] = toCanvas(s.extent, w, h, p.x[2 * i], p.x[2 * i + 1]);
        const d = (cx - px) ** 2 + (cy - py) ** 2;
        if (d <= bd) { bd = d; best = { which, index: i }; }
      }
    });
    return best;
  }

  /* Train and validation loss against steps, log scale. */
  function curves(canvas, points) {
    const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
    const L = 44, R = 8, T = 8, B = 20;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    const vals = [];
    for (const p of points) for (const v of [p.train, p.val]) if (v > 0 && isFinite(v)) vals.push(Math.log10(v));
    if (points.length < 1 || !vals.length) return;
    let lo = Math.floor(Math.min(...vals)), hi = Math.ceil(Math.max(...vals));
    if (hi - lo < 1) hi = lo + 1;
    const s0 = points[0].step, s1 = Math.max(points[points.length - 1].step, s0 + 1);
    const X = (st) => L + (st - s0) / (s1 - s0) * (w - L - R);
    const Y = (v) => T + (hi - Math.log10(v)) / (hi - lo) * (h - T - B);
    ctx.font = '10px sans-serif';
    ctx.fillStyle = '#616e7c';
    ctx.strokeStyle = '#e4e7eb';
    ctx.lineWidth = 1;
    const every = Math.ceil((hi - lo) / 5);
    for (let e = lo; e <= hi; e += every) {
      const y = Y(10 ** e);
      ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(w - R, y); ctx.stroke();
      ctx.fillText(`1e${e}`, 4, y + 3);
    }
    ctx.fillText(`${s0}`, L, h - 5);
    const last = `${s1} steps`;
    ctx.fillText(last, w - R - ctx.measureText(last).width, h - 5);
    const line = (key, color) => {
      ctx.beginPath();
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.6;
      let started = false;
      /* at most one point per pixel column */
      const stride = Math.max(1, Math.floor(points.length / (w - L - R)));
      for (let i = 0; i < points.length; i += stride) {
        const v = points[i][key];
        if (!(v > 0 && isFinite(v))) continue;
        if (started) ctx.lineTo(X(points[i].step), Y(v));
        else { ctx.moveTo(X(points[i].step), Y(v)); started = true; }
      }
      const p = points[points.length - 1];
      if (started && p[key] > 0 && isFinite(p[key])) ctx.lineTo(X(p.step), Y(p[key]));
      ctx.stroke();
    };
    line('train', '#0b6bcb');
    line('val', '#c2410c');
  }

  /* ==== the network ==================================================================== */

  let netKey = '', netEdges = [], netNodes = [];
  /* net: {nin, sizes (output layer included), params in micrograd's order}; out: what the
   * outputs mean ({loss, nclasses}). Above each hidden layer, a "- N +" control whose
   * parts carry data-l (the layer) and data-d (-1 or +1) for the page to act on. */
  function network(svg, net, out) {
    const W = 600, H = 420, TOP = 64, layers = [net.nin, ...net.sizes];
    const key = layers.join(',') + out.loss;
    if (key !== netKey) {
      netKey = key;
      svg.innerHTML = '';
      svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
      const xs = layers.map((_, l) => 44 + l * (W - 120) / (layers.length - 1));
      const ys = layers.map((n) => Array.from({ length: n }, (_, i) => (n === 1 ? (TOP + H) / 2 : TOP + i * (H - TOP - 16) / (n - 1))));
      const r = Math.max(3, Math.min(9, (H - TOP - 16) / Math.max(...layers) / 2.6));
      const gEdges = el('g', {}, svg), gNodes = el('g', {}, svg);
      netEdges = [];
      netNodes = [];
      let off = 0;
      for (let l = 1; l < layers.length; l++) {
        const nin = layers[l - 1];
        for (let j = 0; j < layers[l]; j++) {
          for (let i = 0; i < nin; i++) {
            const e = el('line', { x1: xs[l - 1], y1: ys[l - 1][i], x2: xs[l], y2: ys[l][j] }, gEdges);
            const t = el('title', {}, e);
            netEdges.push({ e, t, p: off + i, name: `L${l - 1}.N${j}.w${i}` });
          }
          netNodes.push({ l, j, bias: off + nin });
          off += nin + 1;
        }
      }
      const last = layers.length - 1;
      layers.forEach((n, l) => {
        for (let i = 0; i < n; i++) {
          const c = el('circle', { cx: xs[l], cy: ys[l][i], r, class: 'node' + (l === 0 ? ' in' : l === last ? ' out' : '') }, gNodes);
          if (l === last && out.loss === 'ce') c.setAttribute('style', `fill:${css(classColor(i), 0.35)}`);
          if (l > 0) netNodes.find((q) => q.l === l && q.j === i).title = el('title', {}, c);
        }
      });
      el('text', { x: xs[0] - 24, y: ys[0][0] + 4 }, gNodes).textContent = 'x';
      el('text', { x: xs[0] - 24, y: ys[0][1] + 4 }, gNodes).textContent = 'y';
      const names = out.loss === 'ce' ? layers[last] > 4 ? [] : Array.from({ length: layers[last] }, (_, k) => `class ${k}`)
                                      : [out.loss === 'bce' ? 'logit of 1' : 'score of 1'];
      names.forEach((t, k) => { el('text', { x: xs[last] + r + 6, y: ys[last][k] + 4 }, gNodes).textContent = t; });
      for (let l = 1; l < last; l++) {
        const g = el('g', { class: 'width-control' }, svg);
        el('text', { x: xs[l], y: 22, 'text-anchor': 'middle', class: 'width' }, g).textContent = `${layers[l]}`;
        for (const [d, dx, sym] of [[-1, -26, '\u2212'], [1, 26, '+']]) {
          const b = el('g', { 'data-l': l - 1, 'data-d': d, class: 'width-button' }, g);
          el('rect', { x: xs[l] + dx - 11, y: 8, width: 22, height: 20, rx: 4, 'data-l': l - 1, 'data-d': d }, b);
          el('text', { x: xs[l] + dx, y: 23, 'text-anchor': 'middle', 'data-l': l - 1, 'data-d': d }, b).textContent = sym;
          el('title', {}, b).textContent = d > 0 ? 'one more neuron' : 'one neuron fewer';
        }
        el('text', { x: xs[l], y: 44, 'text-anchor': 'middle' }, g).textContent = 'neurons';
      }
    }
    let m = 1e-12;
    for (const q of netEdges) m = Math.max(m, Math.abs(net.params[q.p]));
    for (const q of netEdges) {
      const w = net.params[q.p], a = Math.abs(w) / m;
      q.e.setAttribute('stroke', w >= 0 ? '#0877bd' : '#f59322');
      q.e.setAttribute('stroke-width', (0.4 + 3.6 * a).toFixed(2));
      q.e.setAttribute('stroke-opacity', (0.15 + 0.85 * a).toFixed(2));
      q.t.textContent = `${q.name} = ${w}`;
    }
    for (const q of netNodes) if (q.title) q.title.textContent = `L${q.l - 1}.N${q.j}.b = ${net.params[q.bias]}`;
  }

  /* ==== one row's loss graph ============================================================ */

  function short(x) {
    if (x === null) return 'nan';
    const a = Math.abs(x);
    if (a === 0) return '0';
    if (a >= 1e-3 && a < 1e5) return x.toFixed(4);
    return x.toExponential(2);
  }

  /* g: {loss, nodes: [{op, text, label, role, data, grad, in}]} in tape order. With fold,
   * parameters that feed only dot values are drawn inside those values, not as nodes. */
  function graph(svg, g, fold, zoom) {
    const nodes = g.nodes, n = nodes.length;
    const users = Array.from({ length: n }, () => []);
    nodes.forEach((v, i) => v.in.forEach((u) => users[u].push(i)));
    const hidden = nodes.map((v, i) => fold && v.role === 'param' && users[i].length > 0 &&
                                      users[i].every((u) => nodes[u].op === 'dot'));
    /* columns: the longest path to the loss */
    const rank = new Array(n).fill(-1);
    rank[g.loss] = 0;
    for (let i = n - 1; i >= 0; i--) {
      if (rank[i] < 0) continue;
      for (const u of nodes[i].in) if (!hidden[u]) rank[u] = Math.max(rank[u], rank[i] + 1);
    }
    const maxRank = Math.max(...rank);
    const cols = Array.from({ length: maxRank + 1 }, () => []);
    const pos = new Array(n).fill(0);
    for (let i = 0; i < n; i++) if (rank[i] >= 0 && !hidden[i]) cols[rank[i]].push(i);
    /* order each column by where its users sit, from the loss outwards */
    for (let r = 0; r <= maxRank; r++) {
      const key = (i) => {
        const us = users[i].filter((u) => rank[u] >= 0 && rank[u] < r);
        return us.length ? us.reduce((s, u) => s + pos[u], 0) / us.length : i;
      };
      if (r > 0) cols[r].sort((a, b) => key(a) - key(b) || a - b);
      cols[r].forEach((i, k) => { pos[i] = k - (cols[r].length - 1) / 2; });
    }
    const BOX = 250, OP = 30, COL = BOX + OP + 46, ROW = 34, PAD = 20;
    const tallest = Math.max(...cols.map((c) => c.length));
    const W = PAD * 2 + (maxRank + 1) * COL, H = PAD * 2 + tallest * ROW;
    const X = (i) => PAD + OP + 16 + (maxRank - rank[i]) * COL;
    const Y = (i) => PAD + H / 2 - PAD + pos[i] * ROW;
    svg.innerHTML = '';
    svg.setAttribute('width', W * zoom);
    svg.setAttribute('height', H * zoom);
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const gEdges = el('g', {}, svg), gNodes = el('g', {}, svg);
    for (let i = 0; i < n; i++) {
      if (rank[i] < 0 || hidden[i]) continue;
      const v = nodes[i], x = X(i), y = Y(i);
      const role = i === g.loss ? 'root' : v.role === 'op' ? 'opv' : v.role;
      const box = el('g', {}, gNodes);
      el('rect', { x, y: y - 11, width: BOX, height: 22, rx: 3, class: 'val ' + role }, box);
      /* micrograd's record: label | data | grad (no label: the inputs are named by role) */
      const label = v.label || (v.op === 'leaf' ? v.role : '');
      const t = el('text', { x: x + 5, y: y + 4 }, box);
      t.textContent = `${label ? label.slice(0, 12) + ' | ' : ''}data ${short(v.data)} | grad ${short(v.grad)}`;
      const tip = el('title', {}, box);
      let tipText = `${v.label || v.op}\ndata ${v.data}\ngrad ${v.grad}`;
      if (fold && v.op === 'dot') {
        const ws = v.in.filter((u) => hidden[u]).map((u) => `${nodes[u].label}: data ${nodes[u].data}, grad ${nodes[u].grad}`);
        if (ws.length) tipText += '\n' + ws.join('\n');
      }
      tip.textContent = tipText;
      if (v.op !== 'leaf') {
        const cx = x - OP / 2 - 8;
        el('line', { x1: cx + 13, y1: y, x2: x, y2: y, class: 'edge' }, gEdges);
        el('ellipse', { cx, cy: y, rx: 15, ry: 11, class: 'op' }, gNodes);
        const ot = el('text', { x: cx, y: y + 4, 'text-anchor': 'middle' }, gNodes);
        ot.textContent = v.text.length > 4 ? v.text.slice(0, 4) : v.text;
        for (const u of v.in) {
          if (hidden[u] || rank[u] < 0) continue;
          const x1 = X(u) + BOX, y1 = Y(u), x2 = cx - 15;
          el('path', { d: `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y} ${x2},${y}`, class: 'edge' }, gEdges);
        }
      }
    }
    return { shown: nodes.filter((_, i) => rank[i] >= 0 && !hidden[i]).length, folded: hidden.filter(Boolean).length };
  }

  return { boundary, nearest, toCanvas, curves, network, graph, classColor, css };
})();
