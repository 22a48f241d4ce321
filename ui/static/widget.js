/* newsrag widget loader. A host page adds:
 *   <script src="http://HOST:PORT/widget.js" data-title="Ask our archive" async></script>
 * and gets a launcher button that opens the chat (HOST:PORT/widget) in a panel. `data-from`/`data-to`
 * (ISO dates: YYYY-MM-DD, YYYY-MM or YYYY, inclusive) restrict every question to that date range; a bad
 * value is a console error and is ignored. The button and panel live
 * in a Shadow DOM, the chat in an iframe: the host page's CSS and scripts cannot reach either. Whether the
 * host may frame the chat is the server's decision (CSP frame-ancestors, NEWSRAG_WIDGET_ORIGINS). */
(() => {
  'use strict';

  /* An ISO date as the API takes it (YYYY, YYYY-MM or YYYY-MM-DD) that is in the calendar. */
  function isoDate(value) {
    const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
    if (!m) return false;
    const [year, month, day] = [Number(m[1]), Number(m[2] || 1), Number(m[3] || 1)];
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
    return year >= 1 && days !== undefined && day >= 1 && day <= days;
  }

  /* The date range of the script tag's data-from/data-to, as {from?, to?}. A value that is no ISO date,
   * or a range that ends before it starts, is reported (console error) and left out. */
  function dateRange(dataset, report) {
    const range = {};
    for (const key of ['from', 'to']) {
      const value = (dataset[key] || '').trim();
      if (!value) continue;
      if (isoDate(value)) range[key] = value;
      else report(`newsrag widget: data-${key}="${dataset[key]}" is not an ISO date (YYYY-MM-DD, YYYY-MM or YYYY); `
        + 'it is ignored.');
    }
    // a partial date covers its whole period: from 2020-10 starts on 2020-10-01, to 2020 ends on 2020-12-31
    const start = range.from && range.from + '-01-01'.slice(range.from.length - 4);
    const end = range.to && range.to + '-12-31'.slice(range.to.length - 4);
    if (start && end && start > end) {
      report(`newsrag widget: data-from="${range.from}" is after data-to="${range.to}"; both are ignored.`);
      return {};
    }
    return range;
  }

  if (typeof module === 'object' && module.exports) { // Node (tests): the functions above, no page
    module.exports = { isoDate, dateRange };
    return;
  }
  const script = document.currentScript || document.querySelector('script[src*="/widget.js"]');
  if (!script || window.__newsragWidget) return;
  window.__newsragWidget = true;
  const base = new URL('.', script.src);
  const title = (script.dataset.title || 'Ask the archive').slice(0, 80);
  const range = dateRange(script.dataset, (message) => console.error(message));

  const CSS = `
    :host { all: initial; }
    .launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: flex;
      align-items: center; gap: 8px; padding: 12px 18px; border: 0; border-radius: 999px; cursor: pointer;
      background: #1e40af; color: #fff; font: 600 15px/1.2 system-ui, -apple-system, "Segoe UI", sans-serif;
      box-shadow: 0 4px 14px rgba(0,0,0,.25); }
    .launcher:hover { background: #1e3a8a; }
    .launcher:focus-visible { outline: 3px solid #93c5fd; outline-offset: 2px; }
    .launcher svg { width: 20px; height: 20px; fill: currentColor; flex: none; }
    .panel { position: fixed; box-sizing: border-box; right: 20px; bottom: 84px; z-index: 2147483000; width: 390px;
      max-width: calc(100vw - 40px); height: 620px; max-height: calc(100vh - 110px); border-radius: 12px;
      overflow: hidden; background: #fff; box-shadow: 0 12px 40px rgba(0,0,0,.3); }
    .panel[hidden] { display: none; }
    iframe { display: block; width: 100%; height: 100%; border: 0; }
    .notice { position: absolute; inset: 0 0 auto 0; padding: 14px 16px; background: #fef2f2; color: #7f1d1d;
      font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; border-bottom: 3px solid #dc2626; }
    @media (max-width: 480px) {
      .panel { right: 0; bottom: 0; width: 100vw; max-width: none; height: 100%; max-height: none; border-radius: 0; }
      .launcher.open { display: none; }
    }`;

  function mount() {
    const host = document.createElement('div');
    host.id = 'newsrag-widget';
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${CSS}</style>
      <div class="panel" role="dialog" aria-modal="false" hidden></div>
      <button class="launcher" type="button" aria-expanded="false">
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>
        <span class="label"></span>
      </button>`;
    const panel = root.querySelector('.panel');
    const launcher = root.querySelector('.launcher');
    root.querySelector('.label').textContent = title;
    panel.setAttribute('aria-label', title);
    let frame = null;

    let ready = false;

    function open() {
      if (!frame) {
        frame = document.createElement('iframe');
        frame.title = title;
        const query = new URLSearchParams({ embedded: '1', title, ...range });
        frame.src = new URL(`widget?${query}`, base).href;
        panel.append(frame);
        // A page that may not frame the chat (CSP frame-ancestors) gets a blank frame: say why.
        setTimeout(() => {
          if (ready) return;
          const notice = document.createElement('div');
          notice.className = 'notice';
          notice.setAttribute('role', 'alert');
          notice.textContent = 'The archive chat cannot be shown on this site: it is not on the list of sites allowed to embed it.';
          panel.append(notice);
          console.warn(`newsrag widget: the chat did not load. Add ${location.origin} to NEWSRAG_WIDGET_ORIGINS on the server.`);
        }, 6000);
      }
      panel.hidden = false;
      launcher.classList.add('open');
      launcher.setAttribute('aria-expanded', 'true');
    }
    function close() {
      panel.hidden = true;
      launcher.classList.remove('open');
      launcher.setAttribute('aria-expanded', 'false');
      launcher.focus();
    }
    launcher.addEventListener('click', () => (panel.hidden ? open() : close()));
    window.addEventListener('message', (event) => {
      if (event.origin !== base.origin || event.source !== (frame && frame.contentWindow)) return;
      if (event.data === 'newsrag:ready') ready = true;
      else if (event.data === 'newsrag:close') close();
    });
    document.body.append(host);
  }

  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
