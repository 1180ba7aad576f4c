/**
 * @file The style and the script of a graph page (html.ts). The script is plain browser JavaScript
 * kept as text — it runs in the page, not here — and written without template literals so it can
 * sit inside this one. It reads the JSON block and the SVG Graphviz drew (`g.node`, `g.edge` and
 * `g.cluster` groups whose <title> is the DOT id) and adds: pan and zoom, a side panel per node,
 * folding of module clusters, search, dependency highlighting, the traced backward pass, composite
 * ops expanded in place (Note [expanding on the page] in html.ts) and a minimap (Note [opening view]).
 *
 * Note [opening view]: a wide graph fitted whole into the pane is a thin strip of unreadable text. The
 * page opens at the whole graph only when that is legible (scale ≥ LEGIBLE, text ~10 px high);
 * otherwise at LEGIBLE on the graph's start — its inputs, where a left-to-right graph begins — and a
 * minimap in the corner shows the whole drawing with the viewport's rectangle: click or drag in it to
 * move. The minimap is drawn once per drawing from the nodes' boxes (one rectangle each, on a canvas),
 * which the page carries (Note [a light page] in page-svg.ts): no layout read, no second copy of the SVG.
 * Tests drive it through tests/graph-page.test.ts in headless Chromium.
 */

export const PAGE_STYLE = `
html, body, header, header *, main, #viewport, #panel, #panel *, #minimap, #minimap * { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2329; height: 100vh; display: flex; flex-direction: column; }
header { padding: 8px 14px; border-bottom: 1px solid #d8dde3; }
h1 { font-size: 17px; margin: 0 0 6px; }
.tools { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.muted { color: #5b6570; }
#notice { margin: 6px 0 0; padding: 6px 10px; background: #fff4d6; border: 1px solid #e8c66a; border-radius: 4px; }
main { flex: 1; display: flex; min-height: 0; }
#viewport { flex: 1; overflow: hidden; position: relative; cursor: grab; background: #fbfcfd; }
#viewport.dragging { cursor: grabbing; }
#canvas { transform-origin: 0 0; position: absolute; left: 0; top: 0; }
#panel { width: 380px; border-left: 1px solid #d8dde3; padding: 10px 14px; overflow: auto; }
#panel h2 { font-size: 15px; margin: 4px 0 8px; word-break: break-all; }
#panel table { border-collapse: collapse; font-size: 12px; }
#panel td, #panel th { padding: 1px 6px; text-align: right; font-family: ui-monospace, Menlo, monospace; }
#panel pre { white-space: pre-wrap; font-size: 11px; background: #f4f6f8; padding: 6px; }
.values { font-family: ui-monospace, Menlo, monospace; font-size: 12px; word-break: break-all; }
g.node { cursor: pointer; }
g.node.selected polygon, g.node.selected path, g.node.selected ellipse { stroke: #d35400; stroke-width: 3; }
g.node.related polygon, g.node.related path, g.node.related ellipse { stroke: #e67e22; stroke-width: 2; }
g.edge.related path { stroke: #e67e22; stroke-width: 2; }
g.node.dim, g.edge.dim { opacity: 0.25; }
g.node.match polygon, g.node.match path { stroke: #8e44ad; stroke-width: 3; }
g.node.current polygon, g.node.current path { stroke: #c0392b; stroke-width: 4; fill: #f5b7b1; }
#stepper { display: inline-flex; gap: 4px; align-items: center; }
#stepper[hidden] { display: none; }
g.cluster.folded > polygon, g.cluster.folded > path { fill: #dfe6ee; stroke-dasharray: 4 3; }
g.cluster text { cursor: pointer; }
.badge { font: bold 11px sans-serif; fill: #8e44ad; }
.step { font: bold 10px sans-serif; fill: #c0392b; }
canvas.heat { image-rendering: pixelated; border: 1px solid #ccd3da; }
#minimap { position: absolute; right: 10px; bottom: 10px; background: rgba(255,255,255,0.92); border: 1px solid #b9c2cc; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.15); cursor: crosshair; overflow: hidden; }
#minimap[hidden] { display: none; }
#minimap canvas { display: block; }
#minimap-view { position: absolute; border: 2px solid #d35400; background: rgba(211,84,0,0.08); pointer-events: none; }
g.cluster.focus > polygon, g.cluster.focus > path { stroke: #5b4a9b; stroke-width: 3; }
#canvas title { display: none; }
`;

