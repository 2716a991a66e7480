// Small SVG charts drawn by hand: a participation bar with the quorum mark, and a bar per question
// split For / Against / Abstain with the threshold mark.

const NS = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Share of `part` in `whole` as a number 0..1 (exact enough for drawing). */
export function fraction(part, whole) {
  if (whole === 0n) return 0;
  return Number((part * 1_000_000n) / whole) / 1_000_000;
}

/**
 * A horizontal bar: `segments` [{ value: bigint, className, label }] over `whole`, with an optional
 * mark at `markAt` (0..1) labelled `markLabel`.
 */
export function bar(segments, whole, { markAt, markLabel, title } = {}) {
  const width = 600;
  const height = 34;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height + 16}`, class: "chart", role: "img" });
  if (title) svg.append(el("title", {}, title));
  svg.append(el("rect", { x: 0, y: 0, width, height, class: "track", rx: 4 }));
  let x = 0;
  for (const s of segments) {
    const w = fraction(s.value, whole) * width;
    if (w > 0) {
      const r = el("rect", { x, y: 0, width: w, height, class: s.className });
      r.append(el("title", {}, s.label));
      svg.append(r);
    }
    x += w;
  }
  if (markAt !== undefined) {
    const mx = Math.min(width - 1, Math.max(1, markAt * width));
    svg.append(el("line", { x1: mx, x2: mx, y1: -2, y2: height + 2, class: "mark" }));
    svg.append(el("text", { x: Math.min(width - 4, mx + 4), y: height + 13, class: "mark-label", "text-anchor": mx > width - 120 ? "end" : "start" }, markLabel ?? ""));
  }
  return svg;
}
