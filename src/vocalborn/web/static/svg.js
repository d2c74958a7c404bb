// Small SVG helpers the charts share: elements, tick values, line paths, and whether the screen
// is narrow (charts then draw a narrower picture, so their text stays readable when scaled).

export const NS = "http://www.w3.org/2000/svg";

export function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function compact() {
  return window.innerWidth < 600;
}

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/** About `count` round values between lo and hi. */
export function ticks(lo, hi, count) {
  const step = niceStep(hi - lo || 1, count);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(6));
  return out;
}

/** A path through [x, y] points; null points lift the pen (unvoiced gaps). */
export function pathOf(pts, x, y) {
  let d = "";
  let pen = false;
  for (const p of pts) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)} `;
    pen = true;
  }
  return d.trim();
}

/** Rough width of a text in px at a font size (CJK characters are square, Latin narrower). */
export function textWidth(text, size) {
  let w = 0;
  for (const ch of String(text)) w += /[\u2e80-\uffff]/.test(ch) ? size : size * 0.58;
  return w;
}

/**
 * Lay legend entries out in rows that fit `width`: [{x, row}] per entry, given each entry's
 * width. Narrow screens get two rows instead of text running off the picture.
 */
export function flow(widths, width, gap = 14) {
  const out = [];
  let x = 0;
  let row = 0;
  for (const w of widths) {
    if (x > 0 && x + w > width) {
      row += 1;
      x = 0;
    }
    out.push({ x, row });
    x += w + gap;
  }
  return out;
}
