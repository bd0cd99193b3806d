/* chaingrad's stepping page: walks the backward pass (optionally the forward pass first) on the graph.
   The data comes from the page's own <script type="application/json" class="cgp-data">; each stepper works
   inside its own root element, so several can share one notebook. */
(function () {
  "use strict";

  function init(root) {
    if (root.getAttribute("data-cgp-ready")) return;
    root.setAttribute("data-cgp-ready", "1");
    var D = JSON.parse(root.querySelector(".cgp-data").textContent);
    var steps = D.steps, ops = D.ops, T = D.tensors, V = D.values, views = D.views;
    var $ = function (sel) { return root.querySelector(sel); };
    var scroll = $(".cgp-scroll"), slider = $(".cgp-slider"), count = $(".cgp-count");
    var panel = $(".cgp-step"), leavesBox = $(".cgp-leaves"), playBtn = $(".cgp-play");
    var speedSel = $(".cgp-speed"), modeBox = $(".cgp-mode"), backBtn = $(".cgp-back"), vtitle = $(".cgp-vtitle");
    var forward = false, pos = 1, timer = null, scale = 1, viewIndex = 0, svgEl = null, edgeOf = {}, nodeOf = {};
    var seq = [];

    // gradient events per tensor: [{q, n, g, tot, fin}] in step order
    var events = {};
    steps.forEach(function (s, q) {
      s.acc.forEach(function (ev) {
        (events[ev.t] = events[ev.t] || []).push({q: q, n: ev.n, g: ev.g, tot: ev.tot, fin: ev.fin});
      });
    });
    function gradAt(j, b) { // the latest event of tensor j at or before backward step b (0-based), or null
      var evs = events[j], last = null;
      if (!evs) return null;
      for (var i = 0; i < evs.length && evs[i].q <= b; i++) last = evs[i];
      return last;
    }

    function el(tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text !== undefined) e.textContent = text;
      return e;
    }
    function value(vi, cls) { // a value: small ones in full, big ones summarized with a heat map
      var span = el("span", "cgp-code" + (cls ? " " + cls : ""));
      if (vi === null || vi === undefined) { span.textContent = "(not kept)"; return span; }
      var v = V[vi];
      if (typeof v === "string") { span.textContent = v; return span; }
      span.className = "cgp-sum" + (cls ? " " + cls : "");
      span.appendChild(el("span", "cgp-code", "[" + v.s.join(", ") + "]"));
      span.appendChild(document.createTextNode(" min " + v.mn + ", max " + v.mx + ", mean " + v.me));
      span.appendChild(heat(v.h));
      return span;
    }
    function heat(h) {
      var c = document.createElement("canvas"), rows = h[0], cols = h[1], hex = h[2];
      c.width = cols; c.height = rows; c.className = "cgp-heat";
      c.title = "heat map (block means): blue negative, white zero, red positive";
      var cell = Math.max(2, Math.min(6, 40 / rows, 96 / cols));
      c.style.width = Math.round(cols * cell) + "px"; c.style.height = Math.round(rows * cell) + "px";
      var ctx = c.getContext("2d"), img = ctx.createImageData(cols, rows);
      for (var i = 0; i < rows * cols; i++) {
        var t = (parseInt(hex.substr(2 * i, 2), 16) - 128) / 127, r, g, b;
        if (t >= 0) { r = 255; g = b = Math.round(255 * (1 - t)); } else { b = 255; r = g = Math.round(255 * (1 + t)); }
        img.data[4 * i] = r; img.data[4 * i + 1] = g; img.data[4 * i + 2] = b; img.data[4 * i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      return c;
    }
    function short(vi) { // a value in a few characters, for a box's gradient line
      var v = V[vi];
      return typeof v === "string" ? v : "in [" + v.mn + ", " + v.mx + "]";
    }
    function row(label, content) {
      var r = el("div", "cgp-row");
      r.appendChild(el("b", "", label));
      var s = el("span");
      if (typeof content === "string") s.appendChild(el("span", "cgp-code", content)); else s.appendChild(content);
      r.appendChild(s);
      return r;
    }
    function frag() {
      var f = el("span");
      for (var i = 0; i < arguments.length; i++) {
        var a = arguments[i];
        f.appendChild(typeof a === "string" ? document.createTextNode(a) : a);
      }
      return f;
    }
    function paren(name) { return /^[A-Za-z_][\w.\[\]]*$|^[\d.]+$/.test(name) ? name : "(" + name + ")"; }
    function dL(j) { return "dL/d" + paren(T[j].n); }

    // -- the graph views ----------------------------------------------------------------------------------
    function showView(i) {
      viewIndex = i;
      if (i === 0) {
        if (!root._cgpOverview) root._cgpOverview = scroll.firstElementChild;
        scroll.replaceChildren(root._cgpOverview);
      } else {
        var tpl = root.querySelector("template[data-view='" + i + "']");
        scroll.replaceChildren(tpl.content.firstElementChild.cloneNode(true));
      }
      svgEl = scroll.querySelector("svg");
      edgeOf = {}; nodeOf = {};
      svgEl.querySelectorAll(".cgp-e").forEach(function (p) { edgeOf[p.getAttribute("data-a") + ">" + p.getAttribute("data-b")] = p; });
      svgEl.querySelectorAll(".cgp-n").forEach(function (n) { nodeOf[n.getAttribute("data-id")] = n; });
      svgEl.querySelectorAll(".cgp-gl").forEach(function (t) { t.setAttribute("data-final", t.textContent); });
      backBtn.hidden = i === 0;
      vtitle.textContent = i === 0 ? "" : "opened: " + views[i].title;
      zoom(fitScale());
      render();
    }
    function fitScale() {
      var w = parseFloat(svgEl.getAttribute("width")), avail = scroll.clientWidth - 10;
      return Math.max(0.7, Math.min(1.25, avail / w));
    }
    function zoom(s) {
      scale = Math.max(0.2, Math.min(3, s));
      svgEl.style.width = parseFloat(svgEl.getAttribute("width")) * scale + "px";
      svgEl.style.height = parseFloat(svgEl.getAttribute("height")) * scale + "px";
    }
    function opEl(k) { var id = views[viewIndex].op[k]; return id ? nodeOf[id] : null; }
    function tEl(j) { var id = views[viewIndex].t[j]; return id ? nodeOf[id] : null; }
    function edge(a, b) { return a && b ? edgeOf[a.getAttribute("data-id") + ">" + b.getAttribute("data-id")] : null; }
    function mark(e, cls) { if (e) e.classList.add(cls); }
    function reveal(e) {
      if (!e) return;
      var bb = e.getBBox(), cx = (bb.x + bb.width / 2) * scale, cy = (bb.y + bb.height / 2) * scale;
      if (cx < scroll.scrollLeft + 20 || cx > scroll.scrollLeft + scroll.clientWidth - 20) scroll.scrollLeft = cx - scroll.clientWidth / 2;
      if (cy < scroll.scrollTop + 20 || cy > scroll.scrollTop + scroll.clientHeight - 20) scroll.scrollTop = cy - scroll.clientHeight / 2;
    }
    function label(path, text) {
      var len = path.getTotalLength(), p = path.getPointAtLength(len / 2);
      var t = document.createElementNS("http://www.w3.org/2000/svg", "text");
      t.setAttribute("class", "cgp-ublabel");
      t.setAttribute("x", p.x); t.setAttribute("y", p.y - 8);
      t.textContent = text;
      svgEl.appendChild(t);
    }

    // -- one position ------------------------------------------------------------------------------------
    function buildSeq() {
      seq = [];
      if (forward) for (var k = 0; k < ops.length; k++) seq.push({f: k});
      for (var i = 0; i < steps.length; i++) seq.push({b: i});
      slider.max = Math.max(seq.length, 1);
    }
    function go(p) {
      pos = Math.max(1, Math.min(seq.length, p | 0));
      render();
    }
    function follow(k) { // an opened group that does not hold op k gives way to the one that does
      if (views[viewIndex].op[k]) return false;
      var to = 0;
      for (var i = 1; i < views.length; i++) if (views[i].members.indexOf(k) >= 0) to = i;
      if (!views[to].op[k]) to = 0;
      if (to === viewIndex) return false;
      showView(to);
      return true;
    }
    function render() {
      if (!seq.length) return;
      var item = seq[pos - 1];
      var k0 = item.f !== undefined ? item.f : steps[item.b].o;
      if (follow(k0)) return;
      svgEl.querySelectorAll(".cur,.arrive,.recv,.send,.fwd,.ub,.fwdout").forEach(function (e) {
        e.classList.remove("cur", "arrive", "recv", "send", "fwd", "ub", "fwdout");
      });
      svgEl.querySelectorAll(".cgp-ublabel").forEach(function (e) { e.remove(); });
      var b = item.b === undefined ? -1 : item.b, fk = item.f === undefined ? ops.length : item.f, cur;
      // gradient lines of the boxes: hidden until a gradient arrives, orange while partial
      svgEl.querySelectorAll(".cgp-gl").forEach(function (t) {
        var j = +t.parentNode.getAttribute("data-id").slice(1), ev = gradAt(j, b);
        t.classList.remove("wait", "part");
        if (!ev) { t.classList.add("wait"); return; }
        if (ev.fin) { t.textContent = t.getAttribute("data-final"); return; }
        t.classList.add("part");
        t.textContent = "grad so far " + short(ev.tot);
      });
      svgEl.querySelectorAll(".cgp-vl").forEach(function (t) {
        var j = +t.parentNode.getAttribute("data-id").slice(1);
        var k = producer[j];
        t.classList.toggle("wait", forward && k !== undefined && k > fk && b < 0);
      });
      if (item.f !== undefined) {
        var op = ops[item.f];
        cur = opEl(item.f);
        mark(cur, "cur");
        op.in.forEach(function (j) { mark(edge(tEl(j), cur), "fwd"); });
        op.out.forEach(function (j) { mark(edge(cur, tEl(j)), "fwd"); mark(tEl(j), "fwdout"); });
        showForward(item.f);
      } else {
        var s = steps[b];
        cur = opEl(s.o);
        mark(cur, "cur");
        if (s.kind === "unbroadcast") {
          var pe = edge(tEl(s.t), cur);
          mark(tEl(s.t), "recv");
          if (pe) { pe.classList.add("ub"); label(pe, "\u03a3 over dim " + s.dims.join(", ")); }
        } else {
          if (s.out !== null) { mark(edge(cur, tEl(s.out)), "arrive"); mark(tEl(s.out), "arrive"); }
          s.ins.forEach(function (inp) {
            if (inp.c || inp.g === null) return;
            mark(edge(tEl(inp.t), cur), "send");
            if (tEl(inp.t) !== cur) mark(tEl(inp.t), "recv");
          });
        }
        showBackward(b);
      }
      if (cur) cur.classList.add("cur");
      reveal(cur);
      showLeaves(b);
      slider.value = pos;
      count.textContent = (item.f !== undefined ? "fwd " : "") + pos + " / " + seq.length;
      root.setAttribute("data-step", pos);
      if (D.standalone) {
        var h = "#" + (forward ? "mode=forward&" : "") + "step=" + pos;
        if (location.hash !== h) history.replaceState(null, "", h);
      }
    }
    var producer = {};
    ops.forEach(function (op, k) { op.out.forEach(function (j) { producer[j] = k; }); });

    function where(k) { // a note when the op sits inside a collapsed box
      var id = views[viewIndex].op[k], v = views[viewIndex];
      if (!id) return "";
      if (v.chains[id]) return "This op is folded into a chain box: op " + (v.chains[id].indexOf(k) + 1) + " of " + v.chains[id].length + ".";
      if (v.opens[id]) return "This op is inside the highlighted box; click the box to open it.";
      return "";
    }
    function head(title, small) {
      var h = el("h3", "", title);
      if (small) h.appendChild(el("small", "", small));
      return h;
    }
    function showForward(k) {
      var op = ops[k];
      panel.replaceChildren(head("Forward " + (k + 1) + " of " + ops.length + ": " + op.op,
                                 "the forward pass computes the values"));
      op.out.forEach(function (j) {
        panel.appendChild(row("computes", T[j].n === op.text ? op.text : T[j].n + " = " + op.text));
        var v = T[j].v;
        panel.appendChild(row("value", v === null ? frag(el("span", "cgp-code", T[j].s),
          " (the graph did not keep this value: assign it to a variable or set .name to see it)") : value(v)));
      });
      op.in.forEach(function (j) {
        panel.appendChild(row("input", frag(el("span", "cgp-code", T[j].n + " " + T[j].s), " = ",
          T[j].v === null ? el("span", "cgp-code", "(not kept)") : value(T[j].v))));
      });
      var w = where(k);
      if (w) panel.appendChild(el("p", "cgp-note", w));
      if (k === ops.length - 1) panel.appendChild(el("p", "cgp-note", "Next: the backward pass, from " + D.output + " back to the leaves."));
    }
    function accNotes(box, s, j) {
      s.acc.forEach(function (ev) {
        if (ev.t !== j) return;
        var d = el("div", "cgp-acc");
        if (ev.n > 1) d.appendChild(frag(dL(j) + " += ", value(ev.g), "  (" + ev.n + " paths met), now ", value(ev.tot)));
        if (ev.fin) {
          var leaf = T[j].k === "leaf";
          d.appendChild(frag(el("span", "cgp-done", (ev.n > 1 ? " complete. " : dL(j) + " is complete") +
            (leaf ? ": what .backward() adds to " + T[j].n + ".grad" : ""))));

        } else if (ev.n === 1) {
          d.appendChild(frag("first part of " + dL(j) + "; more paths add to it later"));
        }
        box.appendChild(d);
      });
    }
    function showBackward(b) {
      var s = steps[b], N = steps.length;
      if (s.kind === "unbroadcast") {
        var j = s.t;
        panel.replaceChildren(head("Step " + (b + 1) + " of " + N + ": sum over broadcast dims", "done by the engine, on the edge into " + T[j].n));
        panel.appendChild(el("p", "cgp-note", T[j].n + " " + s.to + " was broadcast to " + s.from +
          " in the forward pass, so its gradient is summed back over dim " + s.dims.join(", ") + "."));
        panel.appendChild(row("arriving", frag(dL(j) + " (broadcast) = ", value(s.gout, "cgp-g"))));
        panel.appendChild(row("summed", frag("sum over dim " + s.dims.join(", ") + " = ", value(s.g, "cgp-g"))));
        accNotes(panel, s, j);
        return;
      }
      panel.replaceChildren(head("Step " + (b + 1) + " of " + N + ": " + s.op, s.node));
      if (s.out !== null) panel.appendChild(row("arriving", frag(dL(s.out) + " = ", value(s.gout, "cgp-g"))));
      var w = where(s.o);
      if (w) panel.appendChild(el("p", "cgp-note", w));
      s.ins.forEach(function (inp) {
        var box = el("div", "cgp-in"), name = T[inp.t].n;
        box.appendChild(el("div", "", "to " + (inp.l !== name ? inp.l + " = " : "") + name + " " + T[inp.t].s));
        if (inp.c || inp.g === null) {
          box.appendChild(el("div", "cgp-note", inp.c ? "a constant: no gradient needed" : "no gradient flows here"));
          panel.appendChild(box);
          return;
        }
        box.appendChild(row("rule", inp.f));
        if (inp.fn) box.appendChild(row("with names", inp.fn));
        if (inp.fx) box.appendChild(row("with numbers", inp.fx));
        box.appendChild(row("sends", frag(value(inp.g, "cgp-g"))));
        if (inp.sum) box.appendChild(el("div", "cgp-note", "the shapes differ (broadcasting): the next step sums it down to " + T[inp.t].s));
        accNotes(box, s, inp.t);
        panel.appendChild(box);
      });
      if (b === N - 1) panel.appendChild(el("p", "cgp-note cgp-done", "Last step: every leaf has its gradient."));
    }
    function showLeaves(b) {
      leavesBox.replaceChildren(head("Leaf gradients", "what .backward() adds to .grad"));
      D.leaves.forEach(function (lf) {
        var ev = gradAt(lf.t, b), r = el("div", "cgp-leaf");
        r.appendChild(el("span", "cgp-lname", dL(lf.t)));
        r.appendChild(el("span", "cgp-lshape", T[lf.t].s));
        if (!ev) { r.classList.add("wait"); r.appendChild(el("span", "", "waiting")); }
        else if (ev.fin) { r.appendChild(value(lf.g, "cgp-g")); }
        else { r.appendChild(frag("so far ", value(ev.tot))); }
        if (ev && ev.q === b) r.classList.add("now");
        leavesBox.appendChild(r);
      });
    }

    // -- controls ----------------------------------------------------------------------------------------
    function stop() { if (timer) { clearInterval(timer); timer = null; } playBtn.textContent = "\u25B6 play"; playBtn.setAttribute("aria-label", "play"); }
    function play() {
      if (timer) { stop(); return; }
      if (pos >= seq.length) go(1);
      playBtn.textContent = "\u275A\u275A pause"; playBtn.setAttribute("aria-label", "pause");
      timer = setInterval(function () {
        if (pos >= seq.length) { stop(); return; }
        go(pos + 1);
        if (pos >= seq.length) stop();
      }, 1100 / parseFloat(speedSel.value));
    }
    function setMode(fwd) {
      var b = seq.length ? seq[pos - 1].b : undefined;
      forward = fwd;
      modeBox.checked = fwd;
      buildSeq();
      pos = b === undefined ? 1 : b + 1 + (forward ? ops.length : 0);
      if (forward && b === 0) pos = 1;
      render();
    }
    $(".cgp-first").addEventListener("click", function () { stop(); go(1); });
    $(".cgp-prev").addEventListener("click", function () { stop(); go(pos - 1); });
    $(".cgp-next").addEventListener("click", function () { stop(); go(pos + 1); });
    $(".cgp-last").addEventListener("click", function () { stop(); go(seq.length); });
    playBtn.addEventListener("click", play);
    speedSel.addEventListener("change", function () { if (timer) { stop(); play(); } });
    slider.addEventListener("input", function () { stop(); go(+slider.value); });
    modeBox.addEventListener("change", function () { stop(); setMode(modeBox.checked); });
    $(".cgp-zin").addEventListener("click", function () { zoom(scale * 1.25); });
    $(".cgp-zout").addEventListener("click", function () { zoom(scale / 1.25); });
    $(".cgp-zfit").addEventListener("click", function () {
      zoom((scroll.clientWidth - 10) / parseFloat(svgEl.getAttribute("width")));
    });
    backBtn.addEventListener("click", function () { showView(0); });
    scroll.addEventListener("click", function (ev) {
      var n = ev.target.closest ? ev.target.closest("[data-open]") : null;
      if (!n) return;
      for (var i = 1; i < views.length; i++) if (views[i].key === n.getAttribute("data-open")) { showView(i); return; }
    });
    function onKey(ev) {
      var tag = ev.target && ev.target.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      if (ev.key === "ArrowRight") { stop(); go(pos + 1); }
      else if (ev.key === "ArrowLeft") { stop(); go(pos - 1); }
      else if (ev.key === "Home") { stop(); go(1); }
      else if (ev.key === "End") { stop(); go(seq.length); }
      else if (ev.key === " " && tag !== "BUTTON") { play(); }
      else return;
      ev.preventDefault();
    }
    if (D.standalone) document.addEventListener("keydown", onKey); else root.addEventListener("keydown", onKey);
    function readHash() { // #step=5, #mode=forward&step=3
      var m = /step=(\d+)/.exec(location.hash), f = /mode=forward/.test(location.hash);
      if (f !== forward) { forward = f; modeBox.checked = f; buildSeq(); }
      if (m) pos = Math.max(1, Math.min(seq.length, +m[1]));
    }
    buildSeq();
    if (D.standalone) {
      readHash();
      window.addEventListener("hashchange", function () { readHash(); render(); });
    }
    showView(0);
  }

  var roots = document.querySelectorAll("[data-cgp]");
  for (var i = 0; i < roots.length; i++) init(roots[i]);
})();
