// mlbench web view: live updates by polling the JSON API (only what changed
// since the last version comes back). No framework, no network but this
// server; all text is set with textContent.
'use strict';

const POLL_MS = 2000;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function fmt(x, d) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (d !== undefined) return Number(x).toFixed(d);
  return String(Math.round(x * 1e5) / 1e5);
}
function live(ok, text) {
  const l = document.getElementById('live');
  if (!l) return;
  l.className = 'live ' + (ok ? 'on' : 'off');
  l.textContent = text;
}
async function getJSON(url) {
  const r = await fetch(url, { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' });
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) throw new Error((body && body.error) || (r.status + ' ' + r.statusText));
  return body;
}
// poll calls fn every POLL_MS, never two at once, and shows the state.
function poll(fn, ms) {
  let busy = false;
  const tick = async () => {
    if (busy || document.hidden) return;
    busy = true;
    try { await fn(); live(true, 'live · ' + new Date().toLocaleTimeString()); }
    catch (e) { live(false, String(e.message || e)); }
    finally { busy = false; }
  };
  tick();
  return setInterval(tick, ms || POLL_MS);
}

const STATES = ['done', 'failed', 'cancelled', 'running', 'interrupted', 'lost', 'suspended', 'requeued', 'queued', 'unqueued', 'pending'];
function progressNode(counts) {
  const wrap = el('div');
  const bar = el('div', 'bar');
  const chips = el('div', 'counts');
  for (const s of STATES) {
    const n = counts[s];
    if (!n) continue;
    const seg = el('span', 'seg s-' + s);
    seg.style.flexGrow = n;
    bar.append(seg);
    chips.append(el('span', 'chip s-' + s, n + ' ' + s), ' ');
  }
  wrap.append(bar, chips);
  return wrap;
}

// ---- runs page ----
function runsPage() {
  poll(async () => {
    const data = await getJSON('/api/runs');
    for (const run of data.runs) {
      const card = document.querySelector('section.run[data-run="' + CSS.escape(run.name) + '"]');
      if (!card) { location.reload(); return; }
      const old = card.querySelector('.bar');
      if (old && run.counts) {
        const p = progressNode(run.counts);
        old.nextElementSibling.replaceWith(p.lastChild);
        old.replaceWith(p.firstChild);
      }
      const facts = card.querySelector('.facts');
      if (facts && !run.error) {
        facts.replaceChildren(el('b', '', run.items), ' items · wall ', el('b', '', fmt(run.wall_hours, 2) + ' h'),
          ' · tokens ', el('b', '', run.tokens), ' · cost ', el('b', '', '$' + fmt(run.cost_usd, 2)));
      }
      const table = card.querySelector('table.medals tbody');
      if (table && run.medals) table.replaceChildren(...run.medals.map(medalRow));
    }
  }, 3000);
}
function pm(s) { return s.mean === null ? '–' : fmt(s.mean, 1) + ' ± ' + fmt(s.sem, 1); }
function medalRow(m) {
  const tr = el('tr');
  const cells = [m.split, m.tasks, m.seeds, m.finished + '/' + m.runs, pm(m.any_medal_pct), pm(m.gold_pct), pm(m.silver_pct),
    pm(m.bronze_pct), pm(m.valid_submission_pct), pm(m.submission_exists_pct), pm(m.above_median_pct), fmt(m.wall_hours, 2),
    fmt(m.nodes, 1) + (m.incomplete_nodes ? '*' : ''), fmt(m.tokens, 0), fmt(m.cost_usd, 2)];
  if (m.group !== undefined) cells.unshift(m.group);
  cells.forEach((c, i) => tr.append(el('td', i > (m.group !== undefined ? 1 : 0) ? 'r' : '', c)));
  return tr;
}

// ---- run page ----
function runPage() {
  const table = document.getElementById('items');
  const run = table.dataset.run;
  const base = '/api/runs/' + encodeURIComponent(run);
  const items = new Map();
  let version = 0, sortKey = 'index', asc = true, page = 0;
  const PAGE = 200;
  const fState = document.getElementById('f-state'), fSplit = document.getElementById('f-split'), fTask = document.getElementById('f-task');
  [fState, fSplit, fTask].forEach(f => f.addEventListener('input', () => { page = 0; render(); }));
  table.querySelectorAll('th').forEach(th => th.addEventListener('click', () => {
    if (sortKey === th.dataset.k) asc = !asc; else { sortKey = th.dataset.k; asc = true; }
    table.querySelectorAll('th').forEach(h => h.classList.remove('sorted', 'asc'));
    th.classList.add('sorted'); if (asc) th.classList.add('asc');
    render();
  }));
  function value(it, k) {
    if (k === 'params') return JSON.stringify(it.params || {});
    if (k === 'medal') return ({ gold: 0, silver: 1, bronze: 2, none: 3 })[it.medal] ?? 4;
    const v = it[k];
    return v === null || v === undefined ? -Infinity : v;
  }
  function elapsed(it, now) {
    if (it.state === 'running' && it.started) return (now - Date.parse(it.started)) / 1000;
    return it.elapsed;
  }
  let serverNow = Date.now();
  function render() {
    const st = fState.value, sp = fSplit.value, task = fTask.value.toLowerCase();
    let rows = [...items.values()].filter(it => (!st || it.state === st) && (!sp || (it.split || '-') === sp) &&
      (!task || it.task.toLowerCase().includes(task)));
    rows.sort((a, b) => {
      const x = value(a, sortKey), y = value(b, sortKey);
      return (x < y ? -1 : x > y ? 1 : a.index - b.index) * (asc ? 1 : -1);
    });
    const total = rows.length;
    const pages = Math.max(1, Math.ceil(total / PAGE));
    page = Math.min(page, pages - 1);
    rows = rows.slice(page * PAGE, page * PAGE + PAGE);
    const tbody = el('tbody');
    for (const it of rows) {
      const tr = el('tr');
      const a = el('a', '', it.index);
      a.href = '/runs/' + encodeURIComponent(run) + '/items/' + it.index;
      const idx = el('td', 'r'); idx.append(a);
      const state = el('td'); state.append(el('span', 'chip s-' + it.state, it.state));
      const medal = el('td'); if (it.medal) medal.append(el('span', 'medal m-' + it.medal, it.medal));
      const params = it.params ? JSON.stringify(it.params) : '';
      tr.append(idx, el('td', '', it.task), el('td', '', it.split), el('td', 'r', it.seed), el('td', 'mono', params), state,
        el('td', 'r', it.nodes + (it.steps ? '/' + it.steps : '') + (it.incomplete ? '*' : '')), el('td', 'r', fmt(it.best_metric)),
        medal, el('td', 'r', it.attempts), el('td', 'r', fmt(elapsed(it, serverNow), 0) + ' s'));
      tbody.append(tr);
    }
    table.tBodies[0].replaceWith(tbody);
    document.getElementById('shown').textContent = 'showing ' + rows.length + ' of ' + total + (total !== items.size ? ' (filtered from ' + items.size + ')' : '');
    const pager = document.getElementById('pager');
    pager.replaceChildren();
    if (pages > 1) {
      for (const [label, p] of [['« first', 0], ['‹ prev', page - 1], ['next ›', page + 1], ['last »', pages - 1]]) {
        const b = el('button', '', label);
        b.type = 'button';
        b.disabled = p < 0 || p >= pages || p === page;
        b.addEventListener('click', () => { page = p; render(); });
        pager.append(b);
      }
      pager.append(' page ' + (page + 1) + ' of ' + pages);
    }
  }
  poll(async () => {
    const data = await getJSON(base + '/items?since=' + version);
    serverNow = Date.parse(data.now) || Date.now();
    if (data.full) items.clear();
    for (const it of data.items) items.set(it.index, it);
    const changed = data.full || data.items.length > 0 || version === 0;
    version = data.version;
    table.dataset.version = version;
    const prog = document.getElementById('progress');
    if (prog && changed) prog.replaceChildren(progressNode(data.counts));
    if (changed || items.size && [...items.values()].some(i => i.state === 'running')) render();
  });
  anytime(base + '/anytime');
}

// anytime draws any-medal % against elapsed hours, one line per split.
async function anytime(url) {
  const box = document.getElementById('anytime');
  try {
    const data = await getJSON(url);
    const rows = (data.anytime || []);
    if (!rows.length || rows.every(r => r.chosen === r.ungraded)) {
      box.textContent = 'No graded nodes yet: anytime curves need finished items and mlbench collect --grade-nodes RUN.';
      return;
    }
    const series = new Map();
    for (const r of rows) {
      const k = r.split + (r.group ? ' ' + r.group : '');
      if (!series.has(k)) series.set(k, []);
      series.get(k).push([r.hours, r.any_medal_pct.mean]);
    }
    const W = 560, H = 220, P = 36;
    const maxH = Math.max(...rows.map(r => r.hours), 1e-9);
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', W); svg.setAttribute('height', H);
    const colors = ['#2563eb', '#059669', '#d97706', '#dc2626', '#7c3aed', '#0891b2'];
    const x = h => P + (W - 2 * P) * h / maxH, y = p => H - P - (H - 2 * P) * (p || 0) / 100;
    const axis = document.createElementNS(ns, 'path');
    axis.setAttribute('d', `M${P} ${P} V${H - P} H${W - P}`); axis.setAttribute('stroke', '#9ca3af'); axis.setAttribute('fill', 'none');
    svg.append(axis);
    const text = (tx, ty, s) => { const t = document.createElementNS(ns, 'text'); t.setAttribute('x', tx); t.setAttribute('y', ty); t.setAttribute('font-size', '11'); t.textContent = s; svg.append(t); };
    text(4, P, '100%'); text(4, H - P, '0%'); text(W - P - 30, H - 8, fmt(maxH, 2) + ' h');
    let i = 0;
    for (const [k, pts] of series) {
      const path = document.createElementNS(ns, 'path');
      path.setAttribute('d', pts.map((p, j) => (j ? 'L' : 'M') + x(p[0]) + ' ' + y(p[1])).join(' '));
      path.setAttribute('stroke', colors[i % colors.length]); path.setAttribute('fill', 'none'); path.setAttribute('stroke-width', '2');
      svg.append(path);
      text(W - P - 110, P + 14 * i, k); i++;
    }
    box.className = 'chart';
    box.replaceChildren(svg);
  } catch (e) { box.textContent = 'Anytime curves unavailable: ' + e.message; }
}

// ---- item page ----
function itemPage() {
  const facts = document.getElementById('facts');
  const base = '/api/runs/' + encodeURIComponent(facts.dataset.run) + '/items/' + facts.dataset.item;
  const treeBox = document.getElementById('tree'), detail = document.getElementById('detail');
  let version = '', selected = '', known = new Set(), first = true;
  function label(n) {
    const span = el('span', 'node');
    span.dataset.id = n.id;
    span.append(el('span', 'mute', n.id + ' '), el('span', 'stage ' + n.stage, n.stage));
    if (n.buggy) span.append(el('span', 'bug', n.timed_out ? ' bug (timeout)' : ' bug (exit ' + n.exit_code + ')'));
    else span.append(el('span', '', ' ' + (n.metric === null ? 'no metric' : 'metric ' + fmt(n.metric))));
    if (n.medal) span.append(el('span', 'medal m-' + n.medal, n.medal));
    if (n.best) span.append(el('span', 'best', ' ★ best'));
    if (n.from_checkpoint) { const c = el('span', 'mute', ' ◌'); c.title = 'read from the checkpoint: its trace part is still open'; span.append(c); }
    if (!first && !known.has(n.id)) span.classList.add('new');
    if (n.id === selected) span.classList.add('sel');
    span.addEventListener('click', () => show(n.id));
    return span;
  }
  function drawTree(nodes) {
    const kids = new Map(), ids = new Set(nodes.map(n => n.id));
    const roots = [];
    for (const n of nodes) {
      if (n.parent && ids.has(n.parent)) { if (!kids.has(n.parent)) kids.set(n.parent, []); kids.get(n.parent).push(n); }
      else roots.push(n);
    }
    const build = list => {
      const ul = el('ul');
      for (const n of list) {
        const li = el('li');
        li.append(label(n));
        if (kids.has(n.id)) li.append(build(kids.get(n.id)));
        ul.append(li);
      }
      return ul;
    };
    treeBox.replaceChildren(nodes.length ? build(roots) : el('p', 'mute', 'No nodes yet: the first appears when its code has run.'));
    known = ids; first = false;
  }
  function section(title, body, cls) {
    if (!body) return;
    detail.append(el('h3', '', title), el('pre', cls || 'text', body));
  }
  async function show(id) {
    selected = id;
    treeBox.querySelectorAll('.node.sel').forEach(e => e.classList.remove('sel'));
    const lab = treeBox.querySelector('.node[data-id="' + CSS.escape(id) + '"]');
    if (lab) lab.classList.add('sel');
    let n;
    try { n = await getJSON(base + '/nodes/' + encodeURIComponent(id)); }
    catch (e) { detail.replaceChildren(el('p', 'warn', 'Cannot load node ' + id + ': ' + e.message)); return; }
    if (selected !== id) return;
    detail.replaceChildren(el('h2', '', 'Node ' + n.id + ' · ' + n.stage + (n.best ? ' · ★ best' : '')));
    const t = el('table', 'facts');
    const rows = [
      ['step', n.step], ['parent', n.parent || '(root)'], ['worker', n.worker],
      ['status', n.buggy ? 'buggy' : 'ok'], ['why buggy', n.why_buggy || ''],
      ['validation metric', fmt(n.metric) + (n.metric === null ? '' : (n.lower_is_better ? ' (lower is better)' : ' (higher is better)'))],
      ['test score', n.medal ? fmt(n.test_score) + ' · ' + n.medal : 'not graded'],
      ['created / finished', (n.created || '–') + ' / ' + (n.finished || '–')],
      ['LLM / exec seconds', fmt(n.llm_seconds, 2) + ' / ' + fmt(n.exec_seconds, 2)],
      ['tokens (prompt / completion)', n.prompt_tokens + ' / ' + n.completion_tokens],
      ['cost', '$' + fmt(n.cost_usd, 4)], ['visits / reward', n.visits + ' / ' + fmt(n.reward)],
      ['source', n.from_checkpoint ? 'checkpoint (not in the trace yet)' : 'trace'],
    ];
    for (const [k, v] of rows) {
      if (v === '') continue;
      const tr = el('tr');
      tr.append(el('td', '', k), el('td', k === 'why buggy' ? 'bug' : '', v));
      t.append(tr);
    }
    detail.append(t);
    section('Plan', n.plan); section('Review', n.review); section('Error', n.error);
    detail.append(el('h3', '', 'Code (code.py)'));
    const code = el('pre', 'code', n.code || '(no code.py for this node)');
    code.id = 'code';
    detail.append(code);
    section('Output: stdout (tail)', n.stdout, 'out'); section('Output: stderr (tail)', n.stderr, 'out');
    if (n.exchanges && n.exchanges.length) {
      detail.append(el('h3', '', 'LLM exchanges (exact prompt and reply)'));
      for (const ex of n.exchanges) {
        const box = el('div', 'msg');
        box.append(el('div', 'mute', ex.role + ' · ' + ex.call + ' · ' + ex.model + ' · HTTP ' + ex.status + ' · attempt ' + ex.attempt + ' · ' + fmt(ex.seconds, 2) + ' s'));
        for (const m of ex.messages || []) { box.append(el('div', 'mute', m.role)); box.append(el('pre', 'text', m.content)); }
        box.append(el('div', 'mute', 'reply'), el('pre', 'text', ex.reply || ex.error || '(none)'));
        detail.append(box);
      }
    }
    if (n.transcript_note) detail.append(el('p', 'warn', n.transcript_note));
  }
  document.querySelectorAll('a.goto').forEach(a => a.addEventListener('click', e => { e.preventDefault(); show(a.dataset.id); }));
  poll(async () => {
    const d = await getJSON(base + '?version=' + encodeURIComponent(version));
    if (d.unchanged) return;
    version = d.version;
    const st = document.getElementById('state');
    st.textContent = d.state; st.className = 'chip s-' + d.state;
    document.getElementById('nodecount').textContent = d.nodes ? d.nodes.length : 0;
    document.getElementById('resume').classList.toggle('hidden', !d.resume);
    if (d.resume) document.getElementById('resume-cmd').textContent = d.resume;
    drawTree(d.nodes || []);
  });
  poll(async () => {
    const l = await getJSON(base + '/log');
    const pre = document.getElementById('log');
    pre.textContent = l.log || '(no worker.log)';
  }, 5000);
}

document.addEventListener('DOMContentLoaded', () => {
  const page = document.body.dataset.page;
  if (page === 'runs') runsPage();
  else if (page === 'run') runPage();
  else if (page === 'item') itemPage();
});
