/* The compact chat page (/widget): streams answers from POST api/ask/stream (server-sent events), shows
 * cited sources and opens them in a source view with the cited span highlighted. All article and model
 * text goes into the page as text nodes (textContent), never as HTML. `?from=`/`?to=` (set by the loader
 * from data-from/data-to, which it validates) go to the API as the date filter of every question; the
 * server checks them again, and each answer shows the filter its search applied. */
(() => {
  'use strict';
  const $ = (selector) => document.querySelector(selector);
  const params = new URLSearchParams(location.search);
  const title = (params.get('title') || 'Ask the archive').slice(0, 80);
  const log = $('#log'), form = $('#ask'), input = $('#question'), send = $('#send');
  const source = $('#source');
  const filters = {};
  if (params.get('from')) filters.date_from = params.get('from');
  if (params.get('to')) filters.date_to = params.get('to');
  const filtered = Object.keys(filters).length > 0;
  const history = [];
  let busy = false;

  $('#title').textContent = title;
  document.title = title;
  if (filtered) $('#log .hint').append(el('span', 'filter', describeFilters(filters).replace(/^Searched/, 'This chat searches')));
  if (window.parent !== window) {
    window.parent.postMessage('newsrag:ready', '*'); // the loader shows a notice if this never arrives
    $('#close').hidden = false;
    $('#close').addEventListener('click', () => window.parent.postMessage('newsrag:close', '*'));
  }
  $('#new-chat').addEventListener('click', () => {
    if (busy) return;
    history.length = 0;
    log.querySelectorAll('.msg').forEach((m) => m.remove());
    closeSource();
    input.focus();
  });
  $('#back').addEventListener('click', closeSource);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ask(input.value.trim());
  });

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  /* The filter an answer's search applied, as the chat says it (ui/filters.py `describe`). */
  function describeFilters(f) {
    if (!f) return '';
    const sources = f.sources && f.sources.length ? ` in ${f.sources.join(', ')}` : '';
    let text = '';
    if (f.date_from && f.date_to) {
      text = f.date_from === f.date_to ? `dated ${f.date_from}` : `from ${f.date_from} to ${f.date_to}`;
    } else if (f.date_from) text = `from ${f.date_from} on`;
    else if (f.date_to) text = `up to ${f.date_to}`;
    return text || sources ? `Searched articles ${`${text}${sources}`.trim()}` : '';
  }
  function filterLine(answer) {
    const text = describeFilters(answer.filters);
    return text ? [el('p', 'filter', text)] : [];
  }
  /* What a refused question was searched in, as the chat says it (ui/render.py `coverage_html`). */
  function coverageLine(c) {
    if (!c || !c.articles) return [];
    const dated = c.first_date && c.last_date ? ` dated ${c.first_date} to ${c.last_date}` : '';
    const outlets = (c.outlets || []).map((o) => `${o.name} ${o.articles.toLocaleString('en')}`).join(', ');
    return [el('p', 'coverage', `Searched ${c.articles.toLocaleString('en')} articles${dated}${outlets ? ` (${outlets})` : ''}`)];
  }
  function scrollDown() { log.scrollTop = log.scrollHeight; }
  function meta(...parts) { return parts.filter(Boolean).join(' · '); }

  async function* events(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer = (buffer + value).replace(/\r\n/g, '\n'); // a CR at a chunk's end pairs up on the next read
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split("\n")) {
          if (!line || line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = val;
          else if (field === 'data') data.push(val);
        }
        if (data.length) yield { event, data: JSON.parse(data.join('\n')) };
      }
    }
  }

  async function ask(question) {
    if (!question || busy) return;
    busy = true;
    send.disabled = true;
    input.value = '';
    log.append(el('div', 'msg user', question));
    const bubble = el('div', 'msg assistant streaming');
    log.append(bubble);
    scrollDown();
    let text = '';
    try {
      const response = await fetch('api/ask/stream', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ question, history: history.slice(-12), ...(filtered ? { filters } : {}) }),
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        if (response.status === 429) throw new Error(busyMessage(response, problem, question));
        throw new Error(typeof problem.detail === 'string' ? problem.detail : `The server answered ${response.status}.`);
      }
      for await (const { event, data } of events(response.body)) {
        if (event === 'delta') {
          text += data.text;
          bubble.textContent = text;
          scrollDown();
        } else if (event === 'answer') {
          renderAnswer(bubble, data);
          bubble.previousElementSibling.scrollIntoView({ block: 'start' }); // the question, then the answer's start
          history.push({ role: 'user', content: question }, { role: 'assistant', content: data.answer });
        } else if (event === 'error') {
          throw new Error(data.detail);
        }
      }
    } catch (error) {
      bubble.className = 'msg assistant error';
      bubble.textContent = error instanceof TypeError ? 'Could not reach the server.' : error.message;
    } finally {
      bubble.classList.remove('streaming');
      busy = false;
      send.disabled = false;
    }
  }

  // 429: the model's line is full, or this client asked too often. Keep the question to send again.
  function busyMessage(response, problem, question) {
    const wait = Number(response.headers.get('retry-after')) || problem.retry_after || 10;
    if (!input.value) input.value = question;
    return problem.reason === 'rate_limited'
      ? `You have asked many questions in a short time. Please wait about ${wait} seconds, then ask again.`
      : `Many people are asking questions right now. Please ask again in about ${wait} seconds.`;
  }

  function citeButton(label, article, start, end, n, className = 'cite') {
    const button = el('button', className, label);
    button.type = 'button';
    button.title = 'Open the source';
    button.addEventListener('click', () => openSource(article, start, end, n));
    return button;
  }

  function renderAnswer(bubble, answer) {
    bubble.textContent = '';
    if (answer.refused) {
      bubble.classList.add('refusal');
      bubble.append(el('p', 'refusal-text', answer.answer), ...filterLine(answer), ...coverageLine(answer.coverage));
      if (answer.closest.length) {
        bubble.append(el('p', 'closest-label', answer.closest_label));
        const list = el('ul', 'closest');
        for (const a of answer.closest) {
          const item = el('li');
          item.append(citeButton(a.title || a.article_id, a.article_id, -1, -1, 0, 'link'), el('span', 'meta', ` ${meta(a.source, a.date)}`));
          list.append(item);
        }
        bubble.append(list);
      }
      return;
    }
    const byN = new Map(answer.citations.map((c) => [c.n, c]));
    const paragraph = el('p', 'text');
    answer.answer.split(/(\[\d+\])/).forEach((part) => {
      const c = /^\[(\d+)\]$/.test(part) && byN.get(Number(part.slice(1, -1)));
      paragraph.append(c ? citeButton(part, c.article_id, c.start, c.end, c.n) : document.createTextNode(part));
    });
    bubble.append(paragraph, ...filterLine(answer));
    if (answer.citations.length) {
      const list = el('ol', 'sources');
      for (const c of answer.citations) {
        const item = el('li');
        item.append(citeButton(`[${c.n}] ${c.title || c.article_id}`, c.article_id, c.start, c.end, c.n, 'link'));
        item.append(el('div', 'meta', meta(c.source, c.date)));
        const quote = newsragOffsets.cut(c.quote, 200);
        item.append(el('div', 'snippet', quote));
        list.append(item);
      }
      bubble.append(list);
    }
    bubble.append(feedbackButtons(answer));
  }

  function feedbackButtons(answer) {
    const bar = el('div', 'feedback');
    for (const rating of ['up', 'down']) {
      const button = el('button', `thumb ${rating}`);
      button.append(thumbIcon());
      button.type = 'button';
      button.setAttribute('aria-label', rating === 'up' ? 'Good answer' : 'Bad answer');
      button.addEventListener('click', async () => {
        bar.querySelectorAll('button').forEach((b) => { b.disabled = true; });
        button.classList.add('chosen');
        await fetch('api/feedback', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ rating, question: answer.question, answer: answer.answer,
            article_ids: answer.citations.map((c) => c.article_id) }),
        }).catch(() => {});
      });
      bar.append(button);
    }
    return bar;
  }

  function thumbIcon() {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', 'M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z');
    svg.append(path);
    return svg;
  }

  async function openSource(articleId, start, end, n) {
    const response = await fetch(`api/articles/${encodeURIComponent(articleId)}`).catch(() => null);
    const article = response && response.ok ? await response.json() : null;
    source.querySelector('.source-label').textContent = n ? `Source [${n}]` : 'Article';
    source.querySelector('.source-title').textContent = article ? (article.title || article.id) : 'Not found';
    source.querySelector('.source-meta').textContent = article ? meta(article.source, article.date) : '';
    const body = source.querySelector('.article');
    body.textContent = article ? '' : 'This article is no longer in the archive.';
    let mark = null;
    if (article) {
      const parts = newsragOffsets.splitSpan(article.text, start, end); // code point offsets: see offsets.js
      if (parts) {
        mark = el('mark', 'cited', parts[1]);
        body.append(document.createTextNode(parts[0]), mark, document.createTextNode(parts[2]));
      } else {
        body.textContent = article.text;
      }
    }
    source.hidden = false;
    log.hidden = true;
    form.hidden = true;
    if (mark) mark.scrollIntoView({ block: 'center' });
    else source.querySelector('.source-body').scrollTop = 0;
  }

  function closeSource() {
    source.hidden = true;
    log.hidden = false;
    form.hidden = false;
  }
})();