export const PAGE_SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('graph-data').textContent);
  // Each drawing's nodes and edges in detail, parsed when first needed (Note [a light page] in page-svg.ts).
  var detailIds = ['graph-details', 'expanded-details'], details = [null, null];
  function detail(k) {
    if (details[k] === null) details[k] = JSON.parse(document.getElementById(detailIds[k]).textContent);
    return details[k];
  }
  function nodes() { return detail(current).nodes; }
  var viewport = document.getElementById('viewport');
  var canvas = document.getElementById('canvas');
  var panel = document.getElementById('panel');
  var ns = 'http://www.w3.org/2000/svg';
  document.getElementById('title').textContent = data.title;
  if (data.notice) {
    var notice = document.getElementById('notice');
    notice.textContent = data.notice;
    notice.hidden = false;
  }
  // The drawings: 0 as drawn, 1 with every composite op expanded (Note [expanding on the page] in html.ts).
  var views = [data];
  var drawings = [document.querySelector('#canvas svg')];
  var template = document.getElementById('expanded-svg');
  if (data.expanded && template) { views.push(data.expanded); drawings.push(null); }
  var current = 0;
  var view = data;
  var svg = drawings[0];
  // What refresh() has hidden in each drawing, which keeps its elements' styles when the other is shown.
  var hiddenNows = [{}, {}], hiddenNow = hiddenNows[0], nodeEls = {}, edges = [], clusterEls = {}, ins = {}, outs = {}, childrenOf = {}, folded = {}, boxes = [];

  // What a pointer shows is the node in words (its tooltip: name, shape, dtype, values, gradient),
  // never its DOT id: the page's SVG titles every group in words, and keeps the ids as data-id
  // (Note [a light page] in page-svg.ts).
  function words(g) {
    var t = g && g.querySelector('title');
    return t ? t.textContent : '';
  }

  // ---- pan and zoom, the opening view and the minimap (Note [opening view]) -----------------------
  var scale = 1, tx = 0, ty = 0;
  var LEGIBLE = 0.8;
  var mini = document.getElementById('minimap');
  var miniCanvas = mini.querySelector('canvas');
  var miniView = document.getElementById('minimap-view');
  // The overview's scale and the offsets that centre the drawing in it (a long chain is a thin line).
  var graphW = 1, graphH = 1, miniScale = 1, miniX = 0, miniY = 0;
  function apply() {
    canvas.style.transform = 'translate(' + tx + 'px,' + ty + 'px) scale(' + scale + ')';
    // The viewport's rectangle, never smaller than a few pixels, so it can be seen on a 10,000-node overview.
    var w = viewport.clientWidth / scale * miniScale, h = viewport.clientHeight / scale * miniScale;
    var x = miniX - tx / scale * miniScale, y = miniY - ty / scale * miniScale;
    miniView.style.left = (x - Math.max(0, 6 - w) / 2) + 'px';
    miniView.style.top = (y - Math.max(0, 6 - h) / 2) + 'px';
    miniView.style.width = Math.max(6, w) + 'px';
    miniView.style.height = Math.max(6, h) + 'px';
  }
  function fitToView() {
    var w = graphW, h = graphH;
    var vw = viewport.clientWidth, vh = viewport.clientHeight;
    var whole = Math.min(vw / w, vh / h) * 0.98;
    if (whole >= LEGIBLE) {
      scale = Math.min(1, whole);
      tx = (vw - w * scale) / 2;
      ty = Math.max(0, (vh - h * scale) / 2);
    } else {
      // Fit the short side, but no smaller than legible; show the beginning of the long side.
      scale = Math.min(1, Math.max(LEGIBLE, Math.min(vw / w > vh / h ? vw / w : vh / h, 1) * 0.98));
      tx = w * scale <= vw ? (vw - w * scale) / 2 : 8;
      ty = h * scale <= vh ? (vh - h * scale) / 2 : 8;
    }
    apply();
  }
  // The overview: one rectangle per node, from the boxes the page carries (no layout to read).
  function drawMinimap() {
    graphW = view.width; graphH = view.height;
    var vw = viewport.clientWidth, vh = viewport.clientHeight;
    miniScale = Math.min(220 / graphW, 160 / graphH);
    var mw = Math.max(40, Math.round(graphW * miniScale)), mh = Math.max(24, Math.round(graphH * miniScale));
    miniX = (mw - graphW * miniScale) / 2; miniY = (mh - graphH * miniScale) / 2;
    miniCanvas.width = mw; miniCanvas.height = mh;
    miniCanvas.style.width = mw + 'px'; miniCanvas.style.height = mh + 'px';
    var ctx = miniCanvas.getContext('2d');
    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, mw, mh);
    boxes = view.boxes;
    ctx.fillStyle = '#8a96a3';
    boxes.forEach(function (b) { ctx.fillRect(miniX + b[1] * miniScale, miniY + b[2] * miniScale, Math.max(1, b[3] * miniScale), Math.max(2, b[4] * miniScale)); });
    // Shown when the graph does not fit the pane at the opening zoom.
    mini.hidden = graphW * Math.min(1, Math.max(LEGIBLE, Math.min(vw / graphW, vh / graphH))) <= vw && graphH * Math.min(1, Math.max(LEGIBLE, Math.min(vw / graphW, vh / graphH))) <= vh;
    document.body.dataset.minimap = mini.hidden ? 'hidden' : 'shown';
  }
  // Centres the view on a point of the drawing (in its own units).
  function centreOn(x, y) {
    tx = viewport.clientWidth / 2 - x * scale;
    ty = viewport.clientHeight / 2 - y * scale;
    apply();
  }
  var miniDrag = false;
  function miniMove(e) {
    var r = miniCanvas.getBoundingClientRect();
    // Within the drawing: the overview of a very long graph is taller than the graph it shows.
    centreOn(Math.min(graphW, Math.max(0, (e.clientX - r.left - miniX) / miniScale)), Math.min(graphH, Math.max(0, (e.clientY - r.top - miniY) / miniScale)));
  }
  mini.addEventListener('mousedown', function (e) { e.stopPropagation(); e.preventDefault(); miniDrag = true; miniMove(e); });
  mini.addEventListener('click', function (e) { e.stopPropagation(); });
  window.addEventListener('mousemove', function (e) { if (miniDrag) miniMove(e); });
  window.addEventListener('mouseup', function () { miniDrag = false; });
  function zoomAt(factor, cx, cy) {
    var next = Math.max(0.02, Math.min(20, scale * factor));
    tx = cx - (cx - tx) * (next / scale);
    ty = cy - (cy - ty) * (next / scale);
    scale = next;
    apply();
  }
  viewport.addEventListener('wheel', function (e) {
    e.preventDefault();
    var r = viewport.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  var drag = null;
  viewport.addEventListener('mousedown', function (e) { drag = { x: e.clientX, y: e.clientY, tx: tx, ty: ty, moved: false }; });
  window.addEventListener('mousemove', function (e) {
    if (!drag || miniDrag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; viewport.classList.add('dragging'); }
    tx = drag.tx + dx; ty = drag.ty + dy; apply();
  });
  window.addEventListener('mouseup', function () { viewport.classList.remove('dragging'); setTimeout(function () { drag = null; }, 0); });
  document.getElementById('fit').onclick = fitToView;
  document.getElementById('zoom-in').onclick = function () { zoomAt(1.25, viewport.clientWidth / 2, viewport.clientHeight / 2); };
  document.getElementById('zoom-out').onclick = function () { zoomAt(0.8, viewport.clientWidth / 2, viewport.clientHeight / 2); };

  // ---- the side panel ---------------------------------------------------------------------------
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) return '–';
    if (typeof v !== 'number') return String(v);
    if (v !== v) return 'nan';
    if (!isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return String(Number(v.toPrecision(5)));
  }
  function histogram(h) {
    var s = document.createElementNS(ns, 'svg');
    s.setAttribute('width', '340'); s.setAttribute('height', '70'); s.setAttribute('class', 'histogram');
    var max = Math.max.apply(null, h.counts.concat([1]));
    h.counts.forEach(function (c, i) {
      var r = document.createElementNS(ns, 'rect');
      var bh = 60 * c / max;
      r.setAttribute('x', String(i * (340 / h.counts.length)));
      r.setAttribute('y', String(62 - bh));
      r.setAttribute('width', String(340 / h.counts.length - 1));
      r.setAttribute('height', String(bh));
      r.setAttribute('fill', '#5d8fc9');
      s.appendChild(r);
    });
    return s;
  }
  function heatmap(planes, box) {
    var select = el('select');
    planes.labels.forEach(function (label, i) { var o = el('option', label); o.value = String(i); select.appendChild(o); });
    var c = el('canvas', null, 'heat');
    c.width = planes.cols; c.height = planes.rows;
    var px = Math.max(4, Math.floor(320 / Math.max(planes.cols, planes.rows)));
    c.style.width = (planes.cols * px) + 'px'; c.style.height = (planes.rows * px) + 'px';
    function draw() {
      var d = planes.data[Number(select.value)];
      var lo = Math.min.apply(null, d), hi = Math.max.apply(null, d);
      var ctx = c.getContext('2d');
      var img = ctx.createImageData(planes.cols, planes.rows);
      d.forEach(function (v, i) {
        var t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
        img.data[4 * i] = Math.round(255 * t); img.data[4 * i + 1] = Math.round(90 + 80 * (1 - Math.abs(t - 0.5) * 2)); img.data[4 * i + 2] = Math.round(255 * (1 - t)); img.data[4 * i + 3] = 255;
      });
      ctx.putImageData(img, 0, 0);
    }
    select.onchange = draw;
    if (planes.labels.length > 1) { box.appendChild(el('span', 'slice ')); box.appendChild(select); }
    box.appendChild(c);
    draw();
  }
  function summary(title, s, box) {
    box.appendChild(el('h3', title));
    var stats = el('table');
    [['shape', '[' + s.shape.join(',') + ']'], ['min', fmt(s.min)], ['mean', fmt(s.mean)], ['max', fmt(s.max)], ['std', fmt(s.std)], ['NaN', String(s.nans)], ['±inf', String(s.infs)]].forEach(function (row) {
      var tr = el('tr'); tr.appendChild(el('th', row[0])); tr.appendChild(el('td', row[1])); stats.appendChild(tr);
    });
    box.appendChild(stats);
    if (s.values) box.appendChild(el('p', s.values.map(fmt).join(', '), 'values'));
    if (s.planes && s.size > 16) heatmap(s.planes, box);
    if (!s.values || s.size > 16) box.appendChild(histogram(s.histogram));
  }
  function show(id) {
    var info = nodes()[id];
    panel.innerHTML = '';
    panel.dataset.node = id;
    if (!info || info.kind === 'folded') {
      panel.appendChild(el('h2', words(nodeEls[id]) || id));
      if (info && info.composite && views.length > 1) {
        panel.appendChild(el('p', 'A composite op: ' + info.composite.ops + ' op' + (info.composite.ops === 1 ? '' : 's') + ' drawn as one node.', 'muted'));
        var b = el('button', 'expand: draw its ops');
        b.type = 'button'; b.id = 'expand-composite';
        b.onclick = function () { expandComposite(info.composite.frame); };
        panel.appendChild(b);
      } else panel.appendChild(el('p', 'Drawn as one node: click a module frame\'s label to fold or unfold it.', 'muted'));
      if (info && info.steps) panel.appendChild(el('p', 'backward steps ' + info.steps[0] + '–' + info.steps[1] + ' (' + info.rules + ' rules)'));
      return;
    }
    if (info.kind === 'tensor') {
      panel.appendChild(el('h2', (info.name || id) + '  [' + info.shape.join(',') + '] ' + info.dtype));
      panel.appendChild(el('p', info.role + (info.producer ? ', made by ' + (nodes()[info.producer] ? nodes()[info.producer].op : info.producer) : ''), 'muted'));
      summary('values', info.value, panel);
      if (info.grad) summary('gradient (.grad)', info.grad, panel);
      else if (info.tracedGrad) summary('gradient (traced backward)', info.tracedGrad, panel);
      else panel.appendChild(el('p', 'No gradient: backward has not stored one here (leaves with requiresGrad get .grad; call retainGrad() on an intermediate, or draw after tg.viz.traceBackward).', 'muted'));
    } else {
      panel.appendChild(el('h2', info.op + (info.attrs ? ' ' + info.attrs : '')));
      var t = el('table');
      [['node', '#' + info.nodeId], ['module', info.module || '–'], ['backward step', info.step === undefined ? '–' : String(info.step)]].forEach(function (row) {
        var tr = el('tr'); tr.appendChild(el('th', row[0])); tr.appendChild(el('td', row[1])); t.appendChild(tr);
      });
      panel.appendChild(t);
      if (info.stack) { panel.appendChild(el('h3', 'created at')); panel.appendChild(el('pre', info.stack)); }
      else panel.appendChild(el('p', 'Where it was created is recorded under tg.detectAnomaly.', 'muted'));
    }
  }

  // ---- dependencies: what a node needs, and what needs it --------------------------------------
  function reach(start, next) {
    var seen = {}, stack = [start];
    while (stack.length) { var n = stack.pop(); (next[n] || []).forEach(function (m) { if (!seen[m]) { seen[m] = true; stack.push(m); } }); }
    return seen;
  }
  function select(id) {
    var up = reach(id, ins), down = reach(id, outs);
    Object.keys(nodeEls).forEach(function (k) {
      var g = nodeEls[k];
      g.classList.toggle('selected', k === id);
      g.classList.toggle('related', !!(up[k] || down[k]));
      g.classList.toggle('dim', k !== id && !up[k] && !down[k]);
    });
    edges.forEach(function (e) {
      var on = (up[e.from] || e.from === id) && (up[e.to] || e.to === id) || (down[e.from] || e.from === id) && (down[e.to] || e.to === id);
      e.el.classList.toggle('related', !!on);
      e.el.classList.toggle('dim', !on);
    });
    show(id);
  }
  viewport.addEventListener('click', function () {
    if (drag && drag.moved) return;
    Object.keys(nodeEls).forEach(function (k) { nodeEls[k].classList.remove('selected', 'related', 'dim'); });
    edges.forEach(function (e) { e.el.classList.remove('related', 'dim'); });
  });

  // ---- folding module clusters ----------------------------------------------------------------
  function clusterInfo(id) { return view.clusters.filter(function (x) { return x.id === id; })[0]; }
  function membersDeep(id) {
    var c = clusterInfo(id);
    var out = c ? c.members.slice() : [];
    (childrenOf[id] || []).forEach(function (k) { out = out.concat(membersDeep(k)); });
    return out;
  }
  function refresh() {
    var hidden = {};
    Object.keys(folded).forEach(function (id) {
      if (!folded[id]) return;
      membersDeep(id).forEach(function (m) { hidden[m] = true; });
      (childrenOf[id] || []).forEach(function hide(k) { var g = clusterEls[k]; if (g) g.style.display = 'none'; (childrenOf[k] || []).forEach(hide); });
    });
    Object.keys(clusterEls).forEach(function (id) {
      var parentHidden = false;
      Object.keys(folded).forEach(function (f) { if (folded[f] && membersDeep(f).length && isDescendant(id, f)) parentHidden = true; });
      if (!parentHidden) clusterEls[id].style.display = '';
      clusterEls[id].classList.toggle('folded', !!folded[id]);
    });
    // Written only where it changes: a 10,000-node page touches no node's style when nothing is folded.
    Object.keys(nodeEls).forEach(function (k) { if (!hidden[k] !== !hiddenNow[k]) nodeEls[k].style.display = hidden[k] ? 'none' : ''; });
    edges.forEach(function (e) { var h = !!(hidden[e.from] && hidden[e.to]); if (h !== !!hiddenNow[e.key]) e.el.style.display = h ? 'none' : ''; hiddenNow[e.key] = h; });
    Object.keys(nodeEls).forEach(function (k) { hiddenNow[k] = !!hidden[k]; });
    var visible = Object.keys(nodeEls).filter(function (k) { return !hidden[k]; }).length;
    document.getElementById('count').textContent = visible + ' of ' + Object.keys(nodeEls).length + ' nodes shown';
    document.body.dataset.visibleNodes = String(visible);
  }
  function isDescendant(id, ancestor) {
    var c = clusterInfo(id);
    while (c && c.parent) { if (c.parent === ancestor) return true; var p = c.parent; c = clusterInfo(p); }
    return false;
  }
  var foldRepeats = document.getElementById('fold-repeats');

  // ---- composite ops, expanded in place (Note [expanding on the page] in html.ts) ----------------
  var compositesButton = document.getElementById('composites');
  function showDrawing(k) {
    if (k === current) return;
    if (drawings[k] === null) {
      var holder = document.createElement('div');
      holder.appendChild(template.content.cloneNode(true));
      drawings[k] = holder.querySelector('svg');
    }
    canvas.replaceChild(drawings[k], drawings[current]);
    current = k;
    view = views[k];
    svg = drawings[k];
    bind();
  }
  function expandComposite(frame) {
    showDrawing(1);
    var c = view.clusters.filter(function (x) { return x.composite && x.frame === frame; })[0];
    var g = c && clusterEls[c.id];
    if (!g) return;
    g.classList.add('focus');
    var r = g.getBoundingClientRect(), v = viewport.getBoundingClientRect();
    tx += (v.left + v.width / 2) - (r.left + r.width / 2);
    ty += (v.top + v.height / 2) - (r.top + r.height / 2);
    apply();
    document.body.dataset.expandedCluster = c.id;
  }
  function collapseComposite(frame) {
    showDrawing(0);
    var all = nodes();
    var id = Object.keys(all).filter(function (k) { var n = all[k]; return n.composite && n.composite.frame === frame; })[0];
    if (!id || !nodeEls[id]) return;
    var r = nodeEls[id].getBoundingClientRect(), v = viewport.getBoundingClientRect();
    tx += (v.left + v.width / 2) - (r.left + r.width / 2);
    ty += (v.top + v.height / 2) - (r.top + r.height / 2);
    apply();
    select(id);
  }
  compositesButton.onclick = function () { showDrawing(current === 0 ? 1 : 0); fitToView(); };

  // ---- search ------------------------------------------------------------------------------------
  document.getElementById('search').addEventListener('input', function (e) {
    var q = e.target.value.trim().toLowerCase();
    var n = 0;
    var all = nodes();
    Object.keys(nodeEls).forEach(function (id) {
      var info = all[id];
      var text = (info ? (info.name || '') + ' ' + (info.op || '') + ' ' + (info.attrs || '') : '') + ' ' + (nodeEls[id].textContent || '');
      var hit = q !== '' && text.toLowerCase().indexOf(q) >= 0;
      nodeEls[id].classList.toggle('match', hit);
      if (hit) n++;
    });
    document.getElementById('count').textContent = q ? n + ' match' + (n === 1 ? '' : 'es') : '';
  });

  // ---- the traced backward pass (Note [stepping through backward] in html.ts) --------------------------
  var toggle = document.getElementById('backward-toggle');
  var backwardBox = document.getElementById('backward');
  var stepper = document.getElementById('stepper');
  var stepInput = document.getElementById('step');
  var stepLabel = document.getElementById('step-label');
  var marks = [];
  var lastStep = 0;
  var ruleAt = {};
  function mark(parent, x, y, text, from, to) {
    var t = document.createElementNS(ns, 'text');
    t.setAttribute('x', String(x)); t.setAttribute('y', String(y));
    t.setAttribute('class', 'step'); t.textContent = text;
    t.dataset.from = String(from); t.dataset.to = String(to);
    parent.appendChild(t); marks.push(t);
  }
  function nodeWords(id) {
    var info = id && nodes()[id];
    if (!info) return '';
    if (info.kind === 'op') return info.op + (info.attrs ? ' ' + info.attrs : '');
    if (info.composite) return info.composite.op + (info.composite.attrs ? ' ' + info.composite.attrs : '');
    return words(nodeEls[id]).split(' (')[0];
  }
  // Shows what the pass has done by step k: the marks of the rules run so far; the node running rule k outlined.
  function showStep(k) {
    marks.forEach(function (m) { m.style.display = Number(m.dataset.from) <= k ? '' : 'none'; });
    Object.keys(nodeEls).forEach(function (id) { nodeEls[id].classList.toggle('current', ruleAt[k] === id); });
    stepInput.value = String(k);
    var id = ruleAt[k];
    // The node running now is brought into view (centred) when it is off screen.
    if (id && nodeEls[id] && nodeEls[id].style.display !== 'none') {
      var r = nodeEls[id].getBoundingClientRect(), v = viewport.getBoundingClientRect();
      if (r.right < v.left || r.left > v.right || r.bottom < v.top || r.top > v.bottom || r.left < v.left || r.right > v.right) {
        tx += (v.left + v.width / 2) - (r.left + r.width / 2);
        ty += (v.top + v.height / 2) - (r.top + r.height / 2);
        apply();
      }
    }
    var what = nodeWords(id);
    stepLabel.textContent = 'step ' + k + ' of ' + lastStep + (what ? ': ' + what : '');
    document.body.dataset.backwardStep = String(k);
  }
  stepInput.addEventListener('input', function () { showStep(Number(stepInput.value)); });
  document.getElementById('step-prev').onclick = function () { showStep(Math.max(1, Number(stepInput.value) - 1)); };
  document.getElementById('step-next').onclick = function () { showStep(Math.min(lastStep, Number(stepInput.value) + 1)); };
  function clearMarks() {
    marks.forEach(function (m) { m.remove(); });
    marks = [];
    Object.keys(nodeEls).forEach(function (id) { nodeEls[id].classList.remove('current'); });
  }
  backwardBox.addEventListener('change', function (e) {
    clearMarks();
    stepper.hidden = !e.target.checked || lastStep === 0;
    if (!e.target.checked) return;
    var all = nodes(), sent = detail(current).edges;
    Object.keys(nodeEls).forEach(function (id) {
      var info = all[id];
      if (!info) return;
      var box = nodeEls[id].getBBox();
      if (info.kind === 'op' && info.step !== undefined) mark(nodeEls[id], box.x + box.width + 2, box.y + 9, '#' + info.step, info.step, info.step);
      if (info.kind === 'folded' && info.steps) {
        var range = info.steps[0] === info.steps[1] ? '#' + info.steps[0] : '#' + info.steps[0] + '–' + info.steps[1];
        mark(nodeEls[id], box.x + box.width + 2, box.y + 9, range, info.steps[0], info.steps[1]);
      }
    });
    edges.forEach(function (edge) {
      var g = sent[edge.key];
      if (!g) return;
      var path = edge.el.querySelector('path');
      if (!path) return;
      var mid = path.getPointAtLength(path.getTotalLength() / 2);
      mark(edge.el, mid.x + 3, mid.y - 3, '‖g‖ ' + fmt(g.norm), g.step, g.step);
    });
    document.body.dataset.backwardMarks = String(marks.length);
    // Opens on the whole pass; the slider and the arrows go back through it one rule at a time.
    if (lastStep > 0) showStep(lastStep);
  });

  // ---- binding a drawing: everything above that reads the SVG ------------------------------------
  // Clicks on nodes and cluster labels, for whichever drawing is shown: one listener, not one per node.
  canvas.addEventListener('click', function (e) {
    var t = e.target;
    var g = t && t.closest ? t.closest('g.node') : null;
    if (g && nodeEls[g.getAttribute('data-id')] === g) {
      e.stopPropagation();
      if (drag && drag.moved) return;
      select(g.getAttribute('data-id'));
      return;
    }
    var cluster = t && t.parentNode;
    if (!cluster || !cluster.classList || !cluster.classList.contains('cluster') || cluster.querySelector('text') !== t) return;
    var id = cluster.getAttribute('data-id');
    if (clusterEls[id] !== cluster) return;
    e.stopPropagation();
    // An expanded composite's label folds it back into its node; a module's folds the module.
    var c = clusterInfo(id);
    if (c && c.composite) { collapseComposite(c.frame); return; }
    folded[id] = !folded[id];
    refresh();
  });
  function bind() {
    nodeEls = {}; edges = []; clusterEls = {}; ins = {}; outs = {}; childrenOf = {}; folded = {}; hiddenNow = hiddenNows[current];
    // Nodes, edges and clusters are the graph group's children: one pass over them, not three searches of the whole drawing.
    var groups = svg.querySelector('g.graph').children;
    for (var i = 0; i < groups.length; i++) {
      var g = groups[i], c = g.classList, key = g.getAttribute('data-id');
      if (c.contains('node')) nodeEls[key] = g;
      else if (c.contains('edge')) { var parts = key.split('->'); edges.push({ el: g, from: parts[0], to: parts[1], key: key }); }
      else if (c.contains('cluster')) clusterEls[key] = g;
    }
    if (!svg.dataset.bound) {
      svg.dataset.bound = 'true';
      view.repeats.forEach(function (ids) {
        var first = clusterEls[ids[0]];
        var label = first && first.querySelector('text');
        if (!label) return;
        var b = document.createElementNS(ns, 'text');
        b.setAttribute('x', String(Number(label.getAttribute('x')) + 8 * (label.textContent || '').length));
        b.setAttribute('y', label.getAttribute('y'));
        b.setAttribute('class', 'badge');
        b.textContent = ' ×' + ids.length + ' identical blocks';
        label.parentNode.appendChild(b);
      });
    }
    view.clusters.forEach(function (c) { if (c.parent) (childrenOf[c.parent] = childrenOf[c.parent] || []).push(c.id); });
    edges.forEach(function (e) { (ins[e.to] = ins[e.to] || []).push(e.from); (outs[e.from] = outs[e.from] || []).push(e.to); });
    foldRepeats.hidden = view.repeats.length === 0;
    foldRepeats.onclick = function () { view.repeats.forEach(function (ids) { ids.slice(1).forEach(function (id) { folded[id] = true; }); }); refresh(); };
    compositesButton.hidden = views.length < 2;
    compositesButton.textContent = current === 0 ? 'expand composite ops' : 'fold composite ops';
    // The backward pass starts over on each drawing.
    clearMarks();
    backwardBox.checked = false;
    stepper.hidden = true;
    toggle.hidden = !view.traced;
    lastStep = view.rules.length ? view.rules[view.rules.length - 1].step : 0;
    ruleAt = {};
    view.rules.forEach(function (r) { ruleAt[r.step] = r.node; });
    stepInput.max = String(lastStep);
    refresh();
    drawMinimap();
    apply();
    document.body.dataset.drawing = current === 0 ? 'folded' : 'expanded';
  }

  var scriptStart = performance.now();
  bind();
  fitToView();
  // Shown now, laid out once; the layout is read here so that ready means laid out (Note [a light page] in page-svg.ts).
  canvas.hidden = false;
  svg.getBoundingClientRect();
  // When the page became usable, in ms since navigation began, and how much of it this script took.
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.scriptMs = String(Math.round(performance.now() - scriptStart));
  document.body.dataset.ready = 'true';
})();
`;
