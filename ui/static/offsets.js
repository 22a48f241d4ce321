/* Citation offsets in the widget. The API's `start`/`end` count Unicode code points, as Python indexes
 * `str` (and as the article text, chunks and quotes are stored); JavaScript strings index UTF-16 code
 * units, where a character outside the Basic Multilingual Plane (an emoji, say) takes two. Slicing with
 * the API's offsets directly shifts the highlight by one unit per such character before the quote.
 * These helpers convert, so the page never slices a string with a code point offset.
 * Loaded by the widget page before widget-app.js (window.newsragOffsets); Node can require it (tests). */
(function (root) {
  'use strict';

  /* The UTF-16 index of code point `count` in `text`, or -1 when the text has fewer code points. */
  function unitIndex(text, count) {
    let units = 0;
    for (let n = 0; n < count; n++) {
      if (units >= text.length) return -1;
      units += text.codePointAt(units) > 0xffff ? 2 : 1;
    }
    return units;
  }

  /* [before, span, after]: `text` cut at the code point offsets [start, end), or null when they are not
   * a non-empty span of the text. */
  function splitSpan(text, start, end) {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end > start)) return null;
    const from = unitIndex(text, start);
    const to = from < 0 ? -1 : from + unitIndex(text.slice(from), end - start);
    if (from < 0 || to < from) return null;
    return [text.slice(0, from), text.slice(from, to), text.slice(to)];
  }

  /* At most `max` code points of `text`, ending in "…" when cut (never half an emoji). */
  function cut(text, max) {
    const end = unitIndex(text, max);
    if (end < 0 || end >= text.length) return text;
    return `${text.slice(0, unitIndex(text, max - 1))}…`;
  }

  const api = { unitIndex, splitSpan, cut };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.newsragOffsets = api;
})(typeof self !== 'undefined' ? self : this);
