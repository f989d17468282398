/* page.js - plays the backprop page's frames (micrograd.h section 13d). Every number it
   shows comes from the JSON block the library wrote: data from the tape, each backward
   term and each grad before and after it from mg_backward_steps. Nothing is computed
   here but the text around those numbers. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("mg-frames").textContent);
  var P = D.precision;
  var byId = {};
  D.nodes.forEach(function (n) {
    n.data = Number(n.data); /* "NaN" and "Infinity" arrive as strings */
    n.grad = Number(n.grad);
    byId[n.id] = n;
  });
  D.backward.forEach(function (s) {
    ["grad", "local", "term", "before", "after"].forEach(function (k) { s[k] = Number(s[k]); });
  });
  var root = byId[D.root];
  var $ = function (id) { return document.getElementById(id); };
  var svg = document.querySelector("#graph svg");

  /* ---- numbers as text ---------------------------------------------------------- */

  /* A field's number as C's printf writes it (the drawings' "%.4f", page.c's widths):
     fixed, exponential past 1e15, -0 with its sign, and a tie (0.03125 to 4 places)
     rounded to even, where toFixed would round it up. */
  function field(x) {
    if (isNaN(x)) return "nan";
    if (!isFinite(x)) return x < 0 ? "-inf" : "inf";
    if (Math.abs(x) >= 1e15) return x.toExponential(P); /* e+15 .. e+308, as C's %e */
    var s = x.toFixed(P), sign = x < 0 || Object.is(x, -0) ? "-" : "";
    var t = Math.abs(x).toFixed(100), cut = t.indexOf(".") + (P ? P + 1 : 0);
    if (/^\.?50*$/.test(t.slice(cut)) && "02468".indexOf(t.charAt(cut - 1)) >= 0)
      return sign + t.slice(0, cut); /* a tie whose kept digit is even: C keeps it */
    return s.charAt(0) === "-" ? s : sign + s;
  }
  /* A number exactly, as JSON wrote it (the shortest digits that read back the same). */
  function exact(x) { return Object.is(x, -0) ? "-0" : String(x); }
  /* A number in the panel: exact when short, else 6 significant digits. */
  function num(x) {
    if (isNaN(x)) return "nan";
    if (!isFinite(x)) return x < 0 ? "-inf" : "inf";
    var s = String(x);
    if (s.length <= 10) return s;
    return String(Number(x.toPrecision(6)));
  }
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  /* A name inside d.../d...: bracketed when it is more than one word or symbol. */
  function dname(n) { return /^[\w\u0080-\uffff.]+$/.test(n.name) ? n.name : "(" + n.name + ")"; }
  function d(top, bottom) { return "d" + dname(top) + "/d" + dname(bottom); }
  function nm(n) { return esc(n.name); }

  /* ---- the SVG's elements --------------------------------------------------------- */

  var els = {};
  D.nodes.forEach(function (n) {
    var g = $("v" + n.id);
    var texts = g ? g.querySelectorAll("text") : [];
    els[n.id] = {
      g: g, op: $("v" + n.id + "op"), out: $("v" + n.id + "e"),
      data: texts.length >= 2 ? texts[texts.length - 2] : null,
      grad: texts.length >= 2 ? texts[texts.length - 1] : null,
      shown: {}
    };
    els[n.id].title = g && g.querySelector("title"); /* the tooltip: exact numbers */
  });
  function edge(v, k) { return $("v" + v + "e" + k); }

  /* ---- frames ------------------------------------------------------------------------ */

  var frames = [{ kind: "start" }];
  D.forward.forEach(function (id, j) { frames.push({ kind: "forward", id: id, j: j }); });
  var seed = frames.length;
  frames.push({ kind: "seed" });
  D.backward.forEach(function (s, j) { frames.push({ kind: "step", s: s, j: j }); });
  frames.push({ kind: "done" });
  var forwardAt = {}; /* node id -> its forward frame */
  D.forward.forEach(function (id, j) { forwardAt[id] = j + 1; });

  /* The state at frame f: which data are known, and every grad so far (null: not yet). */
  function state(f) {
    var grads = {}, known = {};
    D.nodes.forEach(function (n) {
      known[n.id] = n.op === "leaf" || f >= (forwardAt[n.id] || 0);
      grads[n.id] = f >= seed ? n.grad : null;
    });
    var last = frames[f].kind === "done" ? D.backward.length - 1
             : frames[f].kind === "step" ? frames[f].j : -1;
    for (var j = 0; j <= last; j++) grads[D.backward[j].operand] = D.backward[j].after;
    return { grads: grads, known: known };
  }

  /* ---- the panel's words ------------------------------------------------------------- */

  var FUNCS = { exp: "exp", log: "log", tanh: "tanh", relu: "relu", sigmoid: "sigmoid", step: "step" };

  /* The formula of value n from its inputs, with names (nums = false) or numbers. */
  function formula(n, nums) {
    var paren = n.op === "neg" || n.op === "powc" || n.op === "pow"; /* -(-2), (-2)**2 */
    var ins = n.inputs.map(function (id) {
      var x = byId[id];
      return nums ? (paren && x.data < 0 ? "(" + num(x.data) + ")" : num(x.data)) : nm(x);
    });
    if (ins.length > 6 && (n.op === "sum" || n.op === "dot")) {
      return n.op === "sum" ? "the sum of " + ins.length + " values"
                            : "a dot product of " + Math.floor(ins.length / 2) + " pairs";
    }
    switch (n.op) {
      case "neg": return "-" + ins[0];
      case "powc": return ins[0] + n.sym;
      case "sum": return ins.join(" + ");
      case "dot": {
        var parts = n.bias ? [ins[0]] : [];
        for (var k = n.bias; k + 1 < ins.length; k += 2) parts.push(ins[k] + "*" + ins[k + 1]);
        return parts.join(" + ") || "0";
      }
      default:
        if (FUNCS[n.op]) return FUNCS[n.op] + "(" + ins[0] + ")";
        return ins[0] + " " + n.sym + " " + ins[1];
    }
  }

  /* Why d value / d operand k is what it is, in words and symbols. */
  function localRule(v, k) {
    var a = v.inputs[0] !== undefined ? byId[v.inputs[0]] : null;
    var b = v.inputs[1] !== undefined ? byId[v.inputs[1]] : null;
    switch (v.op) {
      case "add": case "sum": return "1";
      case "sub": return k ? "-1" : "1";
      case "mul": return k ? nm(a) : nm(b);
      case "div": return k ? "-" + nm(a) + "/" + nm(b) + "²" : "1/" + nm(b);
      case "neg": return "-1";
      case "powc": {
        var e = v.sym.slice(2); /* "**2" */
        return e + "*" + nm(a) + "**" + (Number(e) - 1);
      }
      case "pow": return k ? nm(v) + "*log(" + nm(a) + ")" : nm(b) + "*" + nm(a) + "**(" + nm(b) + " - 1)";
      case "exp": return "exp(" + nm(a) + ") = " + nm(v);
      case "log": return "1/" + nm(a);
      case "tanh": return "1 - " + nm(v) + "²";
      case "relu": return "1 if " + nm(a) + " > 0, else 0";
      case "sigmoid": return nm(v) + "*(1 - " + nm(v) + ")";
      case "step": return "0";
      case "dot": {
        if (v.bias && k === 0) return "1";
        var pair = k - ((k - v.bias) & 1), isX = (k - v.bias) & 1;
        return isX ? nm(byId[v.inputs[pair]]) : nm(byId[v.inputs[pair + 1]]);
      }
    }
    return "?";
  }

  function stepText(s, f) {
    var v = byId[s.value], u = byId[s.operand];
    var head = d(root, u) + " += " + d(root, v) + " * " + d(v, u);
    var rule, what, note;
    if (!s.added) {
      rule = esc(d(root, u)) + " += 0";
      what = nm(v) + " = " + formula(v, false) + " passes nothing back to " + nm(u) +
        (v.op === "relu" ? ": its input was not above 0, so " + esc(d(v, u)) + " = 0." : ".");
    } else {
      rule = esc(head) + " = " + num(s.grad) + " * " + num(s.local) +
        " = <span class=\"term\" title=\"" + String(s.term) + "\">" + num(s.term) + "</span>";
      what = nm(v) + " = " + formula(v, false) + ", so " + esc(d(v, u)) + " = " +
        localRule(v, s.k) + " = " + num(s.local) + ". Its gradient " + esc(d(root, v)) + " = " +
        num(s.grad) + " is complete: every value that uses " + nm(v) + " came after it and was done first.";
    }
    note = nm(u) + ".grad: " + num(s.before) + " → " + num(s.after) + ".";
    if (D.backward.some(function (t, j) { return j < f && t.operand === s.operand; }))
      note += " " + nm(u) + " is used more than once: its gradient adds up (+=) over its uses.";
    return { rule: rule, what: what, note: note };
  }

  function frameText(fr, f) {
    var leaves = D.nodes.filter(function (n) { return n.op === "leaf" && n.role !== "const"; });
    switch (fr.kind) {
      case "start": return {
        phase: "The graph",
        rule: nm(root) + " = " + formula(root, false),
        what: "Each box is a value: its name, its data and its gradient. Step on to run the " +
          "forward pass (each value from its inputs, in the order they were made), then backward.",
        note: D.nodes.length + " values, " + D.backward.length + " chain-rule terms." };
      case "forward": {
        var n = byId[fr.id];
        return {
          phase: "Forward · value " + (fr.j + 1) + " of " + D.forward.length,
          rule: nm(n) + " = " + formula(n, false) + " = " + formula(n, true) + " = " + num(n.data),
          what: "Forward computes each value from its inputs, which always exist before it.",
          note: "" };
      }
      case "seed": return {
        phase: "Backward begins",
        rule: esc(d(root, root)) + " = 1",
        what: "The gradient of " + nm(root) + " with respect to itself is 1. Backward visits " +
          "the values from " + nm(root) + " down, in reverse order; each adds its gradient " +
          "times a local derivative to each of its inputs: the chain rule.",
        note: "Every other gradient starts at 0." };
      case "step": {
        var t = stepText(fr.s, fr.j);
        t.phase = "Backward · term " + (fr.j + 1) + " of " + D.backward.length;
        return t;
      }
      default: return {
        phase: "Done",
        rule: leaves.slice(0, 12).map(function (n) {
          return esc(d(root, n)) + " = " + num(state(f).grads[n.id]);
        }).join("<br>") + (leaves.length > 12 ? "<br>…" : ""),
        what: "Every value now holds the gradient of " + nm(root) + " with respect to it: how " +
          "much " + nm(root) + " moves when that value is nudged.",
        note: "These are the engine's numbers: the same as mg_backward and micrograd eval give." };
    }
  }

  /* ---- drawing a frame --------------------------------------------------------------- */

  var marked = [];
  function mark(el, cls) {
    if (!el) return;
    el.classList.add(cls);
    marked.push([el, cls]);
  }
  function setText(e, which, text, exact, pending) {
    var t = e[which];
    if (!t || e.shown[which] === text) return;
    t.textContent = which + " " + text;
    t.classList.toggle("pending", !!pending);
    e.shown[which] = text;
    if (e.g) e.g.setAttribute("data-" + which, exact);
  }

  var cur = 0;
  function show(f) {
    cur = Math.max(0, Math.min(frames.length - 1, f));
    var fr = frames[cur], st = state(cur);
    marked.forEach(function (m) { m[0].classList.remove(m[1]); });
    marked = [];
    D.nodes.forEach(function (n) {
      var e = els[n.id], g = st.grads[n.id];
      setText(e, "data", st.known[n.id] ? field(n.data) : "·", st.known[n.id] ? exact(n.data) : "", !st.known[n.id]);
      setText(e, "grad", g === null ? "·" : field(g), g === null ? "" : exact(g), g === null);
      var tip = n.name + ": data " + (st.known[n.id] ? exact(n.data) : "?") + ", grad " + (g === null ? "?" : exact(g));
      if (e.title && e.shown.title !== tip) e.title.textContent = e.shown.title = tip;
    });
    var focus = null;
    if (fr.kind === "forward") {
      var n = byId[fr.id];
      mark(els[n.id].g, "cur"); mark(els[n.id].op, "cur"); mark(els[n.id].out, "hot");
      n.inputs.forEach(function (id, k) { mark(els[id].g, "src"); mark(edge(n.id, k), "hot"); });
      focus = els[n.id].g;
    } else if (fr.kind === "seed") {
      mark(els[root.id].g, "cur");
      focus = els[root.id].g;
    } else if (fr.kind === "step") {
      var s = fr.s;
      mark(els[s.value].g, "cur"); mark(els[s.value].op, "cur");
      mark(els[s.value].out, "hot"); mark(edge(s.value, s.k), "hot");
      mark(els[s.operand].g, "tgt"); mark(els[s.operand].grad, "changed");
      focus = els[s.operand].g;
    }
    var t = frameText(fr, cur);
    $("phase").textContent = t.phase;
    $("rule").innerHTML = t.rule;
    $("what").innerHTML = t.what;
    $("note").innerHTML = t.note;
    $("slider").value = cur;
    $("count").textContent = "frame " + (cur + 1) + " of " + frames.length;
    document.body.setAttribute("data-frame", cur);
    if (focus && !$("graph").classList.contains("fit")) follow(focus);
  }

  /* Scrolls the graph (not the page) so that el is in view. */
  function follow(el) {
    var box = $("graph"), r = el.getBoundingClientRect(), c = box.getBoundingClientRect();
    if (r.left < c.left || r.right > c.right)
      box.scrollLeft += (r.left + r.right) / 2 - (c.left + c.right) / 2;
    if (r.top < c.top || r.bottom > c.bottom)
      box.scrollTop += (r.top + r.bottom) / 2 - (c.top + c.bottom) / 2;
  }

  /* ---- controls ------------------------------------------------------------------------ */

  var timer = null;
  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    $("play").textContent = "Play";
    $("play").classList.remove("playing");
  }
  function play() {
    if (cur >= frames.length - 1) show(0);
    $("play").textContent = "Pause";
    $("play").classList.add("playing");
    timer = setInterval(function () {
      if (cur >= frames.length - 1) stop(); else show(cur + 1);
    }, 1000 / Number($("speed").value));
  }
  function toggle() { if (timer) stop(); else play(); }
  function go(f) { stop(); show(f); }

  $("slider").max = frames.length - 1;
  $("first").onclick = function () { go(0); };
  $("prev").onclick = function () { go(cur - 1); };
  $("next").onclick = function () { go(cur + 1); };
  $("last").onclick = function () { go(frames.length - 1); };
  $("play").onclick = toggle;
  $("speed").onchange = function () { if (timer) { stop(); play(); } };
  $("slider").oninput = function () { go(Number(this.value)); };
  /* Fitted to the width, or at full size (a point of the layout to a pixel) with scroll
     bars, following the frame's value. */
  function zoom(fit) {
    $("graph").classList.toggle("fit", fit);
    svg.style.width = fit ? "" : Math.round(vb.width) + "px";
    $("zoom").textContent = fit ? "Full size" : "Fit";
    if (!fit) show(cur);
  }
  $("zoom").onclick = function () { zoom(!$("graph").classList.contains("fit")); };
  document.addEventListener("keydown", function (e) {
    if (e.target === $("slider") || e.target === $("speed") || e.altKey || e.ctrlKey || e.metaKey) return;
    var k = e.key;
    if (k === "ArrowRight" || k === "ArrowDown") go(cur + 1);
    else if (k === "ArrowLeft" || k === "ArrowUp") go(cur - 1);
    else if (k === " " || k === "Spacebar") toggle();
    else if (k === "Home") go(0);
    else if (k === "End") go(frames.length - 1);
    else return;
    e.preventDefault();
  });
  var vb = svg.viewBox.baseVal;
  if (vb.width > 2.2 * vb.height) document.querySelector("main").classList.add("wide");
  document.body.setAttribute("data-frames", frames.length);
  show(0);
  /* Text shrunk past about 60% is hard to read: such a graph starts at full size. */
  if ($("graph").clientWidth < 0.6 * vb.width) zoom(false);
})();
